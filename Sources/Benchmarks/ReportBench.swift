// `lmlab bench report`: a fresh registry of N finished predict runs with per-frame scores
// (10 setups × 5 methods, S sequences × 28 frames × 3 metrics each), then the time of
// `lmlab report --experiment` over all of them: reading from the registry, and drawing and
// writing the folder. No frame PNGs exist, so the galleries are tables without filmstrips.
import Workbench
import Foundation
import Registry
import Reports

public enum ReportBench {
  public struct Result: Sendable {
    public var frameScores: Int
    public var fillSeconds: Double
    public var loadSeconds: Double
    public var writeSeconds: Double
  }

  public static func run(runs: Int, sequences: Int, out: String?, print: (String) -> Void) throws -> Result {
    let tmp = NSTemporaryDirectory() + "lmlab-bench-report-\(getpid())"
    try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: tmp) }
    let registry = try Registry(path: tmp + "/bench.sqlite")
    let methods = ["lstm", "hold-state", "constant-velocity", "copy-last", "reconstruction"]
    let metrics = ["psnr", "ssim", "lpips-alex"]
    var t0 = Date()
    var total = 0
    var state: UInt64 = 7
    func noise() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) / Double(1 << 53)
    }
    for i in 0..<runs {
      let method = methods[i % methods.count], context = 2 + (i / methods.count) % 10
      let spec = RunSpec(
        name: "predict-\(method)", kind: Prediction.runKind, experiment: "bench-report",
        params: [.string("predict_method", method), .int("predict_context", context), .int("predict_horizon", 28), .int("seed", i)])
      let h = try registry.startRun(spec)
      var scores: [FrameScore] = []
      for s in 0..<sequences {
        for t in 1...28 {
          let base = 0.01 * Double(t) * Double(1 + i % methods.count)
          for m in metrics {
            let v = m == "psnr" ? 30 - 10 * base + noise() : m == "ssim" ? 0.9 - base + 0.05 * noise() : base + 0.05 * noise()
            scores.append(
              FrameScore(
                runId: h.runId, method: method, sequence: String(format: "seq_%03d", s), frame: Int64(context + t - 1),
                metric: m, value: v, index: Int64(t)))
          }
        }
      }
      try h.addFrameScores(scores)
      try h.finish(.finished)
      total += scores.count
    }
    let fill = Date().timeIntervalSince(t0)
    print(String(format: "registry: %d predict runs, %d per-frame scores (filled in %.1f s)", runs, total, fill))
    t0 = Date()
    let data = try ReportInputs.load(.experiment("bench-report"), registry: registry, title: "bench report")
    let load = Date().timeIntervalSince(t0)
    t0 = Date()
    _ = try ExperimentReport(data).write(to: out ?? tmp + "/report")
    let write = Date().timeIntervalSince(t0)
    print(String(format: "lmlab report --experiment bench-report: read %.2f s + draw and write %.2f s = %.2f s", load, write, load + write))
    return Result(frameScores: total, fillSeconds: fill, loadSeconds: load, writeSeconds: write)
  }
}
