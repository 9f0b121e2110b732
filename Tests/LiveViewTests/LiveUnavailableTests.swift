// A registry the view cannot read now — newer schema, a migration not applied yet, locked by
// another process, a PostgreSQL server nobody answers at — is a 503 page that says why, never a
// crash; once the registry is back the same server answers 200 again.
import Foundation
import LiveView
import Registry
import TestSupport
import Workbench
import XCTest

final class LiveUnavailableTests: XCTestCase {
  func site(_ location: String) -> LiveSite {
    LiveSite(registry: LiveRegistry(location: location, busyTimeout: 0.5), access: AccessGuard(token: nil))
  }

  func get(_ s: LiveSite, _ path: String) -> LiveResponse {
    let q = path.firstIndex(of: "?")
    return s.respond(
      method: "GET", path: q.map { String(path[..<$0]) } ?? path, query: q.map { String(path[path.index(after: $0)...]) },
      headers: ["host": "127.0.0.1:8080"])
  }

  func registry(_ dir: String) throws -> String {
    let path = dir + "/reg.sqlite"
    let r = try Registry(path: path)
    let h = try r.startRun(RunSpec(name: "r1", kind: "train-landmarks"))
    try h.log("loss", step: 1, value: 1)
    try h.finish()
    try r.close()
    return path
  }

  func sql(_ path: String, _ statement: String) throws {
    let r = try Registry(path: path, options: { var o = RegistryOptions(); o.reapOnOpen = false; return o }())
    try r.write { c in _ = try c.execute(statement) }
    try r.close()
  }

  func testNewerSchemaThenRecovered() throws {
    let path = try registry(try temporaryFolder(self))
    let s = site(path)
    XCTAssertEqual(get(s, "/runs").status, 200)
    try sql(path, "UPDATE registry_info SET value = '99' WHERE key = 'schema_version'")
    // The open handle keeps reading; a fresh one (as after any failure) refuses the newer file.
    let fresh = site(path)
    let r = get(fresh, "/runs")
    XCTAssertEqual(r.status, 503)
    XCTAssertTrue(r.text.contains("The registry is unavailable"), r.text)
    XCTAssertTrue(r.text.contains("newer than this lmlab"), r.text)
    XCTAssertEqual(get(fresh, "/runs/1").status, 503)
    // Put back the way lmlab cannot (it refuses the newer file): with Python's sqlite3.
    let (status, out) = try runPython(
      "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.execute(\"UPDATE registry_info SET value='6' WHERE key='schema_version'\")\nc.commit()",
      path)
    XCTAssertEqual(status, 0, out)
    XCTAssertEqual(get(fresh, "/runs").status, 200, "recovers when the registry is back")
  }

  /// A migration not applied yet (another lmlab migrating it, or an older file): the view does not migrate.
  func testMigrationPendingIsNotApplied() throws {
    let path = try registry(try temporaryFolder(self))
    try sql(path, "DELETE FROM grdb_migrations WHERE identifier = 'v6-paths-relative-to-registry'")
    let s = site(path)
    let r = get(s, "/runs")
    XCTAssertEqual(r.status, 503)
    XCTAssertTrue(r.text.contains("does not migrate"), r.text)
    // Still unmigrated: the view wrote nothing.
    let (status, out) = try runPython(
      "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(c.execute(\"SELECT COUNT(*) FROM grdb_migrations WHERE identifier='v6-paths-relative-to-registry'\").fetchone()[0])",
      path)
    XCTAssertEqual(status, 0, out)
    XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "0")
  }

  func runPython(_ code: String, _ arg: String) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try require(pythonWithSQLite()))
    p.arguments = ["-c", code, arg]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let text = try LineReader(pipe).readToEnd(within: 30, "python")
    p.waitUntilExit()
    return (p.terminationStatus, text)
  }

  func testLockedThenReleased() throws {
    let dir = try temporaryFolder(self)
    let path = try registry(dir)
    // Another process holds the file exclusively (WAL in exclusive locking mode, a write open),
    // taken while nobody else has it open (an open reader would make that process wait instead).
    let python = try require(pythonWithSQLite())
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [
      "-c",
      "import sqlite3,sys,time\nc=sqlite3.connect(sys.argv[1],isolation_level=None)\nc.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
        + "c.execute('BEGIN EXCLUSIVE')\nc.execute(\"UPDATE registry_info SET value=value WHERE key='schema_version'\")\n"
        + "print('locked',flush=True)\ntime.sleep(60)\n",
      path,
    ]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    defer { if p.isRunning { p.terminate() } }
    XCTAssertEqual(try LineReader(pipe).nextLine(within: 20, "python lock holder"), "locked")
    let fresh = site(path)
    let r = get(fresh, "/runs")
    XCTAssertEqual(r.status, 503, r.text)
    XCTAssertTrue(r.text.contains("locked"), r.text)
    p.terminate()
    p.waitUntilExit()
    XCTAssertEqual(get(fresh, "/runs").status, 200, "recovers when the lock is gone")
  }

  func pythonWithSQLite() -> String? {
    ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  func require(_ path: String?) throws -> String {
    guard let path else { throw ProcessFailure("no python3 for the lock holder") }
    return path
  }

  /// A PostgreSQL URL nothing listens on: the server starts, answers 503 pages, stays up.
  func testUnreachablePostgresThroughTheBinary() throws {
    let dir = try temporaryFolder(self)
    let ui = try UIServer(registry: "postgres://lmlab:pw@127.0.0.1:1/nothing", cwd: dir)
    for _ in 0..<2 {
      let r = try rawHTTP(port: ui.port, "GET", "/runs")
      XCTAssertEqual(r.status, 503, r.body)
      XCTAssertTrue(r.body.contains("The registry is unavailable"), r.body)
      XCTAssertTrue(r.body.contains("127.0.0.1:1"), r.body)
      XCTAssertFalse(r.body.contains(":pw@"), "the password is not shown")
    }
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/runs/1/live").status, 503)
    try ui.stop()
  }
}
