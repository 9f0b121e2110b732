// The SQLite backend (GRDB): a registry file in WAL mode with a busy timeout, opened read-only
// until the first write so that a command that only looks leaves the file as it was, and
// checked before anything is written (foreign, corrupt and newer files are left untouched).
// A registry this user cannot write (a read-only file or folder, e.g. a copy on a shared mount)
// is opened for reading — when SQLite cannot make its shared-memory file beside it, as an
// immutable file — and every write is refused with `RegistryError.readOnly`, never mistaken for
// "not a SQLite database".
// NOTE: the -wal and -shm files beside a registry belong to SQLite and to every process that
// has it open: they are never removed here. Removing "empty" ones after a look (as this file
// once did) split processes that had them open onto different shared memory, so two of them
// gave out the same run id and the file was corrupted (ProcessTests).
// NOTE: a handle that wrote copies the WAL into the file when it is closed *or released*
// (deinit). SQLite's own checkpoint when its last connection closes is only a chance: processes
// ending together each still see the other attached, none checkpoints, and their commits stay
// in the -wal alone; the file without it (a copy, or the -wal removed once nobody has it open)
// then lacks those runs and the next runs are given their ids again (ProcessTests).
import Foundation
import GRDB
import SafeIO

final class SQLiteDatabase: SQLDatabase, @unchecked Sendable {
  let path: String
  var dialect: SQLDialect { .sqlite }
  var location: String { path }
  /// Read-only connections, used while nothing has been written through this handle (a queue
  /// on the immutable file when the registry is read-only and SQLite cannot read it in place).
  private var readPool: (any DatabaseReader)?
  /// Read-write connections, opened at the first write (or at once for a new file).
  private var writePool: DatabasePool?
  private let poolLock = NSLock()
  private let configuration: Configuration
  private let busyTimeout: TimeInterval
  /// This user cannot write the file or its folder: reads only.
  let readOnly: Bool

  /// What `inspect` found at a path.
  enum FileState: Equatable, Sendable {
    /// No file, an empty file, or a SQLite file without tables: becomes a new registry.
    case new
    /// A registry with every migration this build knows.
    case current
    /// A registry missing some of this build's migrations: migrated on open.
    case older
  }

  /// `lookOnly`: treated as read-only even when the file is writable (nothing migrated or written).
  init(path: String, busyTimeout: TimeInterval, lookOnly: Bool = false) throws {
    self.path = path
    self.busyTimeout = busyTimeout
    readOnly = lookOnly || SQLiteDatabase.isReadOnly(path)
    // A view that only looks says "locked" after its own short wait, not the 10 s a command waits.
    let state = try SQLiteDatabase.inspect(path: path, busyTimeout: lookOnly ? min(busyTimeout, 10) : 10)
    var config = Configuration()
    config.busyMode = .timeout(busyTimeout)
    config.label = "lmlab.registry"
    config.prepareDatabase { db in
      // WAL + NORMAL survives a killed process (not a power cut) and keeps commits cheap.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
      // Sorts and window functions stay in memory instead of spilling to a temp file.
      try db.execute(sql: "PRAGMA temp_store = MEMORY")
      // Listings touch thousands of pages: read them through a memory map, not one pread each.
      try db.execute(sql: "PRAGMA mmap_size = 1073741824")
    }
    configuration = config
    if state == .current {
      var ro = config
      ro.readonly = true
      do {
        readPool = try DatabasePool(path: path, configuration: ro)
      } catch let e as DatabaseError where readOnly {
        // Without its -shm file and a writable folder, SQLite cannot read a WAL file in place:
        // read the main file as immutable (it holds every checkpointed commit).
        do { readPool = try DatabaseQueue(path: Self.immutableURI(path), configuration: ro) } catch {
          throw RegistryError.cannotOpen(path: path, detail: e.message ?? "\(e.resultCode)")
        }
      } catch let e as DatabaseError {
        throw RegistryError.cannotOpen(path: path, detail: e.message ?? "\(e.resultCode)")
      }
    } else {
      // A new file in a folder that is not there: say so, not "read-only".
      let folder = Paths.folder(of: path)
      if state == .new, !FileManager.default.fileExists(atPath: folder) {
        throw RegistryError.cannotOpen(path: path, detail: "its folder \(folder) does not exist (lmlab creates the file, not the folder)")
      }
      if lookOnly { throw state == .new ? RegistryError.missing(path: path) : RegistryError.schemaNotCurrent(path: path) }
      if readOnly { throw RegistryError.readOnly(path: path, action: state == .new ? "create it" : "bring its schema up to date") }
      try migrate(try writer())
    }
  }

  /// True when this user cannot write the file (or, for a new file, its folder) or the folder
  /// its -wal/-shm files go in.
  static func isReadOnly(_ path: String) -> Bool {
    let folder = SafeIO.Paths.folder(of: path)
    if FileManager.default.fileExists(atPath: path) && access(path, W_OK) != 0 { return true }
    return access(folder, W_OK) != 0
  }

  /// `file:PATH?immutable=1` with the path percent-escaped for SQLite's URI parser.
  static func immutableURI(_ path: String) -> String {
    let abs = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: "?#%")
    return "file:" + (abs.addingPercentEncoding(withAllowedCharacters: allowed) ?? abs) + "?immutable=1"
  }

  /// Maps SQLite's read-only refusals to `RegistryError.readOnly`.
  func mapReadOnly(_ error: Error) -> Error {
    if let e = error as? DatabaseError, e.resultCode.primaryResultCode == .SQLITE_READONLY || (readOnly && e.resultCode.primaryResultCode == .SQLITE_CANTOPEN) {
      return RegistryError.readOnly(path: path, action: "write to it")
    }
    return error
  }

  /// The read-write pool, opened on first use.
  private func writer() throws -> DatabasePool {
    poolLock.lock()
    defer { poolLock.unlock() }
    if let w = writePool { return w }
    if readOnly { throw RegistryError.readOnly(path: path, action: "write to it") }
    do {
      // Opening in WAL mode writes (GRDB makes sure a -wal file exists): only done here.
      let w = try DatabasePool(path: path, configuration: configuration)
      writePool = w
      return w
    } catch let e as DatabaseError {
      if e.resultCode.primaryResultCode == .SQLITE_READONLY { throw RegistryError.readOnly(path: path, action: "write to it") }
      throw RegistryError.cannotOpen(path: path, detail: e.message ?? "\(e.resultCode)")
    }
  }

  private func reader() -> any DatabaseReader {
    poolLock.lock()
    defer { poolLock.unlock() }
    return writePool ?? readPool!
  }

  /// Checks an existing file without writing to it. Throws if it must not be touched.
  @discardableResult
  static func inspect(path: String, busyTimeout: TimeInterval = 10) throws -> FileState {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return .new }
    if isDir.boolValue { throw RegistryError.cannotOpen(path: path, detail: "is a directory") }
    if case .special(let kind) = FileKind.of(path) { throw RegistryError.cannotOpen(path: path, detail: "\(kind), not a registry file") }
    guard let fh = FileHandle(forReadingAtPath: path) else {
      throw RegistryError.cannotOpen(path: path, detail: "not readable")
    }
    let header = fh.readData(ofLength: 16)
    try? fh.close()
    if header.isEmpty { return .new }  // an empty file becomes a new registry
    if header != Data("SQLite format 3\0".utf8) {
      throw RegistryError.notADatabase(path: path, detail: "no SQLite header")
    }
    var config = Configuration()
    config.readonly = true
    config.busyMode = .timeout(busyTimeout)
    do {
      return try inspectTables(path: path, open: path, config: config)
    } catch let e as DatabaseError where isReadOnly(path) {
      // A WAL file SQLite cannot read in place without writing beside it: read it as immutable.
      do { return try inspectTables(path: path, open: immutableURI(path), config: config) } catch let e2 as DatabaseError {
        throw RegistryError.notADatabase(path: path, detail: e2.message ?? e.message ?? "\(e2.resultCode)")
      }
    } catch let e as DatabaseError {
      throw RegistryError.notADatabase(path: path, detail: e.message ?? "\(e.resultCode)")
    }
  }

  /// The state of the registry tables of `open` (a path or an SQLite URI); errors name `path`.
  private static func inspectTables(path: String, open: String, config: Configuration) throws -> FileState {
    let queue = try DatabaseQueue(path: open, configuration: config)
    defer { try? queue.close() }
    return try queue.read { db -> FileState in
      let tables = try String.fetchAll(
        db,
        sql:
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      if tables.isEmpty { return .new }
      let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
      if appID != RegistrySchema.applicationID && !tables.contains("registry_info") {
        throw RegistryError.foreignDatabase(path: path, tables: tables)
      }
      var applied: [String] = []
      if tables.contains("grdb_migrations") {
        applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
      }
      try RegistrySchema.checkNotNewer(
        location: path, applied: applied,
        version: try String.fetchOne(db, sql: "SELECT value FROM registry_info WHERE key = 'schema_version'"))
      let complete = Set(RegistrySchema.migrationNames).isSubset(of: applied)
      return complete && appID == RegistrySchema.applicationID ? .current : .older
    }
  }

  private func migrate(_ pool: DatabasePool) throws {
    let migrator = RegistrySchema.migrator
    // Two processes creating the same new file race in GRDB's migrator (both see no
    // migration applied); the loser fails on an existing table, then sees it done.
    for attempt in 0..<3 {
      do {
        try migrator.migrate(pool)
        break
      } catch {
        let done = (try? pool.read { db in try migrator.hasCompletedMigrations(db) }) ?? false
        if done { break }
        if attempt == 2 { throw error }
        Thread.sleep(forTimeInterval: 0.05)
      }
    }
    let appID = try pool.read { db in try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0 }
    if appID != RegistrySchema.applicationID {
      try pool.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA application_id = \(RegistrySchema.applicationID)")
      }
    }
  }

  /// A write transaction that takes the write lock up front (BEGIN IMMEDIATE) so the busy
  /// timeout applies and a read never has to be upgraded under contention.
  func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
    do {
      return try writer().writeWithoutTransaction { db in
        var result: T?
        try db.inTransaction(.immediate) {
          result = try body(SQLiteConnection(db))
          return .commit
        }
        return result!
      }
    } catch {
      throw mapReadOnly(error)
    }
  }

  func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
    try reader().read { db in try body(SQLiteConnection(db)) }
  }

  /// Checkpoints the WAL into the main file (so the file alone holds every commit this handle
  /// made, and every earlier one), then closes the connections. Throws, after closing, when the
  /// checkpoint could not finish within the busy timeout (the commits are then safe in the -wal
  /// only).
  func close() throws {
    poolLock.lock()
    defer { poolLock.unlock() }
    var unfinished: Error?
    if let w = writePool {
      do { try checkpointAll(w) } catch { unfinished = error }
      try w.close()
      writePool = nil
    }
    if let r = readPool {
      try r.close()
      readPool = nil
    }
    if let unfinished { throw unfinished }
  }

  /// Copies every frame of the WAL into the file and empties it. TRUNCATE waits (busy timeout)
  /// for other processes' writes and reads, but answers "busy" at once while another process
  /// checkpoints (several closing together): tried again until it is done or the busy timeout
  /// has passed. Its first column says whether it gave up: checked, not assumed.
  private func checkpointAll(_ w: DatabasePool) throws {
    let deadline = Date().addingTimeInterval(busyTimeout)
    while true {
      let busy = try w.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
      if busy == 0 { return }
      if Date() > deadline {
        throw RegistryError.invalidState(
          "\(path): other processes kept its write-ahead log busy for \(Int(busyTimeout)) s: the last commits are in \(path)-wal only (keep that file beside it; the next close copies them)")
      }
      Thread.sleep(forTimeInterval: 0.01)
    }
  }

  /// A handle released without `close()` (what commands and workers do when they end) still
  /// leaves its commits in the file.
  deinit { try? close() }

  /// `PRAGMA integrity_check` rows; `["ok"]` for a sound file.
  func integrityCheck() throws -> [String] {
    try reader().read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
  }
}

/// One GRDB connection inside a transaction, seen through `SQLConnection`.
final class SQLiteConnection: SQLConnection {
  let db: Database
  init(_ db: Database) { self.db = db }
  var dialect: SQLDialect { .sqlite }

  private static func arguments(_ values: [SQLValue]) -> StatementArguments {
    StatementArguments(
      values.map { v -> (any DatabaseValueConvertible)? in
        switch v {
        case .null: return nil
        case .int(let i): return i
        case .double(let d): return d
        case .text(let s): return s
        }
      })
  }

  private static func value(_ v: DatabaseValue) -> SQLValue {
    switch v.storage {
    case .null: return .null
    case .int64(let i): return .int(i)
    case .double(let d): return .double(d)
    case .string(let s): return .text(s)
    case .blob(let b): return .text(String(decoding: b, as: UTF8.self))
    }
  }

  private static func row(_ r: Row, _ names: [String]) -> SQLRow {
    SQLRow(columns: names, values: (0..<r.count).map { value(r[$0] as DatabaseValue) })
  }

  func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
    try db.execute(sql: sql, arguments: SQLiteConnection.arguments(arguments))
    return db.changesCount
  }

  func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
    var out: [SQLRow] = []
    try forEachRow(sql, arguments) { out.append($0) }
    return out
  }

  func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
    let stmt = try db.cachedStatement(sql: sql)
    stmt.setUncheckedArguments(SQLiteConnection.arguments(arguments))
    let names = stmt.columnNames
    let rows = try Row.fetchCursor(stmt)
    while let r = try rows.next() { try body(SQLiteConnection.row(r, names)) }
  }

  func insertMany(_ prefix: String, rows: [[SQLValue]], suffix: String) throws {
    guard let width = rows.first?.count else { return }
    let marks = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
    let stmt = try db.cachedStatement(sql: "\(prefix) VALUES \(marks) \(suffix)")
    for r in rows {
      stmt.setUncheckedArguments(SQLiteConnection.arguments(r))
      try stmt.execute()
    }
  }

  /// SQLite holds the database's write lock for the whole write transaction.
  func lockForAllocation(_ table: String) throws {}
}
