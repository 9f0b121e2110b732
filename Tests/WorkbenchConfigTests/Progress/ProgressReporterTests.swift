// Progress lines: live redraws on a terminal, periodic plain lines otherwise, rate/ETA math.
import Foundation
import XCTest

@testable import Workbench

final class ProgressReporterTests: XCTestCase {
  final class Fake: @unchecked Sendable {
    var now = 0.0
    var out: [String] = []
  }

  func testLiveLineShowsStepRateETAAndLoss() {
    let f = Fake()
    let p = ProgressReporter(
      label: "train", total: 100, style: .live, write: { f.out.append($0) }, clock: { f.now })
    for s in 1...10 {
      f.now += 0.5
      p.update(step: s, loss: 1.0 / Double(s))
    }
    XCTAssertEqual(f.out.last, "\r\u{1B}[2Ktrain  10/100 (10%)  2.00 step/s  ETA 45s  loss 0.1000")
    p.finish()
    XCTAssertEqual(f.out.last, "\r\u{1B}[2Ktrain  10/100 (10%)  2.00 step/s  in 5s  loss 0.1000\n")
  }

  func testPlainLinesArePeriodic() {
    let f = Fake()
    let p = ProgressReporter(
      label: "dyn", total: 1000, style: .plain, write: { f.out.append($0) }, clock: { f.now })
    p.plainInterval = 10
    for s in 1...100 {
      f.now += 1
      p.update(step: s)
    }
    XCTAssertEqual(f.out.count, 10)  // t = 1, 11, 21, ... 91
    XCTAssertTrue(f.out.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
    XCTAssertEqual(f.out[1], "dyn  11/1000 (1%)  1.00 step/s  ETA 16m29s\n")
  }

  /// The case: resumed at 80/120 and 40 steps in 14 s. Before, the first line claimed
  /// 80 steps in no time (162932853 step/s, ETA 0s) and the last 120 steps in 14 s (8.56 step/s).
  func testResumedRunRatesCountOnlyThisProcessesSteps() {
    let f = Fake()
    let p = ProgressReporter(
      label: "train", total: 120, startStep: 80, style: .plain, write: { f.out.append($0) }, clock: { f.now })
    p.plainInterval = 0
    f.now = 0.35
    p.update(step: 81)
    XCTAssertEqual(f.out.last, "train  81/120 (67%)  2.86 step/s  ETA 14s\n")
    for s in 82...120 {
      f.now += 0.35
      p.update(step: s)
    }
    p.finish()
    XCTAssertEqual(f.out.last, "train  120/120 (100%)  2.86 step/s  in 14s  (40 steps after resuming at 80)\n")
  }

  func testFormatting() {
    XCTAssertEqual(ProgressReporter.formatDuration(3725), "1h02m")
    XCTAssertEqual(ProgressReporter.formatDuration(59.4), "59s")
    XCTAssertEqual(ProgressReporter.formatRate(0.25, unit: "step"), "4.00 s/step")
    XCTAssertEqual(ProgressReporter.formatRate(150_000, unit: "point"), "150000 point/s")
    XCTAssertEqual(ProgressReporter.formatLoss(1.5e-6), "1.500e-06")
  }

  func testLogLevelResolution() {
    XCTAssertEqual(LMLabLogging.resolveLevel(verbose: false, environment: [:]), .info)
    XCTAssertEqual(LMLabLogging.resolveLevel(verbose: true, environment: [:]), .debug)
    XCTAssertEqual(
      LMLabLogging.resolveLevel(verbose: false, environment: ["LMLAB_LOG_LEVEL": "TRACE"]), .trace)
  }
}
