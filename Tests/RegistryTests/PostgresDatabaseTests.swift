// PostgresDatabase against a live server named by $LMLAB_TEST_POSTGRES (scripts/dev-cluster.sh starts
// one); the placeholder and URL tests need no server.
import Foundation
import TestSupport
import XCTest

@testable import Registry

final class PostgresDatabaseTests: XCTestCase {
  private struct Planned: Error {}

  private func serverURL() throws -> String {
    guard let url = testPostgresURL else { throw componentMissing(.postgres, postgresMissingReason ?? "") }
    return url
  }

  /// A connection to the test server and a fresh table `name (columns)`, dropped after the test.
  private func database(table columns: String) throws -> (PostgresDatabase, String) {
    let db = try PostgresDatabase(url: try serverURL())
    let table = "lmlab_pgtest_\(getpid())_\(UUID().uuidString.prefix(8).lowercased())"
    _ = try db.write { try $0.execute("CREATE TABLE \(table) (\(columns))") }
    addTeardownBlock {
      _ = try? db.write { try $0.execute("DROP TABLE IF EXISTS \(table)") }
      try? db.close()
    }
    return (db, table)
  }

  /// The test URL with one part replaced.
  private func url(password: String? = nil, port: Int? = nil, database: String? = nil) throws -> String {
    var parts = URLComponents(string: try serverURL())!
    if let password { parts.password = password }
    if let port { parts.port = port }
    if let database { parts.path = "/" + database }
    return parts.string!
  }

  private func openError(_ url: String, timeout: TimeInterval = 10) -> RegistryError? {
    do {
      let db = try PostgresDatabase(url: url, connectTimeout: timeout)
      try? db.close()
      return nil
    } catch {
      return error as? RegistryError
    }
  }

  // MARK: - No server needed

  func testQuestionMarksOutsideLiteralsAndCommentsBecomeNumbered() {
    let (sql, count) = PostgresText.numberingPlaceholders(
      "SELECT ?, 'a?''b?', E'c\\'?', \"d?\" -- e?\n, /* f? */ ? FROM t WHERE x = ? AND date'2020-01-01' < ?")
    XCTAssertEqual(
      sql,
      "SELECT $1, 'a?''b?', E'c\\'?', \"d?\" -- e?\n, /* f? */ $2 FROM t WHERE x = $3 AND date'2020-01-01' < $4"
    )
    XCTAssertEqual(count, 4)
    XCTAssertEqual(PostgresText.numberingPlaceholders("SELECT 1").count, 0)
    // An unterminated literal swallows the rest rather than numbering inside it.
    XCTAssertEqual(PostgresText.numberingPlaceholders("SELECT 'x?").sql, "SELECT 'x?")
  }

  func testURLsAreParsedAndTheirPasswordsMasked() throws {
    let url = try PostgresURL(
      "postgresql://ann:s%40cret@db.example:6543/reg?sslmode=require", environment: [:])
    XCTAssertEqual(url.user, "ann")
    XCTAssertEqual(url.password, "s@cret")
    XCTAssertEqual(url.host, "db.example")
    XCTAssertEqual(url.port, 6543)
    XCTAssertEqual(url.database, "reg")
    XCTAssertEqual(url.sslMode, .require)
    let defaults = try PostgresURL("postgres://ann@127.0.0.1/reg", environment: ["PGPASSWORD": "env"])
    XCTAssertEqual(defaults.port, 5432)
    XCTAssertEqual(defaults.password, "env")
    XCTAssertEqual(defaults.sslMode, .disable)

    XCTAssertEqual(PostgresURL.masked("postgres://ann:pw@h:1/d"), "postgres://ann:***@h:1/d")
    XCTAssertEqual(PostgresURL.masked("postgres://ann:p/w@x@h/d"), "postgres://ann:***@h/d")
    XCTAssertEqual(PostgresURL.masked("postgres://ann@h/d"), "postgres://ann@h/d")

    XCTAssertThrowsError(try PostgresDatabase(url: "mysql://ann:pw@h/d")) { error in
      XCTAssertEqual(
        "\(error)",
        "registry mysql://ann:***@h/d: cannot open (not a postgres:// URL (expected"
          + " postgres://user[:password]@host[:port]/dbname): mysql://ann:***@h/d)")
    }
    XCTAssertThrowsError(try PostgresDatabase(url: "postgres://ann@h/d?sslmode=sometimes")) { error in
      XCTAssertTrue(
        "\(error)".contains("sslmode 'sometimes' is not one of disable, prefer, require"), "\(error)")
    }
  }

  // MARK: - Against the server

  func testInsertManyRoundTripsEveryValueTypeAndNull() throws {
    let (db, table) = try database(table: "id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT")
    let texts = ["", "plain", "it's", "\"quoted\"", "what?", "Zürich ✓", "line\nbreak", "-- not a comment"]
    let doubles = [0.1, -1e300, Double.pi, Double.leastNonzeroMagnitude, -0.0, 1.0]
    let rows: [[SQLValue]] = (0..<5000).map { n in
      [
        .int(Int64(n)),
        n % 7 == 0 ? .null : .int(n == 1 ? Int64.min : n == 2 ? Int64.max : Int64(n * 1_000_003)),
        n % 11 == 0 ? .null : .double(doubles[n % doubles.count] * Double(n)),
        n % 13 == 0 ? .null : .text(texts[n % texts.count] + String(n)),
      ]
    }
    try db.write { try $0.insertMany("INSERT INTO \(table) (id, i, d, t)", rows: rows, suffix: "") }
    let back = try db.read { try $0.query("SELECT id, i, d, t FROM \(table) ORDER BY id") }
    XCTAssertEqual(back.count, rows.count)
    XCTAssertEqual(back.first?.columns, ["id", "i", "d", "t"])
    for (got, want) in zip(back, rows) where got.values != want {
      XCTFail("row \(want[0]): got \(got.values), want \(want)")
      break
    }
    // A repeat with ON CONFLICT as the suffix changes nothing.
    try db.write {
      try $0.insertMany("INSERT INTO \(table) (id, i, d, t)", rows: rows, suffix: "ON CONFLICT DO NOTHING")
    }
    XCTAssertEqual(try db.read { try $0.int("SELECT COUNT(*) FROM \(table)") }, 5000)
  }

  func testInsertManyStaysUnderTheBindLimit() throws {
    // 70 columns x 1,000 rows is 70,000 binds: more than one statement may carry.
    let names = (0..<70).map { "c\($0)" }
    let (db, table) = try database(table: names.map { "\($0) BIGINT" }.joined(separator: ", "))
    let rows: [[SQLValue]] = (0..<1000).map { r in (0..<70).map { c in .int(Int64(r * 100 + c)) } }
    try db.write {
      try $0.insertMany("INSERT INTO \(table) (\(names.joined(separator: ", ")))", rows: rows, suffix: "")
    }
    XCTAssertEqual(
      try db.read { try $0.int("SELECT SUM(c69) FROM \(table)") },
      (0..<1000).reduce(0) { $0 + Int64($1 * 100 + 69) })
  }

  func testQuestionMarkInAStringLiteralIsNotAPlaceholder() throws {
    let (db, table) = try database(table: "id BIGINT, t TEXT")
    try db.write { c in
      XCTAssertEqual(try c.execute("INSERT INTO \(table) VALUES (?, 'why?') -- or not?\n", 1), 1)
      XCTAssertEqual(try c.execute("INSERT INTO \(table) VALUES (?, ?)", 2, "?"), 1)
    }
    let rows = try db.read { try $0.query("SELECT t, 'a?' AS \"b?\" FROM \(table) WHERE id = ?", 1) }
    XCTAssertEqual(rows.map(\.values), [[.text("why?"), .text("a?")]])
    XCTAssertEqual(rows.first?.columns, ["t", "b?"])
  }

  func testExecuteReturnsTheChangedCount() throws {
    let (db, table) = try database(table: "id BIGINT PRIMARY KEY, v BIGINT")
    try db.write { c in
      XCTAssertEqual(try c.execute("INSERT INTO \(table) VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)"), 5)
      XCTAssertEqual(try c.execute("UPDATE \(table) SET v = 1 WHERE id <= ?", 3), 3)
      XCTAssertEqual(try c.execute("DELETE FROM \(table) WHERE id = ?", 5), 1)
      XCTAssertEqual(try c.execute("DELETE FROM \(table) WHERE id = ?", 99), 0)
      XCTAssertEqual(try c.execute("CREATE INDEX ON \(table) (v)"), 0)
      XCTAssertEqual(try c.execute("SELECT * FROM \(table)"), 0)
    }
  }

  func testAThrowingTransactionIsRolledBack() throws {
    let (db, table) = try database(table: "id BIGINT PRIMARY KEY")
    XCTAssertThrowsError(
      try db.write { c -> Void in
        try c.execute("INSERT INTO \(table) VALUES (1)")
        throw Planned()
      }
    ) { XCTAssertTrue($0 is Planned) }
    XCTAssertEqual(try db.read { try $0.int("SELECT COUNT(*) FROM \(table)") }, 0)

    // A server error is one line with the server's words and the statement; the insert before it is undone.
    XCTAssertThrowsError(
      try db.write { c in
        try c.execute("INSERT INTO \(table) VALUES (2)")
        try c.execute("INSERT INTO \(table) VALUES (2)")
      }
    ) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("duplicate key value violates unique constraint"), text)
      XCTAssertTrue(text.contains("Key (id)=(2) already exists"), text)
      XCTAssertTrue(text.contains("INSERT INTO \(table) VALUES (2)"), text)
      XCTAssertFalse(text.contains("\n"), text)
      XCTAssertEqual((error as? PostgresStatementError)?.sqlState, "23505")
    }
    // A body that swallows a failed statement cannot commit what came before it.
    XCTAssertThrowsError(
      try db.write { c in
        try c.execute("INSERT INTO \(table) VALUES (3)")
        _ = try? c.execute("INSERT INTO \(table) VALUES (3)")
      }
    ) { XCTAssertTrue("\($0)".contains("rolled back at COMMIT"), "\($0)") }
    XCTAssertEqual(try db.read { try $0.int("SELECT COUNT(*) FROM \(table)") }, 0)
    // The connection is fine afterwards.
    _ = try db.write { try $0.execute("INSERT INTO \(table) VALUES (4)") }
    XCTAssertEqual(try db.read { try $0.int("SELECT COUNT(*) FROM \(table)") }, 1)
  }

  func testNumericBoolCountAndOtherTypesDecode() throws {
    let (db, table) = try database(table: "i BIGINT, s SMALLINT, f REAL, ok BOOLEAN")
    _ = try db.write { c in
      try c.execute(
        "INSERT INTO \(table) VALUES (1, 1, 0.5, true), (2, 2, 1.5, false), (4, NULL, NULL, NULL)")
    }
    let row = try db.read { c in
      try c.queryOne(
        """
        SELECT SUM(i) AS total, AVG(i) AS mean, COUNT(*) AS n, COUNT(s) AS ns, SUM(s) AS ssum, MAX(f) AS fmax,
          bool_and(ok) AS all_ok, bool_or(ok) AS any_ok, MAX(i)::int4 AS i4, 12.25::numeric AS exact,
          'x'::varchar AS v, 'y'::name AS nm, 'z'::char(3) AS padded, NULL::text AS nothing,
          'pg_class'::regclass::oid AS class_oid
        FROM \(table)
        """)
    }
    let r = try XCTUnwrap(row)
    XCTAssertEqual(r["total"], .double(7))  // numeric
    XCTAssertEqual(try r.int("total"), 7)
    XCTAssertEqual(try r.double("mean"), 7.0 / 3.0, accuracy: 1e-15)
    XCTAssertEqual(r["n"], .int(3))
    XCTAssertEqual(r["ns"], .int(2))
    XCTAssertEqual(r["ssum"], .int(3))  // SUM(int2) is int8
    XCTAssertEqual(r["fmax"], .double(1.5))
    XCTAssertEqual(r["all_ok"], .int(0))
    XCTAssertEqual(try r.bool("any_ok"), true)
    XCTAssertEqual(r["i4"], .int(4))
    XCTAssertEqual(r["exact"], .double(12.25))
    XCTAssertEqual(r["v"], .text("x"))
    XCTAssertEqual(r["nm"], .text("y"))
    XCTAssertEqual(r["padded"], .text("z  "))
    XCTAssertEqual(r["nothing"], .null)
    XCTAssertEqual(r["class_oid"], .int(1259))
    // A type the registry does not read says how to read it instead of returning its binary form.
    XCTAssertThrowsError(try db.read { try $0.query("SELECT now() AS at") }) {
      XCTAssertTrue("\($0)".contains("select it as at::text"), "\($0)")
    }
  }

  func testForEachRowPagesAndAllowsStatementsInBetween() throws {
    let (db, table) = try database(table: "id BIGINT PRIMARY KEY")
    try db.write {
      try $0.insertMany("INSERT INTO \(table) (id)", rows: (0..<2500).map { [.int(Int64($0))] }, suffix: "")
    }
    var seen: [Int64] = []
    try db.read { c in
      try c.forEachRow("SELECT id FROM \(table) WHERE id >= ? ORDER BY id", [.int(10)]) { row in
        seen.append(try row.int("id"))
        if seen.count == 1500 { XCTAssertEqual(try c.int("SELECT COUNT(*) FROM \(table)"), 2500) }
      }
    }
    XCTAssertEqual(seen, Array(10..<2500))
    // Not a query for DECLARE: read whole.
    var returned = 0
    try db.write { c in
      try c.forEachRow("UPDATE \(table) SET id = id + 10000 WHERE id < ? RETURNING id", [.int(5)]) { _ in
        returned += 1
      }
    }
    XCTAssertEqual(returned, 5)
  }

  func testWrongPasswordMissingPortAndMissingDatabaseEachSayWhatIsWrong() throws {
    let user = try PostgresURL(try serverURL()).user
    let badPassword = openError(try url(password: "not-the-password"))
    XCTAssertEqual(badPassword?.detail, "password authentication failed for user \"\(user)\"")
    XCTAssertTrue(
      badPassword.map { "\($0)".contains(":***@") } ?? false, "\(String(describing: badPassword))")
    XCTAssertFalse("\(String(describing: badPassword))".contains("not-the-password"))

    let port = try freePort()
    let host = try PostgresURL(try serverURL()).host
    XCTAssertEqual(openError(try url(port: port))?.detail, "connection refused at \(host):\(port)")

    XCTAssertEqual(
      openError(try url(database: "lmlab_no_such_db"))?.detail, "database \"lmlab_no_such_db\" does not exist"
    )

    for error in [badPassword, openError(try url(port: port))] {
      XCTAssertFalse("\(String(describing: error))".contains("\n"))
    }
  }

  func testAServerThatNeverAnswersTimesOut() throws {
    let (socket, port) = try listeningSocket()  // accepts in the kernel, never speaks
    defer { close(socket) }
    let started = Date()
    let error = openError(try url(port: port), timeout: 1)
    XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    XCTAssertTrue(
      error?.detail.contains("timed out after 1.0 s connecting to") ?? false, "\(String(describing: error))")
  }

  func testTwoDatabasesAllocatingIdsInTwoThreadsNeverCollide() throws {
    let (first, table) = try database(table: "id BIGINT PRIMARY KEY, writer BIGINT NOT NULL")
    let second = try PostgresDatabase(url: try serverURL())
    defer { try? second.close() }
    let errors = Collected()
    let done = DispatchGroup()
    for (writer, db) in [first, second].enumerated() {
      done.enter()
      Thread.detachNewThread {
        defer { done.leave() }
        for _ in 0..<200 {
          do {
            try db.write { c in
              try c.lockForAllocation(table)
              let next = try c.int("SELECT COALESCE(MAX(id), 0) + 1 FROM \(table)") ?? 1
              try c.execute("INSERT INTO \(table) (id, writer) VALUES (?, ?)", next, writer)
            }
          } catch {
            errors.append("\(error)")
          }
        }
      }
    }
    XCTAssertEqual(done.wait(timeout: .now() + 120), .success)
    XCTAssertEqual(errors.items, [])
    let ids = try first.read { try $0.ints("SELECT id FROM \(table) ORDER BY id", []) }
    XCTAssertEqual(ids, Array(1...400))
    let perWriter = try first.read {
      try $0.ints("SELECT COUNT(*) FROM \(table) GROUP BY writer ORDER BY writer", [])
    }
    XCTAssertEqual(perWriter, [200, 200])
  }

  func testALostConnectionIsReplacedAtTheNextTransaction() throws {
    let (db, table) = try database(table: "id BIGINT")
    let other = try PostgresDatabase(url: try serverURL())
    defer { try? other.close() }
    let pid = try XCTUnwrap(try db.read { try $0.int("SELECT pg_backend_pid()") })
    _ = try other.write { try $0.query("SELECT pg_terminate_backend(?::int)", pid) }
    XCTAssertEqual(try db.write { try $0.execute("INSERT INTO \(table) VALUES (1)") }, 1)
    XCTAssertNotEqual(try db.read { try $0.int("SELECT pg_backend_pid()") }, pid)
  }

  func testOneDatabaseSharedByTwoThreadsAndClosedTwice() throws {
    let (db, table) = try database(table: "id BIGINT PRIMARY KEY, beats BIGINT NOT NULL")
    _ = try db.write { try $0.execute("INSERT INTO \(table) VALUES (1, 0)") }
    let done = DispatchGroup()
    for _ in 0..<2 {
      done.enter()
      Thread.detachNewThread {
        defer { done.leave() }
        for _ in 0..<100 { _ = try? db.write { try $0.execute("UPDATE \(table) SET beats = beats + 1") } }
      }
    }
    XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
    XCTAssertEqual(try db.read { try $0.int("SELECT beats FROM \(table)") }, 200)
    _ = try db.write { try $0.execute("DROP TABLE \(table)") }
    try db.close()
    try db.close()
    XCTAssertThrowsError(try db.read { try $0.int("SELECT 1") }) {
      XCTAssertTrue("\($0)".contains("used after close()"), "\($0)")
    }
  }

  // MARK: - Sockets

  /// A port nothing listens on (bound, read back, released).
  private func freePort() throws -> Int {
    let (fd, port) = try boundSocket()
    close(fd)
    return port
  }

  private func listeningSocket() throws -> (Int32, Int) {
    let (fd, port) = try boundSocket()
    guard listen(fd, 8) == 0 else { throw ProcessFailure("listen on a loopback socket: errno \(errno)") }
    return (fd, port)
  }

  private func boundSocket() throws -> (Int32, Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard fd >= 0, ok else { throw ProcessFailure("cannot bind a loopback socket: errno \(errno)") }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
  }
}

/// Lines gathered from several threads.
private final class Collected: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ line: String) {
    lock.lock()
    lines.append(line)
    lock.unlock()
  }
  var items: [String] {
    lock.lock()
    defer { lock.unlock() }
    return lines
  }
}

extension RegistryError {
  /// The detail of a `.cannotOpen`, for assertions.
  fileprivate var detail: String {
    if case .cannotOpen(_, let detail) = self { return detail }
    return "not cannotOpen: \(self)"
  }
}
