// DemoHeadline: the numbers a demo is judged by, read back from the registry (not from memory,
// so a reused stage reports exactly what it recorded): keypoint accuracy against its baselines,
// landmark error and decoded-frame scores at the horizon for every method, where the LSTM's
// LPIPS curve crosses pixel copy-last, and the long rollout's validity.
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
    var lines = ["demo: landmarks run \(r.landmarksRun), dynamics run \(r.dynamicsRun)"]
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
    if let lstm = r.predictRuns.first(where: { $0.method == "lstm" })?.run,
      let copy = r.predictRuns.first(where: { $0.method == "copy-last" })?.run
    {
      for metric in [lpips, effnet].compactMap({ $0 }) {
        let a = try registry.series(runId: lstm, name: metric), b = try registry.series(runId: copy, name: metric)
        let byStep = Dictionary(b.map { ($0.step, $0.value) }, uniquingKeysWith: { x, _ in x })
        let crossing = a.first { p in byStep[p.step].map { p.value < $0 } ?? false }?.step
        lines.append(
          crossing.map { "LSTM vs pixel copy-last on \(metric): the LSTM is better from frame \($0) on" }
            ?? "LSTM vs pixel copy-last on \(metric): copy-last stays better over all \(h) frames")
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
