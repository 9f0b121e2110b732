// The registry handle: opening (with checks that leave foreign, corrupt or newer files
// untouched), WAL + busy timeout, migrations, run creation, leases and interrupted detection.
import Foundation
import GRDB

public struct RegistryOptions: Sendable {
  /// How long a writer waits for another process's write lock before failing.
  public var busyTimeout: TimeInterval = 60
  /// How often a running run's process refreshes `heartbeat_at`.
  public var heartbeatInterval: TimeInterval = 5
  /// A running run whose heartbeat is older than this is marked interrupted.
  public var heartbeatTimeout: TimeInterval = 30
  /// Also mark a running run interrupted at once when it belongs to this host and its pid is gone.
  public var checkLocalProcesses = true
  /// Mark dead runs interrupted every time the registry is opened.
  public var reapOnOpen = true
  /// Create the file when it does not exist (false: `RegistryError.missing`).
  public var createIfMissing = true

  public init() {}

  /// Defaults, with `LMLAB_HEARTBEAT_INTERVAL` / `LMLAB_HEARTBEAT_TIMEOUT` (seconds) applied.
  public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment)
    -> RegistryOptions
  {
    var o = RegistryOptions()
    if let s = env["LMLAB_HEARTBEAT_INTERVAL"], let v = Double(s), v > 0 { o.heartbeatInterval = v }
    if let s = env["LMLAB_HEARTBEAT_TIMEOUT"], let v = Double(s), v > 0 { o.heartbeatTimeout = v }
    return o
  }
}

/// What a new run is: everything recorded at creation.
public struct RunSpec: Sendable {
  public var name: String
  public var kind: String
  public var experiment: String?
  public var parentId: Int64?
  public var configJSON: String
  /// Empty: the registry hashes `configJSON` (SHA-256).
  public var configHash: String
  public var params: [ParamEntry]
  public var seed: Int64?
  public var gitCommit: String?
  public var datasetFingerprint: String?
  public var commandLine: String

  public init(
    name: String, kind: String, experiment: String? = nil, parentId: Int64? = nil,
    configJSON: String = "{}", configHash: String = "", params: [ParamEntry] = [],
    seed: Int64? = nil, gitCommit: String? = nil, datasetFingerprint: String? = nil,
    commandLine: String = CommandLine.arguments.joined(separator: " ")
  ) {
    self.name = name
    self.kind = kind
    self.experiment = experiment
    self.parentId = parentId
    self.configJSON = configJSON
    self.configHash = configHash
    self.params = params
    self.seed = seed
    self.gitCommit = gitCommit
    self.datasetFingerprint = datasetFingerprint
    self.commandLine = commandLine
  }
}

/// One flattened, typed config value as stored in `params`.
public struct ParamEntry: Equatable, Sendable {
  public var key: String
  public var kind: String
  public var text: String
  public var number: Double?

  public static func int(_ key: String, _ v: Int) -> ParamEntry {
    ParamEntry(key: key, kind: "int", text: String(v), number: Double(v))
  }
  public static func float(_ key: String, _ v: Double) -> ParamEntry {
    ParamEntry(key: key, kind: "float", text: formatNumber(v), number: v)
  }
  public static func bool(_ key: String, _ v: Bool) -> ParamEntry {
    ParamEntry(key: key, kind: "bool", text: v ? "true" : "false", number: v ? 1 : 0)
  }
  public static func string(_ key: String, _ v: String) -> ParamEntry {
    ParamEntry(key: key, kind: "string", text: v, number: Double(v))
  }
  public static func list(_ key: String, _ v: [String]) -> ParamEntry {
    ParamEntry(key: key, kind: "list", text: "[" + v.joined(separator: ",") + "]", number: nil)
  }
}

/// Shortest text that reads back as the same Double.
func formatNumber(_ v: Double) -> String {
  if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
  return "\(v)"
}

public final class Registry: @unchecked Sendable {
  public let path: String
  public let options: RegistryOptions
  /// Read-only connections, used while nothing has been written through this handle: a
  /// command that only looks leaves the file byte-for-byte as it was.
  private var readPool: DatabasePool?
  /// Read-write connections, opened at the first write (or at once for a new file).
  private var writePool: DatabasePool?
  private let poolLock = NSLock()
  private let configuration: Configuration
  /// -wal/-shm files absent before a read-only open (removed at close when still empty).
  private var companions: [String] = []
  /// Runs marked interrupted when this handle was opened.
  public private(set) var reapedOnOpen: [Int64] = []

  /// What `inspect` found at a path.
  public enum FileState: Equatable, Sendable {
    /// No file, an empty file, or a SQLite file without tables: becomes a new registry.
    case new
    /// A registry with every migration this build knows.
    case current
    /// A registry missing some of this build's migrations: migrated on open.
    case older
  }

  /// Opens (creating if missing) the registry at `path`. A file that is not a SQLite
  /// database, a foreign SQLite database or a registry from a newer lmlab is refused before
  /// anything is written to it.
  public init(path: String, options: RegistryOptions = RegistryOptions()) throws {
    self.path = path
    self.options = options
    if !options.createIfMissing && !FileManager.default.fileExists(atPath: path) {
      throw RegistryError.missing(path: path)
    }
    let state = try Registry.inspect(path: path)
    var config = Configuration()
    config.busyMode = .timeout(options.busyTimeout)
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
      companions = [path + "-wal", path + "-shm"].filter { !FileManager.default.fileExists(atPath: $0) }
      do {
        readPool = try DatabasePool(path: path, configuration: ro)
      } catch let e as DatabaseError {
        throw RegistryError.cannotOpen(path: path, detail: e.message ?? "\(e.resultCode)")
      }
    } else {
      try migrate(try writer())
    }
    if options.reapOnOpen { reapedOnOpen = try reapInterrupted() }
  }

  /// The read-write pool, opened on first use.
  private func writer() throws -> DatabasePool {
    poolLock.lock()
    defer { poolLock.unlock() }
    if let w = writePool { return w }
    do {
      // Opening in WAL mode writes (GRDB makes sure a -wal file exists): only done here.
      let w = try DatabasePool(path: path, configuration: configuration)
      writePool = w
      return w
    } catch let e as DatabaseError {
      throw RegistryError.cannotOpen(path: path, detail: e.message ?? "\(e.resultCode)")
    }
  }

  private func reader() -> DatabasePool {
    poolLock.lock()
    defer { poolLock.unlock() }
    return writePool ?? readPool!
  }

  /// Checks an existing file without writing to it. Throws if it must not be touched.
  @discardableResult
  public static func inspect(path: String) throws -> FileState {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return .new }
    if isDir.boolValue { throw RegistryError.cannotOpen(path: path, detail: "is a directory") }
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
    config.busyMode = .timeout(10)
    // A read-only look at a WAL file may create empty -wal/-shm companions: removed after.
    let companions = [path + "-wal", path + "-shm"].filter { !fm.fileExists(atPath: $0) }
    defer { removeEmptyCompanions(path: path, companions) }
    do {
      let queue = try DatabaseQueue(path: path, configuration: config)
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
          let unknown = Set(applied).subtracting(RegistrySchema.migrationNames)
          if let newest = unknown.sorted().last {
            throw RegistryError.newerSchema(
              path: path, found: "migration '\(newest)'",
              known: "up to '\(RegistrySchema.migrationNames.last!)'")
          }
        }
        if tables.contains("registry_info"),
          let v = try String.fetchOne(
            db, sql: "SELECT value FROM registry_info WHERE key = 'schema_version'"),
          let n = Int(v), n > RegistrySchema.version
        {
          throw RegistryError.newerSchema(
            path: path, found: "version \(n)", known: "version \(RegistrySchema.version)")
        }
        let complete = Set(RegistrySchema.migrationNames).isSubset(of: applied)
        return complete && appID == RegistrySchema.applicationID ? .current : .older
      }
    } catch let e as DatabaseError {
      throw RegistryError.notADatabase(path: path, detail: e.message ?? "\(e.resultCode)")
    }
  }

  static func removeEmptyCompanions(path: String, _ companions: [String]) {
    let fm = FileManager.default
    let walSize = (try? fm.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
    if walSize != 0 { return }
    for c in companions where fm.fileExists(atPath: c) { try? fm.removeItem(atPath: c) }
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

  // MARK: transactions

  /// A write transaction that takes the write lock up front (BEGIN IMMEDIATE) so the busy
  /// timeout applies and a read never has to be upgraded under contention.
  public func write<T>(_ body: (Database) throws -> T) throws -> T {
    try writer().writeWithoutTransaction { db in
      var result: T?
      try db.inTransaction(.immediate) {
        result = try body(db)
        return .commit
      }
      return result!
    }
  }

  public func read<T>(_ body: (Database) throws -> T) throws -> T {
    try reader().read(body)
  }

  /// Checkpoints the WAL into the main file (so the file alone holds every commit), then
  /// closes the connections.
  public func close() throws {
    poolLock.lock()
    defer { poolLock.unlock() }
    if let w = writePool {
      try? w.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
      try w.close()
    }
    if let r = readPool {
      try r.close()
      Registry.removeEmptyCompanions(path: path, companions)
    }
  }

  /// `PRAGMA integrity_check` rows; `["ok"]` for a sound file.
  public func integrityCheck() throws -> [String] {
    try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
  }

  // MARK: experiments

  /// The experiment with this name, created if missing.
  @discardableResult
  public func experiment(named name: String, description: String = "") throws -> Experiment {
    try write { db in try Registry.experiment(db, named: name, description: description) }
  }

  static func experiment(_ db: Database, named name: String, description: String) throws -> Experiment {
    if let e = try Experiment.filter(Experiment.Columns.name == name).fetchOne(db) { return e }
    let id = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM experiments")) ?? 1
    let e = Experiment(id: id, name: name, description: description, createdAt: Sys.now())
    try e.insert(db)
    return e
  }

  // MARK: runs

  /// Inserts a run in `status` with its params. `queued` runs wait for `claimNextQueued`.
  @discardableResult
  public func createRun(_ spec: RunSpec, status: RunStatus = .queued) throws -> Run {
    try write { db in try insertRun(db, spec, status: status, worker: nil) }
  }

  /// Inserts many runs in one transaction (a sweep's trials, an import). Returns them in order.
  @discardableResult
  public func createRuns(_ specs: [RunSpec], status: RunStatus = .queued) throws -> [Run] {
    try write { db in try specs.map { try insertRun(db, $0, status: status, worker: nil) } }
  }

  func insertRun(_ db: Database, _ spec: RunSpec, status: RunStatus, worker: String?) throws -> Run {
    let expID = try spec.experiment.map { try Registry.experiment(db, named: $0, description: "").id }
    let id = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM runs")) ?? 1
    let now = Sys.now()
    let running = status == .running
    let run = Run(
      id: id, experimentId: expID, name: spec.name, kind: spec.kind, status: status,
      parentId: spec.parentId, configJSON: spec.configJSON,
      configHash: spec.configHash.isEmpty ? SHA256.hex(of: Data(spec.configJSON.utf8)) : spec.configHash,
      seed: spec.seed, gitCommit: spec.gitCommit, datasetFingerprint: spec.datasetFingerprint,
      host: Sys.hostName, pid: running ? Sys.pid : nil, worker: worker,
      commandLine: spec.commandLine, createdAt: now, startedAt: running ? now : nil, endedAt: nil,
      heartbeatAt: running ? now : nil, error: nil, resumeFrom: nil, schedulerJob: running ? Sys.schedulerJob : nil)
    try run.insert(db)
    let stmt = try db.cachedStatement(
      sql: "INSERT INTO params (run_id, key, kind, text, number) VALUES (?, ?, ?, ?, ?)")
    for p in spec.params {
      try stmt.execute(arguments: [id, p.key, p.kind, p.text, p.number])
    }
    return run
  }

  /// Creates a run already running in this process, with a heartbeat.
  public func startRun(_ spec: RunSpec) throws -> RunHandle {
    let token = RunHandle.newWorkerToken()
    let run = try write { db in try insertRun(db, spec, status: .running, worker: token) }
    return RunHandle(registry: self, runId: run.id, worker: token)
  }

  /// Claims the oldest queued run (optionally of one kind) for this process. Exactly one
  /// claimer wins a run: the update only applies while the run is still queued.
  public func claimNextQueued(kind: String? = nil) throws -> RunHandle? {
    try claim { db in
      var sql = "SELECT id FROM runs WHERE status = 'queued'"
      var args: StatementArguments = []
      if let k = kind {
        sql += " AND kind = ?"
        args += [k]
      }
      sql += " ORDER BY id LIMIT 1"
      return try Int64.fetchOne(db, sql: sql, arguments: args)
    }
  }

  /// Claims run `id` if it is queued (nil when another worker got it first or it is not queued).
  public func claimQueued(_ id: Int64) throws -> RunHandle? {
    try claim { db in try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE id = ? AND status = 'queued'", arguments: [id]) }
  }

  /// Moves the run `pick` selects from queued to running under a new worker token.
  func claim(_ pick: @escaping (Database) throws -> Int64?) throws -> RunHandle? {
    let token = RunHandle.newWorkerToken()
    let claimed: Int64? = try write { db in
      guard let id = try pick(db) else { return nil }
      let now = Sys.now()
      try db.execute(
        sql: """
          UPDATE runs SET status = 'running', worker = ?, host = ?, pid = ?, started_at = ?,
            heartbeat_at = ?, ended_at = NULL, error = NULL, scheduler_job = ?
          WHERE id = ? AND status = 'queued'
          """, arguments: [token, Sys.hostName, Sys.pid, now, now, Sys.schedulerJob, id])
      return db.changesCount == 1 ? id : nil
    }
    guard let id = claimed else { return nil }
    return RunHandle(registry: self, runId: id, worker: token)
  }

  /// Marks running runs whose process is gone as interrupted: heartbeat older than the
  /// timeout, or (same host) pid no longer alive. Returns their ids. Cheap when nothing is
  /// running (one indexed read, no write lock).
  @discardableResult
  public func reapInterrupted(now: Double = Date().timeIntervalSince1970) throws -> [Int64] {
    struct Row: Decodable, FetchableRecord {
      var id: Int64
      var host: String
      var pid: Int64?
      var heartbeat_at: Double?
    }
    let running = try read { db in
      try Row.fetchAll(db, sql: "SELECT id, host, pid, heartbeat_at FROM runs WHERE status = 'running'")
    }
    if running.isEmpty { return [] }
    let host = Sys.hostName
    var dead: [(Row, String)] = []
    for r in running {
      if let hb = r.heartbeat_at, hb >= now - options.heartbeatTimeout {
        if options.checkLocalProcesses, r.host == host, let pid = r.pid, !Sys.processAlive(pid) {
          dead.append((r, "process \(pid) on \(host) is gone"))
        }
      } else {
        let age = r.heartbeat_at.map { String(format: "%.0f s", now - $0) } ?? "never"
        dead.append((r, "no heartbeat for \(age) (timeout \(formatNumber(options.heartbeatTimeout)) s)"))
      }
    }
    if dead.isEmpty { return [] }
    return try write { db in
      var marked: [Int64] = []
      for (r, why) in dead {
        // Guarded on the heartbeat we judged by: a run that just beat again is left alone.
        try db.execute(
          sql: """
            UPDATE runs SET status = 'interrupted', ended_at = ?, error = ?
            WHERE id = ? AND status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at <= ?)
            """, arguments: [now, "interrupted: " + why, r.id, r.heartbeat_at ?? now])
        if db.changesCount == 1 { marked.append(r.id) }
      }
      return marked
    }
  }

  public func run(_ id: Int64) throws -> Run {
    guard let r = try read({ db in try Run.fetchOne(db, key: id) }) else {
      throw RegistryError.noSuchRun(id)
    }
    return r
  }

  /// Puts an interrupted or failed run back in the queue, to restart from its latest
  /// checkpoint (recorded in `resume_from`). Returns the updated run.
  @discardableResult
  public func requeue(_ id: Int64) throws -> Run {
    try write { db in
      guard var run = try Run.fetchOne(db, key: id) else { throw RegistryError.noSuchRun(id) }
      switch run.status {
      case .interrupted, .failed: break
      case .queued: return run
      case .running, .finished:
        throw RegistryError.invalidState(
          "run \(id) is \(run.status.rawValue); only interrupted or failed runs can be resumed")
      }
      let latest = try Checkpoint.filter(Checkpoint.Columns.runId == id)
        .order(Checkpoint.Columns.step.desc).fetchOne(db)
      // The attempt that ended counts toward the run's time (to its last sign of life).
      run.earlierSeconds += run.attemptSeconds(now: Sys.now()) ?? 0
      run.resumes += 1
      run.status = .queued
      run.worker = nil
      run.pid = nil
      run.endedAt = nil
      run.heartbeatAt = nil
      run.resumeFrom = latest?.path
      run.error = nil
      try run.update(db)
      return run
    }
  }
}
