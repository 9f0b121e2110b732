// `lmlab ui` safety leftovers, called in-process (LiveSite, AccessGuard, LiveRegistry, the run
// page's progress line): the token hop's redirect stays on this site, report files are served
// sandboxed, a failing request does not close the handle another request is reading through,
// and absurd recorded step totals give a progress line instead of a trap.
import Foundation
import Registry
import TestSupport
import XCTest

@testable import LiveView
@testable import Workbench

final class LiveLeftoversTests: XCTestCase {
  static let token = "test-token-0123456789abcdef"

  /// `?token=` answers a redirect to the same URL without it: always a path on this site, never
  /// one a browser reads as another host ("/\host" and "/%5Chost" are "//host" to it).
  func testTokenRedirectStaysOnThisSite() {
    let guardian = AccessGuard(token: LiveLeftoversTests.token)
    func location(_ path: String, _ query: String = "token=\(LiveLeftoversTests.token)") -> String? {
      if case .setCookie(let l) = guardian.check(method: "GET", path: path, query: query, headers: [:]) { return l }
      return nil
    }
    for evil in [
      "/\\evil.example", "/%5Cevil.example", "/%5cevil.example/x", "//evil.example", "/%2F/evil.example", "/%2f%2fevil",
      "/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/runs\\..\\x", "evil.example", "",
    ] {
      XCTAssertEqual(location(evil), "/", evil.debugDescription)
    }
    XCTAssertEqual(location("/runs/3", "token=\(LiveLeftoversTests.token)&sort=id"), "/runs/3?sort=id")
    XCTAssertEqual(location("/reports/demo%20x/index.html"), "/reports/demo%20x/index.html")
  }

  /// A registry in a fresh folder with a report folder `report` (holding a script) and a run
  /// folder holding an index.html.
  func registryWithReports() throws -> String {
    let dir = try temporaryFolder(self)
    for folder in ["report", "runs-reg/1"] {
      try FileManager.default.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true)
      try "<html><head><title>t</title></head><body><script>fetch('/runs')</script>ok</body></html>".write(
        toFile: dir + "/" + folder + "/index.html", atomically: true, encoding: .utf8)
    }
    let path = dir + "/reg.sqlite"
    try Registry(path: path).close()
    return path
  }

  /// Report folders' files get the sandbox policy run files get: their scripts never run with
  /// the view's origin (no cookie, no reading pages with its rights).
  func testReportFilesAreServedSandboxed() throws {
    let site = LiveSite(registry: LiveRegistry(location: try registryWithReports()), access: AccessGuard(token: nil))
    defer { site.registry.close() }
    for path in ["/reports/report/", "/reports/report/index.html", "/reports/runs-reg/1/index.html"] {
      let r = site.respond(method: "GET", path: path, query: nil, headers: ["host": "127.0.0.1"])
      XCTAssertEqual(r.status, 200, path)
      XCTAssertTrue(r.text.contains("ok"), path)
      let csp = r.headers.filter { $0.0 == "Content-Security-Policy" }.map(\.1)
      XCTAssertEqual(csp, ["sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"], path)
      XCTAssertTrue(csp.first?.hasPrefix("sandbox;") == true, path)
      XCTAssertFalse(csp.first?.contains("script") ?? true, path)
    }
  }

  struct Boom: Error {}

  /// A request that fails drops the shared handle; a request still reading through it goes on
  /// (it was closed under it: "connection closed", a spurious 503), and the next one opens a new
  /// handle.
  func testAFailingRequestDoesNotCloseTheHandleAnotherIsUsing() throws {
    let path = try registryWithReports()
    let w = try Registry(path: path)
    try w.startRun(RunSpec(name: "a", kind: "train-landmarks")).finish()
    try w.close()
    let live = LiveRegistry(location: path)
    defer { live.close() }
    let inside = DispatchSemaphore(value: 0), goOn = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var slow: Result<Int, Error> = .failure(Boom())
    DispatchQueue.global().async {
      slow = Result {
        try live.use { r -> Int in
          inside.signal()
          goOn.wait()
          return try r.listRuns(limit: 0).totalMatching
        }
      }
      done.signal()
    }
    XCTAssertEqual(inside.wait(timeout: .now() + 30), .success)
    XCTAssertThrowsError(try live.use { _ -> Int in throw Boom() }) { XCTAssertTrue($0 is LiveUnavailable, "\($0)") }
    goOn.signal()
    XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
    XCTAssertEqual(try slow.get(), 1, "the slow request failed once another request's failure closed its handle")
    XCTAssertEqual(try live.use { try $0.listRuns(limit: 0).totalMatching }, 1, "a new handle after the failure")
  }

  /// A recorded step total beyond Int64 (≥ 9.2e18), a negative one or NaN, or a total the rate
  /// would take longer than Int seconds to reach: a progress line, not a trap.
  func testAbsurdStepTotalsGiveAProgressLine() throws {
    let path = try registryWithReports()
    let r = try Registry(path: path)
    defer { try? r.close() }
    var lines: [String] = []
    for total in [1e19, -1e19, .nan, .infinity, 9.0e18, 9.3e18] {
      let run = try r.startRun(RunSpec(name: "t\(total)", kind: "train-landmarks", params: [.float("max_steps", total)]))
      try r.write { c in _ = try c.execute("UPDATE runs SET started_at = started_at - 100 WHERE id = ?", run.runId) }
      try run.log("loss", step: 3, value: 1)
      try run.flush()
      let page = try LiveRunQueries.page(run.runId, registry: r)
      let line = try XCTUnwrap(page.0.progress, "\(total)")
      XCTAssertTrue(line.hasPrefix("step 3"), line)
      lines.append(line)
    }
    XCTAssertTrue(lines[4].contains("ETA over 1000 years"), lines[4])
    XCTAssertEqual(RunFormat.duration(.infinity), "-")
    XCTAssertEqual(RunFormat.duration(1e300), "over 1000 years")
    XCTAssertEqual(RunFormat.duration(3_725), "1h02m")
  }
}
