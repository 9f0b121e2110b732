// 1-2-5 tick steps and their labels.
import XCTest

@testable import Reports

final class NiceTicksTests: XCTestCase {
  private func assertTicks(
    _ t: NiceTicks, _ expected: [Double], step: Double, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(t.step, step, accuracy: step * 1e-12, "step", file: file, line: line)
    XCTAssertEqual(t.values.count, expected.count, "\(t.values)", file: file, line: line)
    for (a, b) in zip(t.values, expected) {
      XCTAssertEqual(a, b, accuracy: step * 1e-9, file: file, line: line)
    }
  }

  func testStepsAreOneTwoFive() {
    assertTicks(NiceTicks(lo: 0, hi: 0.93, target: 5), [0, 0.2, 0.4, 0.6, 0.8, 1.0], step: 0.2)
    assertTicks(NiceTicks(lo: 1, hi: 28, target: 6), [0, 5, 10, 15, 20, 25, 30], step: 5)
    assertTicks(NiceTicks(lo: -3.2, hi: 7.7, target: 4), [-5, 0, 5, 10], step: 5)
    assertTicks(NiceTicks(lo: 0.2, hi: 0.3, target: 5), [0.2, 0.22, 0.24, 0.26, 0.28, 0.3], step: 0.02)
    XCTAssertEqual(NiceTicks.niceStep(0.0031), 0.005, accuracy: 1e-15)
    XCTAssertEqual(NiceTicks.niceStep(1.2), 2, accuracy: 1e-15)
    XCTAssertEqual(NiceTicks.niceStep(7), 10, accuracy: 1e-15)
  }

  func testIntegerStepsAndDegenerateRanges() {
    // Three frames on a wide axis would get 0.5 steps; frame indices do not.
    assertTicks(NiceTicks(lo: 1, hi: 3, target: 8, integerSteps: true), [1, 2, 3], step: 1)
    // One value: widened around it rather than dividing by a zero span.
    let one = NiceTicks(lo: 5, hi: 5, target: 4)
    XCTAssertLessThan(one.lower, 5)
    XCTAssertGreaterThan(one.upper, 5)
    let none = NiceTicks(lo: .nan, hi: .nan, target: 4)
    XCTAssertEqual(none.lower, 0, accuracy: 0)
    XCTAssertEqual(none.upper, 1, accuracy: 0)
  }

  func testLabelsShowTheStepsDecimals() {
    let t = NiceTicks(lo: -0.05, hi: 0.1, target: 3)
    XCTAssertEqual(t.values.map(t.label), ["-0.05", "0.00", "0.05", "0.10"])
    let big = NiceTicks(lo: 0, hi: 40, target: 4)
    XCTAssertEqual(big.values.map(big.label), ["0", "10", "20", "30", "40"])
  }
}
