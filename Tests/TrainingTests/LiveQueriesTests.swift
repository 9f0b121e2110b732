// The live pages' registry reads (issue 29, compare and sweeps) on a real registry: a sweep of
// five trials queued, claimed and logged the way workers do (three finished, one still running
// with a partial objective, one failed), and runs with series. The sweep's best trial is the one
// `lmlab sweep status` names; the compare page carries each run's params, differing ones
// flagged, and every series' points; unknown run ids and sweep names are errors naming them.
// With $LMLAB_LIVE_PAGES_OUT set, the pages are also written there as standalone HTML (with the
// report's CSS) for a look in a browser.
import Foundation
import Registry
import XCTest

@testable import Reports
@testable import Workbench

final class LiveQueriesTests: XCTestCase {
  var dir = ""
  var registry: Registry!
  var running: RunHandle?
  static let hostile = "<script>alert(1)</script>"
  static let value = "&<>\"'"

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    registry = try Registry(path: dir + "/lmlab.sqlite")
  }

  override func tearDownWithError() throws {
    try running?.finish(.finished)
    try registry.close()
    try? FileManager.default.removeItem(atPath: dir)
  }

  /// Sweep "k-sweep": n_landmarks × learning_rate, ranked by the last keypoint_acc (max). Trial
  /// ids in queue order; returns them.
  func makeSweep() throws -> [Int64] {
    let grid: [(Int, Double)] = [(3, 1e-4), (5, 1e-3), (7, 1e-2), (9, 1e-3), (3, 1e-2)]
    let specs = grid.map { k, lr in
      RunSpec(
        name: "k-sweep[n_landmarks=\(k),learning_rate=\(lr)]", kind: LandmarkTraining.runKind,
        configJSON: "{\"n_landmarks\":\(k),\"learning_rate\":\(lr)}",
        params: [.int("n_landmarks", k), .float("learning_rate", lr), .string("dataset", "synthetic")],
        seed: 1)
    }
    let record = SweepRecord(
      trainer: "landmarks", rankField: "metric.keypoint_acc", rankGoal: .max,
      sweptKeys: ["n_landmarks", "learning_rate"],
      specPath: "k.sweep.yaml", spec: "trainer: landmarks", maxResumes: 1)
    let ids = try registry.queueSweep(name: "k-sweep", record: record, trials: specs).queued.map(\.id)
    // Finished with final accuracies 0.61, 0.83, 0.42 (earlier values higher: the last counts).
    for (id, acc) in zip(ids[0..<3], [0.61, 0.83, 0.42]) {
      let h = try XCTUnwrap(try registry.claimQueued(id))
      for s in 0..<40 { try h.log("loss", step: Int64(s), value: 1 / Double(s + 1)) }
      try h.log("keypoint_acc", step: 20, value: 0.95)
      try h.log("keypoint_acc", step: 40, value: acc)
      try h.finish(.finished)
    }
    // Running with a partial value higher than every finished one: not the best so far.
    let r = try XCTUnwrap(try registry.claimQueued(ids[3]))
    try r.log("keypoint_acc", step: 20, value: 0.99)
    try r.flush()
    running = r
    let f = try XCTUnwrap(try registry.claimQueued(ids[4]))
    try f.finish(.failed, error: "loss is NaN at step 3")
    return ids
  }

  func testSweepPageDataAgreesWithSweepStatus() throws {
    let ids = try makeSweep()
    let status = try SweepStatus.load(try registry.sweep("k-sweep"), registry: registry)
    XCTAssertEqual(status.best?.run.id, ids[1])
    let data = try SweepQueries.data(name: "k-sweep", registry: registry)
    XCTAssertEqual(data.summary.best?.runId, ids[1], "the page's best is the one sweep status names")
    XCTAssertEqual(data.summary.best?.rank ?? .nan, 0.83, accuracy: 1e-12)
    XCTAssertEqual(
      data.summary.trials.map(\.status), ["finished", "finished", "finished", "running", "failed"])
    XCTAssertEqual(data.summary.trials[3].rank ?? .nan, 0.99, accuracy: 1e-12)
    XCTAssertEqual(data.summary.trials[2].values, ["n_landmarks": "7", "learning_rate": "0.01"])
    XCTAssertEqual(data.errors[ids[4]], "loss is NaN at step 3")
    XCTAssertEqual(data.runNames[ids[0]], "k-sweep[n_landmarks=3,learning_rate=0.0001]")
    XCTAssertEqual(
      try SweepQueries.data(name: "\(status.sweep.id)", registry: registry).summary.name, "k-sweep",
      "by id too")
    let body = SweepPage.body(data)
    XCTAssertTrue(body.contains("<p class=\"lv-best\" data-run=\"\(ids[1])\">"), body)
    let summaries = try SweepQueries.summaries(registry: registry)
    XCTAssertEqual(summaries.map(\.name), ["k-sweep"])
    XCTAssertEqual(
      summaries[0].statusCounts.map { "\($0.count) \($0.status)" }, ["3 finished", "1 running", "1 failed"])
    XCTAssertEqual(summaries[0].best?.runId, ids[1])
    try writePage("sweep", body)
    try writePage("sweeps", SweepPage.index(summaries))
  }

  func testUnknownSweepAndRunAreErrorsNamingThem() throws {
    _ = try makeSweep()
    XCTAssertThrowsError(try SweepQueries.data(name: "no-such-sweep", registry: registry)) { e in
      XCTAssertEqual((e as? LiveQueryError)?.kind, .notFound)
      XCTAssertTrue("\(e)".contains("'no-such-sweep'"), "\(e)")
      XCTAssertTrue("\(e)".contains("k-sweep"), "names the sweeps there are: \(e)")
    }
    XCTAssertThrowsError(try CompareQueries.data(ids: [1, 4242], onlyChanged: false, registry: registry)) {
      e in
      XCTAssertEqual((e as? LiveQueryError)?.kind, .notFound)
      XCTAssertTrue("\(e)".contains("no run 4242"), "\(e)")
    }
    XCTAssertThrowsError(try CompareQueries.data(ids: [], onlyChanged: false, registry: registry)) { e in
      XCTAssertEqual((e as? LiveQueryError)?.kind, .badRequest)
    }
  }

  func testCompareDataCarriesParamsMethodsAndSeries() throws {
    let ids = try makeSweep()
    let spec = RunSpec(
      name: Self.hostile, kind: Prediction.runKind, configJSON: "{\"x\":1}",
      params: [.string("predict_method", "lstm"), .string("dataset", Self.value), .int("n_landmarks", 5)])
    let h = try registry.startRun(spec)
    for s in 0..<300 { try h.log("loss", step: Int64(s), value: Double(s % 7)) }
    try h.finish(.finished)
    let data = try CompareQueries.data(
      ids: [ids[0], ids[1], h.runId, ids[0]], onlyChanged: true, registry: registry)
    XCTAssertEqual(data.runs.map(\.id), [ids[0], ids[1], h.runId], "duplicates dropped, order kept")
    XCTAssertEqual(data.runs.map(\.method), [nil, nil, "lstm"])
    XCTAssertEqual(data.runs[2].name, Self.hostile)
    XCTAssertTrue(data.onlyChanged)
    let rows = Dictionary(uniqueKeysWithValues: data.params.map { ($0.key, $0) })
    XCTAssertEqual(rows["n_landmarks"]?.values, ["3", "5", "5"])
    XCTAssertEqual(rows["n_landmarks"]?.differs, true)
    XCTAssertEqual(rows["learning_rate"]?.values, ["0.0001", "0.001", nil])
    XCTAssertEqual(rows["learning_rate"]?.differs, true, "a missing value differs")
    XCTAssertEqual(rows["dataset"]?.values, ["synthetic", "synthetic", Self.value])
    let sameTwo = try CompareQueries.data(ids: [ids[0], ids[2]], onlyChanged: false, registry: registry)
    XCTAssertEqual(
      sameTwo.params.first { $0.key == "dataset" }?.differs, false, "equal values are not flagged")
    XCTAssertEqual(data.series.map(\.name), ["keypoint_acc", "loss"])
    let loss = try XCTUnwrap(data.series.first { $0.name == "loss" })
    XCTAssertEqual(loss.goal, "min")
    XCTAssertEqual(loss.points[h.runId]?.count, 300)
    XCTAssertEqual(loss.points[h.runId]?[10].value, 3)
    XCTAssertEqual(loss.points[ids[1]]?.map(\.step), (0..<40).map(Int64.init))
    XCTAssertNil(data.series[0].points[h.runId], "the prediction run logged no keypoint_acc")
    let body = ComparePage.body(data)
    XCTAssertFalse(body.contains("<script>"))
    XCTAssertTrue(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    XCTAssertTrue(body.contains("&amp;&lt;&gt;&quot;&#39;"))
    try writePage(
      "compare",
      ComparePage.body(
        try CompareQueries.data(ids: data.runs.map(\.id), onlyChanged: false, registry: registry)))
  }

  /// Writes `body` as a standalone page NAME.html (the report's CSS) into $LMLAB_LIVE_PAGES_OUT, when set.
  func writePage(_ name: String, _ body: String) throws {
    guard let out = ProcessInfo.processInfo.environment["LMLAB_LIVE_PAGES_OUT"], !out.isEmpty else { return }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let page =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(name)</title><style>\(HTMLReport.css)</style></head><body>\(body)</body></html>"
    try page.write(toFile: "\(out)/\(name).html", atomically: true, encoding: .utf8)
  }
}
