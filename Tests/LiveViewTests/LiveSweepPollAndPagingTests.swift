// The two leftovers of `lmlab ui`: the sweep page follows its trials without a reload (it polls
// `/sweeps/NAME/live` while a trial is queued or running, in headless Chromium), and the runs
// page reaches every run past the first 500 by `?page=N`, keeping filter and sort (in-process).
import Foundation
import Registry
import TestSupport
import XCTest

@testable import LiveView
@testable import Workbench

final class LiveSweepPollAndPagingTests: XCTestCase {
  /// A sweep of two trials (one finished at 0.6, one running at 0.5): with its page open, the
  /// running trial finishes at 0.9 and the page (never reloaded) names it best, rings its scatter
  /// marker, counts 2 finished, and stops polling.
  func testSweepPageFollowsTrialsWithoutReload() throws {
    let chromiumPath = try requireChromium()
    let dir = try temporaryFolder(self)
    let path = dir + "/reg.sqlite"
    let registry = try Registry(path: path)
    let specs = [3, 5].map { k in
      RunSpec(
        name: "k[n_landmarks=\(k)]", kind: "train-landmarks", configJSON: "{\"n_landmarks\":\(k)}",
        params: [.int("n_landmarks", k)], seed: 1)
    }
    let record = SweepRecord(
      trainer: "landmarks", rankField: "metric.keypoint_acc", rankGoal: .max, sweptKeys: ["n_landmarks"],
      specPath: "k.sweep.yaml", spec: "trainer: landmarks", maxResumes: 1)
    let ids = try registry.queueSweep(name: "poll", record: record, trials: specs).queued.map(\.id)
    let first = try XCTUnwrap(try registry.claimQueued(ids[0]))
    try first.log("keypoint_acc", step: 30, value: 0.6)
    try first.finish(.finished)
    let running = try XCTUnwrap(try registry.claimQueued(ids[1]))
    try running.log("keypoint_acc", step: 10, value: 0.5)
    try running.flush()

    let ui = try UIServer(registry: path, cwd: dir)
    let page = try DevToolsPage(chromiumPath: chromiumPath, profile: dir + "/chromium-profile")
    try page.navigate(ui.base + "/sweeps/poll")
    try page.waitFor("!!document.querySelector('.lv-best')", within: 30, "the sweep page loads")
    XCTAssertEqual(try page.evaluate("document.querySelector('.lv-best').dataset.run"), "\(ids[0])")
    XCTAssertEqual(try page.evaluate("document.getElementById('sweep-live').dataset.live"), "1")
    // A mark on this document: a reload would drop it.
    _ = try page.evaluate("window.__sameDocument = 'yes'")

    try running.log("keypoint_acc", step: 30, value: 0.9)
    try running.finish(.finished)
    try page.waitFor(
      "document.querySelector('.lv-best') && document.querySelector('.lv-best').dataset.run == '\(ids[1])'", within: 30,
      "the page names the finished trial best without a reload")
    XCTAssertEqual(try page.evaluate("window.__sameDocument"), "yes", "the page was not reloaded")
    let counts = try page.evaluate("document.querySelector('#sweep-live p').textContent")
    XCTAssertTrue(counts.contains("finished 2") && !counts.contains("running"), counts)
    XCTAssertEqual(try page.evaluate("document.querySelector('tr.best a').textContent").contains("\(ids[1])"), true)
    XCTAssertEqual(try page.evaluate("document.getElementById('sweep-live').dataset.live"), "0", "nothing left to follow")

    // The fragment alone; a path below it that is not `live` is no page.
    let live = try rawHTTP(port: ui.port, "GET", "/sweeps/poll/live")
    XCTAssertEqual(live.status, 200)
    XCTAssertTrue(live.body.hasPrefix("<section class=\"lv-sweep\" id=\"sweep-live\""), String(live.body.prefix(200)))
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/sweeps/poll/other").status, 404)
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/sweeps/nope/live").status, 404)
    try ui.stop()
    try registry.close()
  }

  /// 523 finished runs and 7 failed ones; filtered to the finished and sorted by id ascending,
  /// page 1 holds 500 rows and links to page 2 with the filter and sort; page 2 holds runs
  /// 501–523 with the right count text; the polled rows follow the page; bad pages are 400s.
  func testRunsPagePagesPastTheFirst500() throws {
    let dir = try temporaryFolder(self)
    let path = dir + "/reg.sqlite"
    let registry = try Registry(path: path)
    let specs = (1...523).map { RunSpec(name: "r\($0)", kind: "train-landmarks") }
    let made = try registry.createRuns(specs, status: .finished).map(\.id)
    _ = try registry.createRuns((1...7).map { RunSpec(name: "bad\($0)", kind: "train-landmarks") }, status: .failed)
    try registry.close()
    XCTAssertEqual(made.count, 523)

    let site = LiveSite(registry: LiveRegistry(location: path), access: AccessGuard(token: nil))
    defer { site.registry.close() }
    func get(_ p: String, _ q: String?) -> LiveResponse {
      site.respond(method: "GET", path: p, query: q, headers: ["host": "127.0.0.1"])
    }
    func runIds(_ html: String) -> [Int64] {
      html.components(separatedBy: "<tr data-run=\"").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
    }
    let filter = "where=status%3Dfinished&sort=id"
    let one = get("/runs", filter)
    XCTAssertEqual(one.status, 200)
    XCTAssertEqual(runIds(one.text), Array(made[0..<500]))
    XCTAssertTrue(one.text.contains("runs 1–500 of 523 matching (page 1 of 2)"), one.text)
    XCTAssertTrue(one.text.contains("href=\"/runs?where=status%3Dfinished&amp;sort=id&amp;page=2\""), "next keeps filter and sort")

    let two = get("/runs", filter + "&page=2")
    XCTAssertEqual(two.status, 200)
    XCTAssertEqual(runIds(two.text), Array(made[500...]))
    XCTAssertTrue(two.text.contains("runs 501–523 of 523 matching (page 2 of 2)"), two.text)
    XCTAssertTrue(two.text.contains("data-src=\"/runs/rows?where=status%3Dfinished&amp;sort=id&amp;page=2\""), "polls its own page")
    XCTAssertTrue(two.text.contains("href=\"/runs?where=status%3Dfinished&amp;sort=id\">‹ previous"), two.text)
    XCTAssertEqual(runIds(get("/runs/rows", filter + "&page=2").text), Array(made[500...]))

    // Past the end: no rows, the total still right; no filter: every run counted.
    let past = get("/runs", filter + "&page=9")
    XCTAssertEqual(runIds(past.text), [])
    XCTAssertTrue(past.text.contains("none of 523 matching runs on page 9 (there are 2)"), past.text)
    XCTAssertTrue(get("/runs", "page=2").text.contains("runs 501–530 of 530 matching (page 2 of 2)"))
    for bad in ["page=0", "page=x", "page=-1"] {
      let r = get("/runs", bad)
      XCTAssertEqual(r.status, 400, bad)
      XCTAssertTrue(r.text.contains("is not a page number"), r.text)
    }
    // A page number whose offset overflows is past the end, not a trap.
    XCTAssertEqual(get("/runs", "page=\(Int.max)").status, 200)
  }
}
