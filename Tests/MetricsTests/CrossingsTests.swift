// Where two mean curves cross for good: the first frame from which one stays better to the end
// (not the first frame where it is better), which was better before, and the cases without a
// crossing — one better throughout, equal at the end, frames only one curve has, NaN means.
import XCTest

@testable import EvalMetrics

final class CrossingsTests: XCTestCase {
  /// Curves given as values at frames 1, 2, ….
  func crossing(_ a: [Double], _ b: [Double], _ direction: MetricDirection = .lowerIsBetter) -> CurveCrossing {
    func map(_ v: [Double]) -> [Int: Double] { Dictionary(uniqueKeysWithValues: v.enumerated().map { ($0 + 1, $1) }) }
    return Crossings.crossing(map(a), map(b), a: "lstm", b: "pixel", metric: "m", direction: direction)
  }

  func testFirstFrameFromWhichTheOrderingHoldsToTheEnd() {
    // Lower is better: lstm is better at 3–4, worse at 5–7, better from 8 to 10.
    let lstm = [0.9, 0.8, 0.5, 0.5, 0.8, 0.8, 0.8, 0.6, 0.6, 0.6]
    let pixel = [0.2, 0.3, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    let c = crossing(lstm, pixel)
    XCTAssertEqual(c.frame, 8)
    XCTAssertEqual(c.betterAfter, "lstm")
    XCTAssertEqual(c.betterBefore, "pixel")
    XCTAssertEqual(c.frames, Array(1...10))
    // Higher is better flips who wins at every frame: the same frame, the other way round.
    let h = crossing(lstm, pixel, .higherIsBetter)
    XCTAssertEqual(h.frame, 8)
    XCTAssertEqual(h.betterAfter, "pixel")
    XCTAssertEqual(h.betterBefore, "lstm")
  }

  func testNoCrossingWhenOneIsBetterThroughout() {
    let c = crossing([0.1, 0.2, 0.3], [0.4, 0.5, 0.6])
    XCTAssertNil(c.frame)
    XCTAssertEqual(c.betterAfter, "lstm")
    XCTAssertNil(c.betterBefore)
    XCTAssertEqual(c.frames.count, 3)
  }

  func testEqualAtTheLastFrameHoldsNoOrdering() {
    let c = crossing([0.1, 0.2, 0.5], [0.4, 0.5, 0.5])
    XCTAssertNil(c.frame)
    XCTAssertNil(c.betterAfter)
    // A tie just before the crossing frame: better from 3, nobody better at 2.
    let t = crossing([0.9, 0.5, 0.1], [0.2, 0.5, 0.3])
    XCTAssertEqual(t.frame, 3)
    XCTAssertEqual(t.betterAfter, "lstm")
    XCTAssertNil(t.betterBefore)
  }

  func testOnlySharedFiniteFramesAreCompared() {
    // pixel has no frame 4, and a NaN mean at frame 3: frames 1, 2 and 5 are compared.
    let a: [Int: Double] = [1: 0.9, 2: 0.1, 3: 0.1, 4: 0.9, 5: 0.1]
    let b: [Int: Double] = [1: 0.5, 2: 0.5, 3: .nan, 5: 0.5]
    let c = Crossings.crossing(a, b, a: "lstm", b: "pixel", metric: "m", direction: .lowerIsBetter)
    XCTAssertEqual(c.frames, [1, 2, 5])
    XCTAssertEqual(c.frame, 2)
    XCTAssertEqual(c.betterAfter, "lstm")
    let none = Crossings.crossing([1: 0.1], [2: 0.2], a: "lstm", b: "pixel", metric: "m", direction: .lowerIsBetter)
    XCTAssertEqual(none.frames, [])
    XCTAssertNil(none.betterAfter)
  }

  /// From curve points: means per method, points without values (n = 0) left out.
  func testFromCurvePoints() {
    var rows: [FrameScoreRow] = []
    for t in 1...6 {
      for s in 0..<3 {
        let noise = Double(s - 1) * 0.01
        rows.append(FrameScoreRow(method: "lstm", sequence: "s\(s)", index: t, metric: "ssim", value: 0.5 + noise))
        rows.append(FrameScoreRow(method: "pixel", sequence: "s\(s)", index: t, metric: "ssim", value: 0.8 - 0.07 * Double(t) + noise))
      }
    }
    rows.append(FrameScoreRow(method: "pixel", sequence: "s0", index: 7, metric: "ssim", value: .nan))
    let points = PredictionCurves.points(rows)
    let c = Crossings.crossing(points, a: "lstm", b: "pixel", metric: "ssim", direction: .higherIsBetter)
    // pixel: 0.73, 0.66, 0.59, 0.52, 0.45, 0.38 against lstm's 0.5: lstm better from frame 5.
    XCTAssertEqual(c.frames, Array(1...6))
    XCTAssertEqual(c.frame, 5)
    XCTAssertEqual(c.betterAfter, "lstm")
    XCTAssertEqual(c.betterBefore, "pixel")
  }
}
