// Student t quantiles and 95% intervals of a mean against scipy.stats
// (Fixtures/student_t.json, made by Experiments/tools/make_curve_fixtures.py).
import Foundation
import XCTest

@testable import EvalMetrics

final class StudentTTests: XCTestCase {
  private func fixture() throws -> [String: Any] {
    let path = try metricsFixture("student_t.json", generator: "python3 Experiments/tools/make_curve_fixtures.py")
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  func testQuantilesMatchScipy() throws {
    let rows = try XCTUnwrap(try fixture()["quantiles"] as? [[String: Double]])
    XCTAssertEqual(rows.count, 260, "quantiles compared")
    for r in rows {
      let p = r["p"]!
      let df = r["df"]!
      let expected = r["t"]!
      let t = StudentT.quantile(p, degreesOfFreedom: df)
      // 1e-9 relative: the bisection resolves the quantile to the CDF's own precision (~1e-11 at ν = 10⁶).
      XCTAssertEqual(t, expected, accuracy: 1e-9 * Swift.max(Swift.abs(expected), 1e-3), "t.ppf(\(p), \(df))")
    }
  }

  func testCDFInvertsQuantile() {
    for df in [1.0, 3, 12, 80] {
      for p in [0.01, 0.3, 0.8, 0.975] {
        XCTAssertEqual(
          StudentT.cdf(StudentT.quantile(p, degreesOfFreedom: df), degreesOfFreedom: df), p, accuracy: 1e-13)
      }
    }
    // ν = 1 is the Cauchy distribution: P(T ≤ 1) = ¾.
    XCTAssertEqual(StudentT.cdf(1, degreesOfFreedom: 1), 0.75, accuracy: 1e-15)
  }

  func testIntervalsMatchScipy() throws {
    let rows = try XCTUnwrap(try fixture()["intervals"] as? [[String: Any]])
    XCTAssertEqual(rows.count, 7)
    for r in rows {
      let values = try XCTUnwrap(r["values"] as? [Double])
      let mean = try XCTUnwrap(r["mean"] as? Double)
      let low = try XCTUnwrap(r["low"] as? Double)
      let high = try XCTUnwrap(r["high"] as? Double)
      let s = MeanInterval(values: values)
      XCTAssertEqual(s.n, values.count)
      XCTAssertEqual(s.mean, mean, accuracy: 1e-12 * Swift.max(Swift.abs(mean), 1), "mean of \(values.count)")
      XCTAssertEqual(s.low, low, accuracy: 1e-10 * Swift.max(Swift.abs(low), 1), "low of \(values.count)")
      XCTAssertEqual(s.high, high, accuracy: 1e-10 * Swift.max(Swift.abs(high), 1), "high of \(values.count)")
    }
  }

  func testIntervalEdgeCases() {
    let one = MeanInterval(values: [0.25])
    XCTAssertEqual(one.n, 1)
    XCTAssertEqual(one.low, 0.25, accuracy: 0)
    XCTAssertEqual(one.high, 0.25, accuracy: 0)
    let none = MeanInterval(values: [.nan])
    XCTAssertEqual(none.n, 0)
    XCTAssertTrue(none.mean.isNaN && none.low.isNaN && none.high.isNaN)
    // NaN values are left out: [1, NaN, 3] is the sample [1, 3], sd √2, so the half-width is
    // t_{0.975,1}·√2/√2 = 12.706204736174705 (scipy).
    let skipped = MeanInterval(values: [1, .nan, 3])
    XCTAssertEqual(skipped.n, 2)
    XCTAssertEqual(skipped.mean, 2, accuracy: 1e-15)
    XCTAssertEqual(skipped.high, 2 + 12.706204736174705, accuracy: 1e-9)
    // An infinite value (PSNR of identical frames) gives an infinite mean and no interval.
    let inf = MeanInterval(values: [30, .infinity])
    XCTAssertEqual(inf.mean, .infinity)
    XCTAssertTrue(inf.low.isNaN && inf.high.isNaN)
  }
}
