// Per-index prediction curves: grouping, ordering and the statistics of each point.
import XCTest

@testable import EvalMetrics

final class PredictionCurvesTests: XCTestCase {
  private func row(_ m: String, _ s: String, _ i: Int, _ metric: String, _ v: Double) -> FrameScoreRow {
    FrameScoreRow(method: m, sequence: s, index: i, metric: metric, value: v)
  }

  func testPointsPerMethodMetricAndIndex() {
    let rows = [
      row("lstm", "a", 2, "ssim", 0.5), row("lstm", "b", 2, "ssim", 0.7),
      row("lstm", "a", 1, "ssim", 0.9), row("lstm", "b", 1, "ssim", 0.8), row("lstm", "c", 1, "ssim", 0.7),
      row("copy", "a", 1, "ssim", 0.6), row("lstm", "a", 1, "psnr", 25),
    ]
    let points = PredictionCurves.points(rows)
    XCTAssertEqual(
      points.map { "\($0.method)/\($0.metric)/\($0.index)" },
      ["copy/ssim/1", "lstm/psnr/1", "lstm/ssim/1", "lstm/ssim/2"])
    let lstm = PredictionCurves.curve(points, method: "lstm", metric: "ssim")
    XCTAssertEqual(lstm.map(\.n), [3, 2])
    XCTAssertEqual(lstm[0].mean, 0.8, accuracy: 1e-12)
    // sd of (0.9, 0.8, 0.7) is 0.1; t_{0.975,2} = 4.302652729911275 (scipy).
    XCTAssertEqual(lstm[0].ciHigh - lstm[0].mean, 4.302652729911275 * 0.1 / 3.0.squareRoot(), accuracy: 1e-9)
    XCTAssertEqual(lstm[0].mean - lstm[0].ciLow, 4.302652729911275 * 0.1 / 3.0.squareRoot(), accuracy: 1e-9)
    let copy = PredictionCurves.curve(points, method: "copy", metric: "ssim")
    XCTAssertEqual(copy.count, 1)
    XCTAssertEqual(copy[0].ciLow, 0.6, accuracy: 0)
    XCTAssertEqual(copy[0].ciHigh, 0.6, accuracy: 0)
  }

  func testConfidenceWidensTheInterval() {
    let rows = (0..<10).map { row("m", "s\($0)", 1, "lpips", Double($0) / 10) }
    let p95 = PredictionCurves.points(rows)[0]
    let p99 = PredictionCurves.points(rows, confidence: 0.99)[0]
    XCTAssertEqual(p95.mean, p99.mean, accuracy: 1e-15)
    // t_{0.995,9} / t_{0.975,9} = 3.2498355415921263 / 2.2621571627409915 (scipy).
    XCTAssertEqual(
      (p99.ciHigh - p99.mean) / (p95.ciHigh - p95.mean), 3.2498355415921263 / 2.2621571627409915,
      accuracy: 1e-9)
  }
}
