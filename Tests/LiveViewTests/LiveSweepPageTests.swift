// The sweep and compare pages through `lmlab ui` in headless Chromium: a registry holding a
// sweep of three trials (two finished, one running) and their series; the sweeps index names
// the sweep with its counts and best trial, the sweep's page marks that trial best, draws one
// scatter marker per trial with a value and one parallel-coordinates line per trial; when the
// running trial finishes better, a reload names it best. The compare page overlays the runs'
// series and puts their differing parameter first. Unknown names and ids are 404 pages.
import Foundation
import Registry
import TestSupport
import XCTest

final class LiveSweepPageTests: XCTestCase {
  func testSweepAndComparePagesInChromium() throws {
    let chromiumPath = try requireChromium()
    let dir = try temporaryFolder(self)
    let path = dir + "/reg.sqlite"
    let registry = try Registry(path: path)
    let grid = [3, 5, 7]
    let specs = grid.map { k in
      RunSpec(
        name: "k[n_landmarks=\(k)]", kind: "train-landmarks", configJSON: "{\"n_landmarks\":\(k)}",
        params: [.int("n_landmarks", k), .string("dataset", "synthetic")], seed: 1)
    }
    let record = SweepRecord(
      trainer: "landmarks", rankField: "metric.keypoint_acc", rankGoal: .max, sweptKeys: ["n_landmarks"],
      specPath: "k.sweep.yaml", spec: "trainer: landmarks", maxResumes: 1)
    let ids = try registry.queueSweep(name: "k sweep", record: record, trials: specs).queued.map(\.id)
    for (id, acc) in zip(ids[0..<2], [0.61, 0.83]) {
      let h = try XCTUnwrap(try registry.claimQueued(id))
      for s in 0..<30 { try h.log("loss", step: Int64(s), value: acc / Double(s + 1)) }
      try h.log("keypoint_acc", step: 30, value: acc)
      try h.finish(.finished)
    }
    let running = try XCTUnwrap(try registry.claimQueued(ids[2]))
    try running.log("keypoint_acc", step: 10, value: 0.5)
    try running.flush()

    let ui = try UIServer(registry: path, cwd: dir)
    let page = try DevToolsPage(chromiumPath: chromiumPath, profile: dir + "/chromium-profile")
    try page.navigate(ui.base + "/sweeps")
    try page.waitFor("!!document.querySelector('.lv-sweeps')", within: 30, "the sweeps index loads")
    let index = try page.evaluate("document.querySelector('.lv-sweeps').textContent")
    XCTAssertTrue(index.contains("k sweep") && index.contains("0.8300"), index)

    // The sweep's own page, by the link the index gives (its name percent-encoded).
    try page.navigate(ui.base + "/sweeps/k%20sweep")
    try page.waitFor("!!document.querySelector('.lv-best')", within: 30, "the sweep page loads")
    XCTAssertEqual(try page.evaluate("document.querySelector('.lv-best').dataset.run"), "\(ids[1])")
    XCTAssertEqual(try page.evaluate("document.querySelectorAll('svg.scatter-chart circle[data-run]').length"), "3")
    XCTAssertEqual(try page.evaluate("document.querySelectorAll('polyline[data-run]').length"), "3")

    // The running trial finishes best; the page says so once loaded again.
    try running.log("keypoint_acc", step: 30, value: 0.9)
    try running.finish(.finished)
    try page.navigate(ui.base + "/sweeps/k%20sweep")
    try page.waitFor(
      "document.querySelector('.lv-best') && document.querySelector('.lv-best').dataset.run == '\(ids[2])'", within: 30,
      "the finished trial becomes best")

    // Compare two trials: both runs in the table, their loss curves overlaid in one chart, the
    // differing parameter flagged.
    try page.navigate(ui.base + "/compare?ids=\(ids[0]),\(ids[1])")
    try page.waitFor("!!document.querySelector('.lv-compare')", within: 30, "the compare page loads")
    let lossLines = try page.evaluate(
      "[...document.querySelectorAll('[data-run]')].filter(e => e.closest('figure') && e.closest('figure').textContent.includes('loss')).map(e => e.dataset.run).filter((v, i, a) => a.indexOf(v) == i).sort().join(',')")
    XCTAssertEqual(lossLines, "\(ids[0]),\(ids[1])")
    XCTAssertTrue(try page.evaluate("document.querySelector('.lv-compare').textContent").contains("n_landmarks"))

    // Unknown sweep, unknown run, a bad id: pages saying so.
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/sweeps/nope").status, 404)
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/compare?ids=\(ids[0]),999").status, 404)
    let bad = try rawHTTP(port: ui.port, "GET", "/compare?ids=1,x")
    XCTAssertEqual(bad.status, 400)
    XCTAssertTrue(bad.body.contains("&#39;x&#39; in ids=1,x is not a run id"), bad.body)
    try ui.stop()
    try registry.close()
  }
}
