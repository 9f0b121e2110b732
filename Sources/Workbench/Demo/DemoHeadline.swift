// DemoHeadline: the numbers a demo is judged by, read back from the registry (not from memory,
// so a reused stage reports exactly what it recorded): keypoint accuracy against its baselines,
// landmark error and decoded-frame scores at the horizon for every method, where the LSTM, the
// pixel-space predictor and copy-last cross, and the long rollout's validity.
import Dynamics
import EvalMetrics
import Foundation
import Registry

public struct DemoHeadline {
  public var text: String

  public init(_ r: DemoResult, registry: Registry) throws {
    func last(_ run: Int64, _ name: String) throws -> Double? { try registry.series(runId: run, name: name).last?.value }
    func at(_ run: Int64, _ name: String, _ step: Int64) throws -> Double? {
      try registry.series(runId: run, name: name).first { $0.step == step }?.value
    }
    func f(_ v: Double?, _ format: String = "%.3f") -> String { v.map { String(format: format, $0) } ?? "-" }
    var lines = ["demo: landmarks run \(r.landmarksRun), dynamics run \(r.dynamicsRun), pixel run \(r.pixelRun)"]
    let threshold = (try? EvalConfig(json: try registry.run(r.landmarksRun).configJSON))?.keypointThreshold
    lines.append(
      "keypoint accuracy (within \(threshold.map { String(format: "%g", $0) } ?? "?") px, test appearances): learned \(f(try last(r.landmarksRun, "keypoint_acc")))  "
        + "mean-pose baseline \(f(try last(r.landmarksRun, "baseline_mean_pose")))  "
        + "untrained-model baseline \(f(try last(r.landmarksRun, "baseline_untrained")))")
    if let live = try last(r.dynamicsRun, "live_landmarks") {
      lines.append(
        "live landmarks (following a keypoint with correlation > \(String(format: "%g", PoseState.liveCorrelation)) on the "
          + "training sequences): \(Int(live))")
    }
    let lpips = try DemoPipeline.lpipsMetricName(r, registry: registry)
    let effnet = try DemoPipeline.effnetMetricName(r, registry: registry)
    let h = Int64(DemoPipeline.horizon)
    lines.append("prediction, \(DemoPipeline.context) context frames, at horizon 10 / \(h) (test split):")
    let perceptual = [lpips ?? "LPIPS", effnet].compactMap { $0 }
    lines.append(
      "  " + (["method", "landmark px", "PSNR dB", "SSIM"] + perceptual).map { $0.padding(toLength: 26, withPad: " ", startingAt: 0) }
        .joined())
    for (method, run) in r.predictRuns {
      var cols = try [
        "\(f(try at(run, "landmark-error-px", 10), "%.2f")) / \(f(try at(run, "landmark-error-px", h), "%.2f"))",
        "\(f(try at(run, "psnr", 10), "%.2f")) / \(f(try at(run, "psnr", h), "%.2f"))",
        "\(f(try at(run, "ssim", 10))) / \(f(try at(run, "ssim", h)))",
        lpips.map { "\(f(try at(run, $0, 10))) / \(f(try at(run, $0, h)))" } ?? "not scored",
      ]
      if let effnet { cols.append("\(f(try at(run, effnet, 10))) / \(f(try at(run, effnet, h)))") }
      lines.append("  " + ([method] + cols).map { $0.padding(toLength: 26, withPad: " ", startingAt: 0) }.joined())
    }
    // Where the curves cross for good (the report's Fig. 5 sentences): the landmark LSTM, the
    // pixel-space predictor and pixel copy-last, on the perceptual distances and SSIM.
    let run = Dictionary(r.predictRuns.map { ($0.method, $0.run) }, uniquingKeysWith: { a, _ in a })
    for (a, b) in [("lstm", "pixel"), ("lstm", "copy-last"), ("pixel", "copy-last")] {
      guard let ra = run[a], let rb = run[b] else { continue }
      for metric in [lpips, effnet, "ssim"].compactMap({ $0 }) {
        guard let direction = MetricDirection(metricName: metric) else { continue }
        func means(_ id: Int64) throws -> [Int: Double] {
          Dictionary(try registry.series(runId: id, name: metric).map { (Int($0.step), $0.value) }, uniquingKeysWith: { x, _ in x })
        }
        lines.append(Crossings.crossing(try means(ra), try means(rb), a: a, b: b, metric: metric, direction: direction).sentence)
      }
    }
    if let bad = try last(r.rolloutRun, "invalid_states") {
      lines.append("\(DemoPipeline.longRollout)-frame LSTM rollout: \(Int(bad)) non-finite or invalid states")
    }
    text = lines.joined(separator: "\n")
  }
}

extension DemoPipeline {
  /// The ImageNet feature distance the demo's prediction runs recorded, if any.
  static func effnetMetricName(_ r: DemoResult, registry: Registry) throws -> String? {
    guard let run = r.predictRuns.first?.run else { return nil }
    return try registry.summaries(runId: run).map(\.name).first { $0.hasPrefix("effnet-lite0-dist") }
  }

  /// The LPIPS series the demo's prediction runs recorded ("lpips-alex-randombackbone", ...).
  static func lpipsMetricName(_ r: DemoResult, registry: Registry) throws -> String? {
    guard let run = r.predictRuns.first?.run else { return nil }
    return try registry.summaries(runId: run).map(\.name).first { $0.hasPrefix("lpips") }
  }
}
