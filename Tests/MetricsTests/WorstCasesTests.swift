// Worst-case rankings on a hand-made table whose answer is worked out in the comments.
import XCTest

@testable import EvalMetrics

final class WorstCasesTests: XCTestCase {
  // LPIPS at indices 1 and 2; means per sequence:
  //   A: s1 0.2, s2 0.6, s3 0.4, s4 0.5  → worst first s2, s4, s3, s1
  //   B: s1 0.8, s2 0.6, s3 0.1, s4 0.3  → s1, s2, s4, s3
  //   C: s1 0.2, s2 0.8, s3 0.5, s4 0.6  → s2, s4, s3, s1
  private let table: [(String, String, Double, Double)] = [
    ("A", "s1", 0.1, 0.3), ("A", "s2", 0.5, 0.7), ("A", "s3", 0.4, 0.4), ("A", "s4", 0.9, 0.1),
    ("B", "s1", 0.8, 0.8), ("B", "s2", 0.6, 0.6), ("B", "s3", 0.1, 0.1), ("B", "s4", 0.3, 0.3),
    ("C", "s1", 0.2, 0.2), ("C", "s2", 0.7, 0.9), ("C", "s3", 0.5, 0.5), ("C", "s4", 0.6, 0.6),
  ]

  private var rows: [FrameScoreRow] {
    var rows: [FrameScoreRow] = []
    for (m, s, v1, v2) in table {
      rows.append(FrameScoreRow(method: m, sequence: s, index: 1, metric: "lpips-alex", value: v1))
      rows.append(FrameScoreRow(method: m, sequence: s, index: 2, metric: "lpips-alex", value: v2))
      // Another metric that would reorder everything if it leaked in.
      rows.append(FrameScoreRow(method: m, sequence: s, index: 1, metric: "psnr", value: 100 * v1))
    }
    // A NaN frame is left out of the mean (A's s3 stays 0.4).
    rows.append(FrameScoreRow(method: "A", sequence: "s3", index: 3, metric: "lpips-alex", value: .nan))
    return rows
  }

  func testRankingPerMethod() {
    let r = WorstCases.rankings(rows, metric: "lpips-alex", direction: .lowerIsBetter)
    XCTAssertEqual(r.map(\.method), ["A", "B", "C"])
    XCTAssertEqual(r[0].sequences.map(\.sequence), ["s2", "s4", "s3", "s1"])
    XCTAssertEqual(r[1].sequences.map(\.sequence), ["s1", "s2", "s4", "s3"])
    XCTAssertEqual(r[2].sequences.map(\.sequence), ["s2", "s4", "s3", "s1"])
    XCTAssertEqual(r[0].sequences.map(\.rank), [1, 2, 3, 4])
    XCTAssertEqual(r[0].sequences[2].mean, 0.4, accuracy: 1e-12)
    XCTAssertEqual(r[0].sequences[2].frames, 2)
    XCTAssertEqual(r[1].top(2).map(\.sequence), ["s1", "s2"])
  }

  func testHigherIsBetterReversesTheOrder() {
    let a = WorstCases.rankings(rows, metric: "lpips-alex", direction: .higherIsBetter)[0]
    XCTAssertEqual(a.sequences.map(\.sequence), ["s1", "s3", "s4", "s2"])
    XCTAssertEqual(MetricDirection(metricName: "psnr"), .higherIsBetter)
    XCTAssertEqual(MetricDirection(metricName: "ssim-uniform"), .higherIsBetter)
    XCTAssertEqual(MetricDirection(metricName: "lpips-alex-randombackbone"), .lowerIsBetter)
    XCTAssertEqual(MetricDirection(metricName: "effnet-lite0-dist"), .lowerIsBetter)
    XCTAssertEqual(MetricDirection(metricName: "effnet-lite0-dist-randombackbone"), .lowerIsBetter)
    XCTAssertEqual(MetricDirection(metricName: "landmark-error-px"), .lowerIsBetter)
    XCTAssertNil(MetricDirection(metricName: "accuracy"))
  }

  func testIndexRangeLimitsTheHorizon() {
    // Index 1 only: A is s1 0.1, s2 0.5, s3 0.4, s4 0.9.
    let a = WorstCases.rankings(rows, metric: "lpips-alex", direction: .lowerIsBetter, indices: 1...1)[0]
    XCTAssertEqual(a.sequences.map(\.sequence), ["s4", "s2", "s3", "s1"])
  }

  func testSharedWorstCases() {
    let r = WorstCases.rankings(rows, metric: "lpips-alex", direction: .lowerIsBetter)
    // Top 2: A {s2, s4}, B {s1, s2}, C {s2, s4}: s2 for three methods, s4 for two, s1 for one.
    let two = WorstCases.shared(r, top: 2)
    XCTAssertEqual(two.map(\.sequence), ["s2", "s4"])
    XCTAssertEqual(two[0].methods, ["A", "B", "C"])
    XCTAssertEqual(two[1].methods, ["A", "C"])
    XCTAssertEqual(two[0].meanRank, 4.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(two[1].meanRank, 7.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(WorstCases.shared(r, top: 2, minimumMethods: 1).map(\.sequence), ["s2", "s4", "s1"])
    // Top 3: s2 and s4 are both in all three; the mean rank (4/3 against 7/3) breaks the tie.
    let three = WorstCases.shared(r, top: 3)
    XCTAssertEqual(three.map(\.sequence), ["s2", "s4", "s3"])
    XCTAssertEqual(three.map(\.methods.count), [3, 3, 2])
  }

  func testWorstPerIndex() {
    let per = WorstCases.worstPerIndex(rows, metric: "lpips-alex", direction: .lowerIsBetter)
    XCTAssertEqual(per["A"]?.map(\.sequence), ["s4", "s2"])
    XCTAssertEqual(per["A"]?.map(\.index), [1, 2])
    XCTAssertEqual(per["B"]?.map(\.sequence), ["s1", "s1"])
    let across = WorstCases.worstPerIndexAcrossMethods(rows, metric: "lpips-alex", direction: .lowerIsBetter)
    XCTAssertEqual(across.map { "\($0.method)/\($0.sequence)" }, ["A/s4", "C/s2"])
    XCTAssertEqual(across[1].value, 0.9, accuracy: 1e-15)
  }
}
