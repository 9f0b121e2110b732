// `lmlab ui`'s safety, through the built binary: the token (401 without it; ?token= once then a
// cookie; a header), only GET/HEAD (405), paths that try to leave their folders (.., %2e%2e,
// symlinks, absolute) refused with no file content, names escaped, and no write to the registry
// (a dead running run stays as recorded: the view does not reap).
import Foundation
import Registry
import TestSupport
import XCTest

final class LiveSafetyTests: XCTestCase {
  static let secret = "TOPSECRET-4711"
  static let token = "test-token-0123456789abcdef"

  /// A registry in `dir/reg` with: run 1 named `<script>alert(1)</script>` with a PNG artifact
  /// and an artifact that is a symbolic link to a secret outside; run 2 running with a dead
  /// process; a report folder `reg/report` with a symbolic link to the secret inside it.
  func fixture() throws -> (dir: String, registry: String, artifacts: [String: String]) {
    let dir = try temporaryFolder(self)
    let root = dir + "/reg"
    try FileManager.default.createDirectory(atPath: root + "/runs-x/1", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: root + "/report", withIntermediateDirectories: true)
    try LiveSafetyTests.secret.write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
    try "<html><head><title>A report</title></head><body>report body ok</body></html>".write(
      toFile: root + "/report/index.html", atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: root + "/report/leak.txt", withDestinationPath: dir + "/secret.txt")
    let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])
    try png.write(to: URL(fileURLWithPath: root + "/runs-x/1/samples.png"))
    try FileManager.default.createSymbolicLink(atPath: root + "/runs-x/1/leak.png", withDestinationPath: dir + "/secret.txt")
    let path = root + "/reg.sqlite"
    let r = try Registry(path: path)
    let h = try r.startRun(RunSpec(name: "<script>alert(1)</script>", kind: "train-landmarks", params: [.string("note", "<b>x</b>")]))
    try h.log("loss", step: 1, value: 0.5)
    let good = try h.addArtifact(kind: "samples", path: root + "/runs-x/1/samples.png")
    let leak = try h.addArtifact(kind: "samples", path: root + "/runs-x/1/leak.png")
    try h.finish()
    // A run recorded as running by a process that is gone: opening to write would mark it interrupted.
    let dead = try r.createRun(RunSpec(name: "dead", kind: "train-landmarks"), status: .queued)
    try r.write { c in
      _ = try c.execute("UPDATE runs SET status = 'running', pid = 999999, heartbeat_at = 1, started_at = 1 WHERE id = ?", dead.id)
    }
    try r.close()
    return (dir, path, ["good": good.id, "leak": leak.id])
  }

  func testTokenMethodsEscapingAndPaths() throws {
    let f = try fixture()
    let before = try Data(contentsOf: URL(fileURLWithPath: f.registry))
    let ui = try UIServer(registry: f.registry, extra: ["--token", LiveSafetyTests.token], cwd: f.dir)
    XCTAssertTrue(ui.printedURL.hasSuffix("?token=" + LiveSafetyTests.token), ui.printedURL)
    let auth = ["Authorization": "Bearer " + LiveSafetyTests.token]
    func get(_ path: String, _ headers: [String: String] = auth) throws -> HTTPReply { try rawHTTP(port: ui.port, "GET", path, headers: headers) }

    // Token: none → 401 on every page; wrong → 401; ?token= → cookie + redirect without it; cookie → 200.
    for p in ["/runs", "/runs/1", "/reports/report/index.html", "/runs/1/series.csv?name=loss"] {
      XCTAssertEqual(try get(p, [:]).status, 401, p)
    }
    XCTAssertEqual(try get("/runs", ["Authorization": "Bearer wrong-token-0123456789"]).status, 401)
    XCTAssertEqual(try get("/runs?token=wrong-token-0123456789", [:]).status, 401)
    let first = try get("/runs?token=\(LiveSafetyTests.token)&sort=id", [:])
    XCTAssertEqual(first.status, 303)
    XCTAssertEqual(first.headers["location"], "/runs?sort=id")
    let cookie = try XCTUnwrap(first.headers["set-cookie"]).components(separatedBy: ";")[0]
    XCTAssertTrue(first.headers["set-cookie"]!.contains("HttpOnly"))
    XCTAssertEqual(try get("/runs", ["Cookie": cookie]).status, 200)
    XCTAssertEqual(try get("/runs", ["X-LMLab-Token": LiveSafetyTests.token]).status, 200)
    // No open redirect through the token hop.
    XCTAssertEqual(try get("//evil.example/?token=\(LiveSafetyTests.token)", [:]).headers["location"], "/")

    // Only GET and HEAD.
    for m in ["POST", "PUT", "DELETE", "PATCH"] {
      let r = try rawHTTP(port: ui.port, m, "/runs", headers: auth)
      XCTAssertEqual(r.status, 405, m)
    }
    let head = try rawHTTP(port: ui.port, "HEAD", "/runs", headers: auth)
    XCTAssertEqual(head.status, 200)

    // Names and values are text.
    for p in ["/runs", "/runs/1", "/runs/rows"] {
      let body = try get(p).body
      XCTAssertFalse(body.contains("<script>alert(1)</script>"), p)
      XCTAssertTrue(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), p)
    }
    XCTAssertFalse(try get("/runs/1").body.contains("<b>x</b>"))
    XCTAssertTrue(try get("/runs/1").body.contains("&lt;b&gt;x&lt;/b&gt;"))

    // Files: a recorded artifact is served; one that is a symlink out of its folder is not.
    let good = try get("/runs/1/files/artifact/\(f.artifacts["good"]!)")
    XCTAssertEqual(good.status, 200)
    XCTAssertEqual(good.headers["content-type"], "image/png")
    let leak = try get("/runs/1/files/artifact/\(f.artifacts["leak"]!)")
    XCTAssertEqual(leak.status, 403)
    XCTAssertFalse(leak.body.contains(LiveSafetyTests.secret))

    // Reports: the folder's own files, nothing else.
    let report = try get("/reports/report/")
    XCTAssertEqual(report.status, 200)
    XCTAssertTrue(report.body.contains("report body ok"))
    XCTAssertEqual(try get("/reports/report").status, 303, "a folder without its slash redirects")
    XCTAssertTrue(try get("/reports").body.contains("A report"))
    let escapes = [
      "/reports/../secret.txt", "/reports/report/../../secret.txt", "/reports/%2e%2e/secret.txt",
      "/reports/report/%2e%2e/%2e%2e/secret.txt", "/reports/%2E%2E%2Fsecret.txt", "/reports/report/..%2f..%2fsecret.txt",
      "/reports//etc/passwd", "/reports/%2Fetc%2Fpasswd", "/reports/report/leak.txt", "/reports/reg.sqlite",
      "/runs/1/files/artifact/..%2f..%2fsecret.txt", "/runs/1/files/../../../secret.txt", "/reports/%252e%252e/secret.txt",
    ]
    for p in escapes {
      let r = try get(p)
      XCTAssertTrue([403, 404].contains(r.status), "\(p): \(r.status)")
      XCTAssertFalse(r.body.contains(LiveSafetyTests.secret), p)
      XCTAssertFalse(r.body.contains("root:x:0"), p)
      XCTAssertFalse(r.body.contains("SQLite format"), p)
    }

    // A malformed filter is a message on the page, not a 500.
    let bad = try get("/runs?where=" + "status%3D%3D%3D%28")
    XCTAssertEqual(bad.status, 200)
    XCTAssertTrue(bad.body.contains("id=\"filter-error\""), bad.body)
    XCTAssertTrue(bad.body.contains("--where"))

    try ui.stop()
    // Nothing written: the dead run is still `running`, the file unchanged.
    let r = try Registry(path: f.registry, options: .lookingOnly(busyTimeout: 5))
    XCTAssertEqual(try r.run(2).status, .running)
    try r.close()
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: f.registry)), before)
  }

  /// Another address than loopback needs a token: one is made and printed when none is given.
  func testNonLoopbackHostGetsAGeneratedToken() throws {
    let f = try fixture()
    let ui = try UIServer(registry: f.registry, extra: ["--host", "0.0.0.0"], cwd: f.dir)
    let token = try XCTUnwrap(ui.printedURL.components(separatedBy: "?token=").last)
    XCTAssertGreaterThanOrEqual(token.count, 32, ui.printedURL)
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/runs").status, 401)
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/runs", headers: ["Authorization": "Bearer " + token]).status, 200)
    try ui.stop()
  }

  /// On loopback without --token, pages answer with no token.
  func testLoopbackNeedsNoToken() throws {
    let f = try fixture()
    let ui = try UIServer(registry: f.registry, cwd: f.dir)
    XCTAssertFalse(ui.printedURL.contains("token"))
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/runs").status, 200)
    for host in ["localhost:\(ui.port)", "[::1]:\(ui.port)", "127.0.0.2"] {
      XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/runs", headers: ["Host": host]).status, 200, host)
    }
    // DNS rebinding: a page on another domain resolved to 127.0.0.1 sends its own name.
    for host in ["evil.example:\(ui.port)", "127.evil.example", ""] {
      XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/runs", headers: ["Host": host]).status, 401, host)
    }
    // Query parts that are only '=' (or an empty name) are skipped, not a crash.
    for path in ["/runs?=", "/runs?a=1&=", "/compare?=&ids=1", "/runs?=x"] {
      XCTAssertEqual(try rawHTTP(port: ui.port, "GET", path).status, 200, path)
    }
    try ui.stop()
  }
}
