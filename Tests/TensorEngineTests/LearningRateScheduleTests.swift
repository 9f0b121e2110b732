// LearningRateSchedule: the factor on the base rate at each step.
import XCTest

@testable import TensorEngine

final class LearningRateScheduleTests: XCTestCase {
  func testCosineGoesFromOneToZeroAndConstantStays() {
    XCTAssertEqual(LearningRateSchedule.cosine.factor(step: 0, total: 100), 1, accuracy: 1e-15)
    XCTAssertEqual(LearningRateSchedule.cosine.factor(step: 50, total: 100), 0.5, accuracy: 1e-15)
    XCTAssertEqual(LearningRateSchedule.cosine.factor(step: 25, total: 100), 0.5 * (1 + 0.5.squareRoot()), accuracy: 1e-12)
    XCTAssertEqual(LearningRateSchedule.cosine.factor(step: 100, total: 100), 0, accuracy: 1e-15)
    XCTAssertEqual(LearningRateSchedule.constant.factor(step: 73, total: 100), 1)
    XCTAssertEqual(LearningRateSchedule.names, ["constant", "cosine"])
  }
}
