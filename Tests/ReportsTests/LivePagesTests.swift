// The live compare and sweep bodies: well-formed markup with every name and value escaped (a run
// named <script>, a value holding &<>"'), differing parameters flagged and shown first (equal
// ones not, and hidden with only_changed), prediction methods in the report's colours, and the
// sweep's best trial — the finished one with the best objective in the sweep's direction — marked
// in the table, the scatter plots and the parallel coordinates.
import Foundation
import TestSupport
import XCTest

@testable import Reports

#if canImport(FoundationXML)
  import FoundationXML
#endif

final class LivePagesTests: XCTestCase {
  static let hostile = "<script>alert(1)</script>"
  static let value = "&<>\"'"

  func compareData(onlyChanged: Bool = false) -> CompareData {
    let runs = [
      CompareData.RunInfo(id: 3, name: Self.hostile, kind: "train-landmarks", status: "finished"),
      CompareData.RunInfo(id: 8, name: "lstm-run", kind: "predict", status: "running", method: "lstm"),
      CompareData.RunInfo(id: 9, name: "pixel-run", kind: "predict", status: "failed", method: "pixel"),
    ]
    let params = [
      CompareData.ParamRow(key: "batch_size", values: ["8", "8", "8"]),
      CompareData.ParamRow(key: "dataset", values: [Self.value, Self.value, Self.value]),
      CompareData.ParamRow(key: "learning_rate", values: ["0.0001", "0.001", "0.0001"]),
      CompareData.ParamRow(key: "predict_method", values: [nil, "lstm", "pixel"]),
    ]
    let loss = CompareData.Series(
      name: "loss", goal: "min",
      points: [
        3: (0..<50).map { SeriesValue(step: Int64($0), value: 1 / Double($0 + 1)) },
        8: (0..<20).map { SeriesValue(step: Int64($0), value: 2 / Double($0 + 1)) },
        9: (0..<10).map { SeriesValue(step: Int64($0), value: 3 / Double($0 + 1)) },
      ])
    return CompareData(runs: runs, params: params, series: [loss], onlyChanged: onlyChanged)
  }

  /// `body` as an XML tree (fails the test when it is not well-formed).
  func parseBody(_ body: String) throws -> XMLElement {
    try XCTUnwrap(try parseXML("<root>" + body + "</root>").rootElement())
  }

  func testCompareEscapesNamesAndValues() throws {
    let body = ComparePage.body(compareData())
    XCTAssertFalse(body.contains("<script>"), "a run name never becomes markup")
    XCTAssertTrue(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    XCTAssertTrue(body.contains("&amp;&lt;&gt;&quot;&#39;"))
    XCTAssertFalse(body.contains(Self.value))
    let root = try parseBody(body)
    // The parsed text holds the names exactly as given.
    XCTAssertTrue(root.stringValue?.contains(Self.hostile) == true)
    XCTAssertTrue(root.stringValue?.contains(Self.value) == true)
    let sweep = SweepSummary(
      id: 1, name: Self.hostile, trainer: "landmarks", rankField: "metric.keypoint_acc", rankGoal: "max",
      sweptKeys: ["dataset"],
      trials: [
        SweepSummary.Trial(runId: 4, status: "finished", values: ["dataset": Self.value], seed: 1, rank: 0.5)
      ])
    for page in [
      SweepPage.body(SweepPageData(summary: sweep, runNames: [4: Self.hostile])), SweepPage.index([sweep]),
    ] {
      XCTAssertFalse(page.contains("<script>"))
      XCTAssertTrue(page.contains("&amp;&lt;&gt;&quot;&#39;") || page.contains("%3Cscript%3E"))
      _ = try parseBody(page)
    }
    XCTAssertTrue(
      SweepPage.index([sweep]).contains("href=\"/sweeps/%3Cscript%3Ealert%281%29%3C%2Fscript%3E\""))
  }

  func testDifferingParametersAreFlaggedAndShownFirst() throws {
    let data = compareData()
    XCTAssertEqual(
      data.params.filter(\.differs).map(\.key), ["learning_rate", "predict_method"],
      "equal values are not flagged")
    func rows(_ d: CompareData) throws -> [(key: String, changed: Bool)] {
      let root = try parseBody(ComparePage.body(d))
      let table = try XCTUnwrap(root.elements(withClass: "lv-table").dropFirst().first, "the parameter table")
      var out: [(key: String, changed: Bool)] = []
      var stack = [table as XMLElement]
      while let e = stack.popLast() {
        if e.name == "tr", let first = e.child("td") {
          out.append((first.stringValue ?? "", e.string("class") == "changed"))
        }
        stack.append(contentsOf: (e.children ?? []).compactMap { $0 as? XMLElement }.reversed())
      }
      return out
    }
    let all = try rows(data)
    XCTAssertEqual(all.map(\.key), ["learning_rate", "predict_method", "batch_size", "dataset"])
    XCTAssertEqual(all.map(\.changed), [true, true, false, false])
    let only = try rows(compareData(onlyChanged: true))
    XCTAssertEqual(only.map(\.key), ["learning_rate", "predict_method"])
    XCTAssertTrue(ComparePage.body(data).contains("href=\"?ids=3,8,9&amp;only_changed=1#parameters\""))
    XCTAssertTrue(ComparePage.body(compareData(onlyChanged: true)).contains("href=\"?ids=3,8,9#parameters\""))
  }

  func testRunsAreOverlaidInTheReportsMethodColours() throws {
    let root = try parseBody(ComparePage.body(compareData()))
    let lines = root.elements(withClass: "series-line")
    XCTAssertEqual(lines.count, 3, "one line per run on the loss chart")
    var stroke: [String: String] = [:]
    for l in lines { stroke[l.string("data-run")!] = l.string("stroke") }
    // The report's styles: lstm is style 0, pixel style 5 (MethodStyles.known).
    XCTAssertEqual(stroke["8"], ChartStyle.palette(0).color)
    XCTAssertEqual(stroke["9"], ChartStyle.palette(5).color)
    XCTAssertEqual(stroke["3"], ChartStyle.palette(MethodStyles.known.firstIndex(of: "pixel")! + 1).color)
    let names = ComparePage.labels(compareData().runs)
    XCTAssertEqual(names[8]?.label, "lstm")
    XCTAssertEqual(names[3]?.label, "\(Self.hostile) (run 3)")
    // Two runs of one method: named by run, the first keeps the method's style.
    var twice = compareData().runs
    twice[0].method = "lstm"
    let dup = ComparePage.labels(twice)
    XCTAssertEqual(dup[3]?.label, "lstm (run 3)")
    XCTAssertEqual(dup[8]?.label, "lstm (run 8)")
    XCTAssertEqual(dup[3]?.style, 0)
    XCTAssertNotEqual(dup[8]?.style, 0)
  }

  func sweep(goal: String) -> SweepSummary {
    func t(_ id: Int64, _ status: String, _ k: String, _ lr: String, _ rank: Double?) -> SweepSummary.Trial {
      SweepSummary.Trial(
        runId: id, status: status, values: ["n_landmarks": k, "learning_rate": lr], seed: 1, rank: rank)
    }
    return SweepSummary(
      id: 2, name: "k-sweep", trainer: "landmarks", rankField: "metric.keypoint_acc", rankGoal: goal,
      sweptKeys: ["n_landmarks", "learning_rate"],
      trials: [
        t(11, "finished", "3", "0.0001", 0.61), t(12, "finished", "5", "0.001", 0.83),
        t(13, "finished", "7", "0.01", 0.42),
        // A running trial's partial value beats every finished one: not the best so far.
        t(14, "running", "9", "0.001", 0.99), t(15, "failed", "9", "0.01", nil),
        t(16, "queued", "3", "0.01", nil),
      ])
  }

  func testSweepPageMarksTheBestTrialByTheSweepsDirection() throws {
    for (goal, best) in [("max", "12"), ("min", "13")] {
      let s = sweep(goal: goal)
      XCTAssertEqual(s.best?.runId, Int64(best)!)
      let root = try parseBody(SweepPage.body(SweepPageData(summary: s)))
      XCTAssertEqual(root.elements(withClass: "lv-best").first?.string("data-run"), best)
      XCTAssertEqual(root.elements(withClass: "best").filter { $0.name == "tr" }.count, 1)
      let bestPoints = root.elements(withClass: "trial-point").filter { $0.string("class")!.contains("best") }
      XCTAssertEqual(Set(bestPoints.map { $0.string("data-run")! }), [best], "ringed in each scatter plot")
      XCTAssertEqual(bestPoints.count, 2, "one scatter plot per swept parameter")
      XCTAssertEqual(
        root.elements(withClass: "trial-line").count, 6, "every trial in the parallel coordinates")
      XCTAssertEqual(
        root.elements(withClass: "trial-line").filter { $0.string("class")!.contains("best") }.map {
          $0.string("data-run")!
        }, [best])
      // Trials without an objective are not scatter points; the note says how many.
      XCTAssertEqual(root.elements(withClass: "trial-point").count, 2 * 4)
      XCTAssertTrue(
        SweepPage.body(SweepPageData(summary: s)).contains(
          "2 trials have no value of metric.keypoint_acc yet"))
    }
    let index = SweepPage.index([sweep(goal: "max")])
    XCTAssertTrue(index.contains("0.8300 (<a href=\"/runs/12\">run 12</a>)"), index)
    XCTAssertTrue(index.contains("<span class=\"lv-badge status-finished\">finished</span> 3"))
    XCTAssertTrue(index.contains("<span class=\"lv-badge status-failed\">failed</span> 1"))
  }

  func testLongSeriesOnTheComparePageStayFewVertices() throws {
    // Three runs of 100,000 points each: the page draws each through Downsample.
    let runs = (1...3).map {
      CompareData.RunInfo(id: Int64($0), name: "r\($0)", kind: "train-landmarks", status: "finished")
    }
    var points: [Int64: [SeriesValue]] = [:]
    for r in runs {
      var v = (0..<100_000).map { SeriesValue(step: Int64($0), value: Double(r.id) + cos(Double($0) / 500)) }
      v[31_337].value = 100 + Double(r.id)
      points[r.id] = v
    }
    let data = CompareData(
      runs: runs, params: [], series: [CompareData.Series(name: "loss", goal: "min", points: points)],
      onlyChanged: false)
    let start = Date()
    let body = ComparePage.body(data)
    let seconds = Date().timeIntervalSince(start)
    print(
      "compare body, 3 × 100,000 points: \(body.utf8.count) bytes in \(String(format: "%.3f", seconds)) s")
    let root = try parseBody(body)
    let lines = root.elements(withClass: "series-line")
    XCTAssertEqual(lines.count, 3)
    for l in lines {
      let n = l.string("d")!.split(separator: "L").count
      XCTAssertLessThanOrEqual(n, 2 * 600 + 2, "at most two vertices per pixel column")
      let ys = l.string("data-y")!.split(separator: " ").compactMap { Double($0) }
      XCTAssertEqual(ys.max(), 100 + Double(l.string("data-run")!)!, "each run's spike is drawn")
    }
    XCTAssertLessThan(body.utf8.count, 600_000)
  }

  func testSweepsWithoutResultsStillRender() throws {
    let waiting = SweepSummary(
      id: 5, name: "waiting", trainer: "dynamics", rankField: "min.val_loss", rankGoal: "min", sweptKeys: [],
      trials: [1, 2, 3].map {
        SweepSummary.Trial(runId: $0, status: "queued", values: [:], seed: $0, rank: nil)
      })
    XCTAssertNil(waiting.best)
    let root = try parseBody(SweepPage.body(SweepPageData(summary: waiting)))
    XCTAssertEqual(root.elements(withClass: "trial-point").count, 0)
    XCTAssertEqual(root.elements(withClass: "trial-line").count, 3)
    XCTAssertEqual(
      root.elements(withClass: "trial-line").map { $0.string("points")!.split(separator: " ").count },
      [1, 1, 1],
      "seeds-only sweep: each line has its seed's vertex")
    XCTAssertTrue(root.stringValue!.contains("No trial has finished with a value of min.val_loss yet."))
    XCTAssertTrue(root.stringValue!.contains("no trial has an objective value yet"))
    XCTAssertTrue(SweepPage.index([]).contains("No sweeps in this registry yet"))
  }

  /// 24 trials over a discrete, a log-scale and a linear key with two seeds, every status: one
  /// line and (where there is an objective) one marker per trial on every chart. Written to
  /// $LMLAB_LIVE_PAGES_OUT/sweep-grid.html when set, for a look in Chromium.
  func testBiggerSweepDrawsEveryTrialOnEveryChart() throws {
    var trials: [SweepSummary.Trial] = []
    var id: Int64 = 100
    for gan in ["false", "true"] {
      for lr in ["0.0001", "0.001", "0.01"] {
        for k in ["4", "8"] {
          for seed in [Int64(1), 2] {
            id += 1
            let base = 0.5 + (gan == "true" ? 0.1 : 0) + (lr == "0.001" ? 0.15 : 0) + (k == "8" ? 0.05 : 0)
            let status = id % 11 == 0 ? "failed" : id % 7 == 0 ? "running" : id % 9 == 0 ? "queued" : "finished"
            let rank: Double? = status == "failed" || status == "queued" ? nil : base + 0.02 * Double(seed)
            trials.append(
              SweepSummary.Trial(
                runId: id, status: status, values: ["use_gan": gan, "learning_rate": lr, "n_landmarks": k], seed: seed,
                rank: rank))
          }
        }
      }
    }
    let s = SweepSummary(
      id: 9, name: "grid", trainer: "landmarks", rankField: "metric.keypoint_acc", rankGoal: "max",
      sweptKeys: ["use_gan", "learning_rate", "n_landmarks"], trials: trials)
    let body = SweepPage.body(SweepPageData(summary: s, etaSeconds: 754))
    let root = try parseBody(body)
    let withObjective = trials.filter { $0.rank != nil }.count
    XCTAssertEqual(root.elements(withClass: "trial-point").count, 3 * withObjective)
    XCTAssertEqual(root.elements(withClass: "trial-line").count, 24)
    XCTAssertEqual(s.best?.runId, trials.filter { $0.status == "finished" }.max { $0.rank! < $1.rank! }?.runId)
    if let out = ProcessInfo.processInfo.environment["LMLAB_LIVE_PAGES_OUT"], !out.isEmpty {
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      let page = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>\(HTMLReport.css)</style></head><body>\(body)</body></html>"
      try page.write(toFile: out + "/sweep-grid.html", atomically: true, encoding: .utf8)
    }
  }
}
