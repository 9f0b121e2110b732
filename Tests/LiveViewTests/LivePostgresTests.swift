// `lmlab ui` over a PostgreSQL registry ($LMLAB_TEST_POSTGRES, in a schema of its own, dropped
// after): pages answer, nothing is written (a dead running run stays running), and a registry
// whose schema is behind this build is a 503 page — the view never runs the migration.
import Foundation
import Registry
import TestSupport
import XCTest

final class LivePostgresTests: XCTestCase {
  func testServesPostgresLookingOnlyAndNeverMigrates() throws {
    guard let base = testPostgresURL else { throw componentMissing(.postgres, postgresMissingReason ?? "") }
    let schema = "lmlab_ui_test_\(UUID().uuidString.prefix(8).lowercased())"
    let url = base + (base.contains("?") ? "&" : "?") + "schema=" + schema
    addTeardownBlock {
      if let db = try? PostgresDatabase(url: base) {
        _ = try? db.write { c in try c.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        try? db.close()
      }
    }
    let r = try Registry(path: url, options: { var o = RegistryOptions(); o.reapOnOpen = false; return o }())
    let h = try r.startRun(RunSpec(name: "pg <run>", kind: "train-landmarks"))
    try h.log("loss", step: 1, value: 0.25)
    try h.finish()
    let dead = try r.createRun(RunSpec(name: "dead", kind: "train-landmarks"), status: .queued)
    try r.write { c in
      _ = try c.execute("UPDATE runs SET status = 'running', pid = 999999, heartbeat_at = 1, started_at = 1 WHERE id = ?", dead.id)
    }

    let dir = try temporaryFolder(self)
    let ui = try UIServer(registry: url, cwd: dir)
    let page = try rawHTTP(port: ui.port, "GET", "/runs")
    XCTAssertEqual(page.status, 200, page.body)
    XCTAssertTrue(page.body.contains("pg &lt;run&gt;"))
    XCTAssertEqual(try rawHTTP(port: ui.port, "GET", "/runs/1").status, 200)
    XCTAssertTrue(try rawHTTP(port: ui.port, "GET", "/runs/1/chart?name=loss").body.contains("data-points=\"1\""))
    XCTAssertEqual(try r.run(dead.id).status, .running, "the view marked nothing interrupted")

    // A migration this build knows is missing (another lmlab is migrating it): 503, still missing after.
    try r.write { c in _ = try c.execute("DELETE FROM schema_migrations WHERE identifier = 'v6-paths-relative-to-registry'") }
    let fresh = try UIServer(registry: url, cwd: dir)
    let behind = try rawHTTP(port: fresh.port, "GET", "/runs")
    XCTAssertEqual(behind.status, 503, behind.body)
    XCTAssertTrue(behind.body.contains("does not migrate"), behind.body)
    let still = try r.read { c in try c.int("SELECT COUNT(*) FROM schema_migrations WHERE identifier = 'v6-paths-relative-to-registry'") }
    XCTAssertEqual(still, 0, "the view did not migrate")
    try fresh.stop()
    try ui.stop()
    try r.close()
  }
}
