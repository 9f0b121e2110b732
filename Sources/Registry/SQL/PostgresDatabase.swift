// The PostgreSQL backend of the registry's SQL interface (SQLConnection.swift), over postgres-nio.
// Callers are plain synchronous code on their own threads (the CLI's main thread, a run's heartbeat
// thread), never on an event loop, so every statement blocks on its future. One connection per
// database object; a lock lends it to one transaction at a time.
import Foundation
import PostgresNIO

public final class PostgresDatabase: SQLDatabase, @unchecked Sendable {
  public let dialect = SQLDialect.postgres
  /// The URL with its password replaced by `***`.
  public let location: String

  private let url: PostgresURL
  /// What the registry's run folders are named after (`runs-<stem>`): the database, and the schema when one is given.
  var registryStem: String { url.database + (url.schema.map { "-" + $0 } ?? "") }
  private let connectTimeout: TimeInterval
  private let tls: PostgresConnection.Configuration.TLS
  /// Our own single event loop, so close() can shut it down without touching anyone else's.
  private let group: MultiThreadedEventLoopGroup
  // postgres-nio logs only at debug and trace; anything louder should still reach the app's handler.
  private let logger: Logger = {
    var logger = Logger(label: "lmlab.registry.postgres")
    logger.logLevel = .warning
    return logger
  }()

  /// Held for a whole transaction (and by close()). Not recursive: see `acquire()`.
  private let transactionLock = NSLock()
  /// Guards `holder` only, so a nested call can be caught before it would block on `transactionLock`.
  private let holderLock = NSLock()
  private var holder: pthread_t?
  // Guarded by `transactionLock`.
  private var connection: PostgresConnection?
  private var closed = false

  /// Connects at once, so a bad URL, password or server shows up here rather than at first use.
  /// `url` is `postgres://user[:password]@host[:port]/dbname[?sslmode=disable|prefer|require]`.
  public init(url: String, connectTimeout: TimeInterval = 10) throws {
    let shown = PostgresURL.masked(url)
    location = shown
    do {
      self.url = try PostgresURL(url)
      tls = try self.url.sslMode.tls()
    } catch let problem as PostgresURL.Problem {
      throw RegistryError.cannotOpen(path: shown, detail: problem.message)
    }
    self.connectTimeout = connectTimeout
    group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    do {
      connection = try connect()
    } catch {
      closed = true
      try? group.syncShutdownGracefully()
      throw error
    }
  }

  deinit {
    if !closed { try? close() }
  }

  /// A transaction at READ COMMITTED: BEGIN, `body`, COMMIT; ROLLBACK when `body` throws.
  public func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
    try transaction(begin: "BEGIN", body)
  }

  /// A read-only snapshot, so the several statements of one read agree with each other.
  public func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
    try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
  }

  /// Closes the connection and stops the event loop; waits for a transaction in progress. Idempotent.
  public func close() throws {
    acquire()
    defer { release() }
    guard !closed else { return }
    closed = true
    // The connection may already be dead (server restarted): nothing to report then.
    try? connection?.close().wait()
    connection = nil
    try? group.syncShutdownGracefully()
  }

  // MARK: - Transactions

  private func transaction<T>(begin: String, _ body: (SQLConnection) throws -> T) throws -> T {
    acquire()
    defer { release() }
    guard !closed else { throw RegistryError.invalidState("registry \(location): used after close()") }
    var tx = PostgresTransaction(connection: try liveConnection(), logger: logger)
    defer { tx.isOpen = false }
    do {
      try tx.run(begin)
    } catch let error as PostgresStatementError where error.connectionLost {
      // The idle connection is gone (server restarted, backend terminated) and nothing of this
      // transaction has happened yet, so begin it on a new one.
      try? connection?.close().wait()
      connection = nil
      tx = PostgresTransaction(connection: try liveConnection(), logger: logger)
      try tx.run(begin)
    }
    let result: T
    do {
      result = try body(tx)
    } catch {
      // Best effort: if the connection died, the server has already rolled back.
      _ = try? tx.run("ROLLBACK")
      throw error
    }
    // A statement that failed inside `body` (its error caught there) aborts the transaction, and
    // COMMIT then silently rolls back: that must not look like success.
    if try tx.run("COMMIT").metadata.command == "ROLLBACK" {
      throw PostgresStatementError(
        message: "transaction rolled back at COMMIT because a statement in it failed", sql: "COMMIT")
    }
    return result
  }

  /// The connection, reconnecting once if the old one was lost (e.g. the server restarted).
  private func liveConnection() throws -> PostgresConnection {
    if let connection, !connection.isClosed { return connection }
    let fresh = try connect()
    connection = fresh
    return fresh
  }

  /// Takes the transaction lock; a nested write/read/close on this thread stops here with a message
  /// instead of waiting forever for itself.
  private func acquire() {
    let me = pthread_self()
    holderLock.lock()
    let nested = holder.map { pthread_equal($0, me) != 0 } ?? false
    holderLock.unlock()
    precondition(!nested, "PostgresDatabase \(location): write/read/close called inside a write or read body")
    transactionLock.lock()
    holderLock.lock()
    holder = me
    holderLock.unlock()
  }

  private func release() {
    holderLock.lock()
    holder = nil
    holderLock.unlock()
    transactionLock.unlock()
  }

  // MARK: - Connecting

  private func connect() throws -> PostgresConnection {
    var config = PostgresConnection.Configuration(
      host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
      tls: tls)
    config.options.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
    let connection: PostgresConnection
    do {
      connection = try PostgresConnection.connect(on: group.next(), configuration: config, id: 1, logger: logger)
        .wait()
    } catch {
      throw RegistryError.cannotOpen(path: location, detail: connectFailure(error))
    }
    if let schema = url.schema {
      // A registry in its own schema: made on first use, and the session's default for every
      // statement (so the registry's SQL never names it).
      let tx = PostgresTransaction(connection: connection, logger: logger)
      do {
        do { try tx.run("CREATE SCHEMA IF NOT EXISTS \(schema)") } catch let e as PostgresStatementError where e.sqlState == "23505" {
          // Two sessions creating the same schema at once: the loser finds it made.
        }
        try tx.run("SET search_path TO \(schema)")
      } catch {
        try? connection.close().wait()
        throw RegistryError.cannotOpen(path: location, detail: "schema \(schema): \(error)")
      }
    }
    return connection
  }

  /// One line saying why a connection failed, in the server's own words when it gave any.
  private func connectFailure(_ error: Error) -> String {
    let address = "\(url.host):\(url.port)"
    if let psql = error as? PSQLError {
      if let message = psql.serverInfo?[.message] { return PostgresText.oneLine(message) }
      switch psql.code {
      case .connectionError: return networkFailure(psql.underlying, address: address)
      case .sslUnsupported: return "\(address) does not accept SSL (sslmode=\(url.sslMode.rawValue))"
      case .authMechanismRequiresPassword:
        return "the server wants a password for user \"\(url.user)\" (give it in the URL or $PGPASSWORD)"
      case .unsupportedAuthMechanism:
        return "the server at \(address) asks for an authentication method postgres-nio does not support"
      case .serverClosedConnection: return "the server at \(address) closed the connection during startup"
      default: break
      }
      if let underlying = psql.underlying { return networkFailure(underlying, address: address) }
      return "postgres-nio error \(psql.code) connecting to \(address)"
    }
    return networkFailure(error, address: address)
  }

  private func networkFailure(_ error: Error?, address: String) -> String {
    switch error {
    case let channel as ChannelError:
      if case .connectTimeout(let limit) = channel {
        return "timed out after \(Double(limit.nanoseconds) / 1e9) s connecting to \(address)"
      }
      return "cannot connect to \(address): \(channel)"
    case let failure as NIOConnectionError:
      if let first = failure.connectionErrors.first { return networkFailure(first.error, address: address) }
      if failure.dnsAError != nil || failure.dnsAAAAError != nil {
        return "cannot resolve host \"\(url.host)\""
      }
      return "cannot connect to \(address)"
    case let io as IOError:
      // e.g. "connection refused at 127.0.0.1:5999", "network is unreachable at 10.1.2.3:5432"
      let reason = String(cString: strerror(io.errnoCode))
      return "\(reason.prefix(1).lowercased() + reason.dropFirst()) at \(address)"
    case let other?:
      return "cannot connect to \(address): \(PostgresText.oneLine(String(describing: other)))"
    case nil:
      return "cannot connect to \(address)"
    }
  }
}

/// A statement the server refused, or one that could not be sent; one line.
public struct PostgresStatementError: Error, CustomStringConvertible, LocalizedError {
  /// The server's message (or what broke the connection).
  public var message: String
  /// The SQLSTATE, e.g. 23505 (unique violation), 40001 (serialization failure); nil if not from the server.
  public var sqlState: String?
  /// The server's DETAIL line, e.g. "Key (id)=(3) already exists."
  public var detail: String?
  public var sql: String

  public init(message: String, sqlState: String? = nil, detail: String? = nil, sql: String) {
    self.message = message
    self.sqlState = sqlState
    self.detail = detail
    self.sql = sql
  }

  init(_ error: Error, sql: String) {
    self.sql = sql
    guard let psql = error as? PSQLError else {
      message = PostgresText.oneLine(String(describing: error))
      return
    }
    if let info = psql.serverInfo {
      message = info[.message] ?? "server error"
      sqlState = info[.sqlState]
      detail = info[.detail]
    } else if let underlying = psql.underlying {
      message = "\(psql.code): \(PostgresText.oneLine(String(describing: underlying)))"
    } else {
      message = "\(psql.code)"  // e.g. serverClosedConnection, tooManyParameters
    }
  }

  /// The session is gone rather than the statement refused: the connection broke (no SQLSTATE),
  /// class 08 (connection exception) or 57P (the server shutting down or terminating the backend).
  public var connectionLost: Bool {
    guard let sqlState else { return true }
    return sqlState.hasPrefix("08") || sqlState.hasPrefix("57P")
  }

  public var description: String {
    var line = "postgres: " + PostgresText.oneLine(message)
    if let detail { line += " (\(PostgresText.oneLine(detail)))" }
    if let sqlState { line += " [SQLSTATE \(sqlState)]" }
    return line + " in `\(PostgresText.oneLine(sql, limit: 80))`"
  }
  public var errorDescription: String? { description }
}

// MARK: - The connection inside one transaction

final class PostgresTransaction: SQLConnection {
  let dialect = SQLDialect.postgres
  private let connection: PostgresConnection
  private let logger: Logger
  /// False once the transaction has ended: a body must not keep the connection it was given.
  var isOpen = true
  private var cursors = 0

  /// The protocol's limit (a 16-bit count of parameters).
  static let maxBinds = Int(UInt16.max)
  /// Beyond about this many rows a longer statement stops saving time and only costs memory.
  static let maxRowsPerInsert = 1000
  /// Rows fetched per round trip by forEachRow.
  static let pageSize = 1000

  init(connection: PostgresConnection, logger: Logger) {
    self.connection = connection
    self.logger = logger
  }

  @discardableResult func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
    PostgresTransaction.rowsChanged(try run(sql, arguments).metadata)
  }

  func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
    try PostgresTransaction.sqlRows(try run(sql, arguments).rows, sql: sql)
  }

  /// Pages through a cursor, so the rows are never all held and `body` may run statements of its own.
  func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
    // DECLARE takes only a query; anything else (say, UPDATE ... RETURNING) is read whole.
    guard PostgresText.isQuery(sql) else { return try query(sql, arguments).forEach(body) }
    cursors += 1
    let cursor = "lmlab_rows_\(cursors)"
    try run("DECLARE \(cursor) NO SCROLL CURSOR FOR \(sql)", arguments)
    do {
      while true {
        let page = try PostgresTransaction.sqlRows(
          try run("FETCH FORWARD \(PostgresTransaction.pageSize) FROM \(cursor)").rows, sql: sql)
        for row in page { try body(row) }
        if page.count < PostgresTransaction.pageSize { break }
      }
    } catch {
      _ = try? run("CLOSE \(cursor)")  // fails harmlessly if a FETCH already aborted the transaction
      throw error
    }
    try run("CLOSE \(cursor)")
  }

  func insertMany(_ prefix: String, rows: [[SQLValue]], suffix: String) throws {
    guard let width = rows.first?.count else { return }
    precondition(
      width > 0 && rows.allSatisfy { $0.count == width }, "insertMany: rows must have one width > 0")
    let rowsPerStatement = min(PostgresTransaction.maxRowsPerInsert, PostgresTransaction.maxBinds / width)
    let shownSQL = "\(prefix) VALUES (...) \(suffix)"
    var start = 0
    while start < rows.count {
      let end = min(start + rowsPerStatement, rows.count)
      var sql = prefix + " VALUES "
      var binds = PostgresBindings(capacity: (end - start) * width)
      var n = 0
      for r in start..<end {
        sql += r == start ? "(" : ",("
        for (c, value) in rows[r].enumerated() {
          n += 1
          sql += c == 0 ? "$\(n)" : ",$\(n)"
          PostgresTransaction.bind(value, to: &binds)
        }
        sql += ")"
      }
      if !suffix.isEmpty { sql += " " + suffix }
      try send(PostgresQuery(unsafeSQL: sql, binds: binds), shownSQL: shownSQL)
      start = end
    }
  }

  func lockForAllocation(_ table: String) throws {
    try run("SELECT pg_advisory_xact_lock(hashtext(?))", [.text(table)])
  }

  // MARK: Statements

  @discardableResult
  func run(_ sql: String, _ arguments: [SQLValue] = []) throws -> PostgresQueryResult {
    let (numbered, placeholders) = PostgresText.numberingPlaceholders(sql)
    guard placeholders == arguments.count else {
      throw PostgresStatementError(
        message: "\(placeholders) placeholders but \(arguments.count) arguments", sql: sql)
    }
    var binds = PostgresBindings(capacity: arguments.count)
    for value in arguments { PostgresTransaction.bind(value, to: &binds) }
    return try send(PostgresQuery(unsafeSQL: numbered, binds: binds), shownSQL: sql)
  }

  @discardableResult
  private func send(_ query: PostgresQuery, shownSQL: String) throws -> PostgresQueryResult {
    precondition(isOpen, "SQLConnection used after its write/read returned")
    do {
      return try connection.query(query, logger: logger).wait()
    } catch {
      throw PostgresStatementError(error, sql: shownSQL)
    }
  }

  static func bind(_ value: SQLValue, to binds: inout PostgresBindings) {
    switch value {
    case .null: binds.appendNull()  // untyped: the server infers it from where it stands
    case .int(let v): binds.append(v)  // int8
    case .double(let v): binds.append(v)  // float8
    case .text(let s): binds.append(s)
    }
  }

  /// From the command tag: "INSERT 0 5", "UPDATE 3", "DELETE 1", "MERGE 2"; 0 for anything else.
  static func rowsChanged(_ metadata: PostgresQueryMetadata) -> Int {
    switch metadata.command {
    case "INSERT", "UPDATE", "DELETE": return metadata.rows ?? 0
    case let tag where tag.hasPrefix("MERGE "): return Int(tag.dropFirst(6)) ?? 0
    default: return 0
    }
  }

  // MARK: Decoding

  static func sqlRows(_ rows: [PostgresRow], sql: String) throws -> [SQLRow] {
    guard let first = rows.first else { return [] }
    let columns = first.map(\.columnName)  // one array shared by every row
    return try rows.map { row in
      SQLRow(columns: columns, values: try row.map { try value(of: $0, sql: sql) })
    }
  }

  /// Results arrive in binary format, so each type is read by what it is, never by its text.
  static func value(of cell: PostgresCell, sql: String) throws -> SQLValue {
    guard var bytes = cell.bytes else { return .null }
    do {
      switch cell.dataType {
      case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
      case .oid:
        guard let oid = bytes.readInteger(as: UInt32.self) else { break }
        return .int(Int64(oid))
      case .float4, .float8: return .double(try cell.decode(Double.self))
      case .numeric:
        // SUM and AVG of integers are numeric; its decimal text is exact, the Double nearest to it.
        let decimal = try cell.decode(Decimal.self)
        guard let v = Double(decimal.description) else { break }
        return .double(v)
      case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
      case .text, .varchar, .name, .bpchar, .char, .unknown, .json, .jsonb, .xml, .uuid:
        return .text(try cell.decode(String.self))
      case let type where type.rawValue < 16384:
        // Built-in types such as timestamptz or bytea are binary here, and that is not text.
        throw PostgresStatementError(
          message: "column '\(cell.columnName)' is of type \(type), which the registry does not read;"
            + " select it as \(cell.columnName)::text", sql: sql)
      default:
        return .text(try cell.decode(String.self))  // user-defined types: enums and the like are text
      }
    } catch let error as PostgresStatementError {
      throw error
    } catch {
      // PostgresDecodingError's description is deliberately vague; say which column it was.
    }
    throw PostgresStatementError(
      message: "column '\(cell.columnName)': cannot read \(bytes.readableBytes) bytes as \(cell.dataType)",
      sql: sql)
  }
}

// MARK: - SQL text

enum PostgresText {
  /// Rewrites the registry's `?` placeholders as `$1, $2, ...`, leaving alone any `?` inside
  /// 'strings' (and E'strings'), "identifiers", -- line comments and /* block comments */.
  static func numberingPlaceholders(_ sql: String) -> (sql: String, count: Int) {
    let input = Array(sql.utf8)
    guard input.contains(UInt8(ascii: "?")) else { return (sql, 0) }
    let quote = UInt8(ascii: "'")
    let doubleQuote = UInt8(ascii: "\"")
    let backslash = UInt8(ascii: "\\")
    let newline = UInt8(ascii: "\n")
    let dash = UInt8(ascii: "-")
    let slash = UInt8(ascii: "/")
    let star = UInt8(ascii: "*")
    var output: [UInt8] = []
    output.reserveCapacity(input.count + 16)
    var count = 0
    var i = 0
    while i < input.count {
      let c = input[i]
      let next: UInt8 = i + 1 < input.count ? input[i + 1] : 0
      // Where the literal or comment starting at i ends (exclusive); nil for ordinary text.
      var end: Int? = nil
      if c == quote || c == doubleQuote {
        // In E'...' a backslash escapes the next byte; a doubled '' just closes and reopens.
        let escapes =
          c == quote && i > 0 && input[i - 1] | 0x20 == UInt8(ascii: "e")
          && !(i > 1 && isWordByte(input[i - 2]))
        var j = i + 1
        while j < input.count, input[j] != c { j += escapes && input[j] == backslash ? 2 : 1 }
        end = j + 1
      } else if c == dash, next == dash {
        var j = i + 2
        while j < input.count, input[j] != newline { j += 1 }
        end = j + 1
      } else if c == slash, next == star {
        var j = i + 2
        while j + 1 < input.count, !(input[j] == star && input[j + 1] == slash) { j += 1 }
        end = j + 2
      }
      if let end {
        let stop = min(end, input.count)
        output.append(contentsOf: input[i..<stop])
        i = stop
      } else if c == UInt8(ascii: "?") {
        count += 1
        output.append(contentsOf: Array("$\(count)".utf8))
        i += 1
      } else {
        output.append(c)
        i += 1
      }
    }
    return (String(decoding: output, as: UTF8.self), count)
  }

  private static func isWordByte(_ b: UInt8) -> Bool {
    b == UInt8(ascii: "_") || (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a)
      || b >= 0x80
  }

  /// Whether `sql` is a query DECLARE CURSOR accepts (SELECT, VALUES, TABLE, WITH).
  static func isQuery(_ sql: String) -> Bool {
    let word = sql.drop { $0.isWhitespace || $0 == "(" }.prefix { $0.isLetter }.lowercased()
    return ["select", "values", "table", "with"].contains(word)
  }

  /// Newlines and runs of spaces folded into one space, cut to `limit` characters with "...".
  static func oneLine(_ text: String, limit: Int = 300) -> String {
    let folded = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    return folded.count <= limit ? folded : String(folded.prefix(limit)) + "..."
  }
}

// MARK: - URLs

/// `postgres://user[:password]@host[:port]/dbname[?sslmode=...&schema=...]`, also `postgresql://`.
struct PostgresURL {
  var user: String
  var password: String?
  var host: String
  var port: Int
  var database: String
  var sslMode: SSLMode
  /// `?schema=NAME`: the registry's tables live in this schema (created when missing).
  var schema: String?

  struct Problem: Error {
    var message: String
  }

  /// The libpq modes that make sense without certificates of our own. The default is `disable`:
  /// the registry's server is normally on loopback.
  enum SSLMode: String, CaseIterable {
    case disable, prefer, require
    case verifyCA = "verify-ca"
    case verifyFull = "verify-full"

    func tls() throws -> PostgresConnection.Configuration.TLS {
      if self == .disable { return .disable }
      var config = TLSConfiguration.makeClientConfiguration()
      // Like libpq: prefer and require encrypt without checking who is at the other end.
      switch self {
      case .verifyFull: config.certificateVerification = .fullVerification
      case .verifyCA: config.certificateVerification = .noHostnameVerification
      default: config.certificateVerification = .none
      }
      let context: NIOSSLContext
      do {
        context = try NIOSSLContext(configuration: config)
      } catch {
        throw Problem(message: "cannot set up TLS: \(PostgresText.oneLine(String(describing: error)))")
      }
      return self == .prefer ? .prefer(context) : .require(context)
    }
  }

  init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    let shown = PostgresURL.masked(text)
    let expected = "not a postgres:// URL (expected postgres://user[:password]@host[:port]/dbname): \(shown)"
    guard let parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased(),
      scheme == "postgres" || scheme == "postgresql"
    else { throw Problem(message: expected) }
    guard let user = parts.user, !user.isEmpty else { throw Problem(message: "no user in \(shown)") }
    var host = parts.host ?? ""
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }  // [::1]
    guard !host.isEmpty else { throw Problem(message: "no host in \(shown)") }
    self.user = user
    self.host = host
    password = parts.password ?? environment["PGPASSWORD"]
    port = parts.port ?? 5432
    let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
    database = path.isEmpty ? user : path  // libpq's default too
    sslMode = .disable
    for item in parts.queryItems ?? [] {
      switch item.name {
      case "sslmode":
        guard let mode = SSLMode(rawValue: item.value ?? "") else {
          let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
          throw Problem(message: "sslmode '\(item.value ?? "")' is not one of \(modes)")
        }
        sslMode = mode
      case "schema":
        let name = item.value ?? ""
        let ok = name.first.map { $0 == "_" || ($0.isASCII && $0.isLowercase) } == true
          && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) } && name.count <= 63
        guard ok else {
          throw Problem(message: "schema '\(name)' is not a plain lower-case name (a-z, 0-9, _; at most 63) in \(shown)")
        }
        schema = name
      default:
        throw Problem(
          message: "unknown URL parameter '\(item.name)' (only sslmode and schema are understood) in \(shown)")
      }
    }
  }

  /// The URL as given, with whatever stands between `user:` and the last `@` replaced by `***`.
  static func masked(_ url: String) -> String {
    guard let scheme = url.range(of: "://") else { return url }
    let rest = url[scheme.upperBound...]
    // The last @: an unescaped @ in a password must not leave half of it showing.
    guard let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return url }
    return String(url[..<rest.index(after: colon)]) + "***" + String(url[at...])
  }
}
