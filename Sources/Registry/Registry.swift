// The registry handle: opening (with checks that leave foreign, corrupt or newer files
// untouched), WAL + busy timeout, migrations, run creation, leases and interrupted detection.
import Foundation

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
  /// Look only (`lmlab ui`): never write, never migrate, never mark runs interrupted. A registry
  /// whose schema is not this build's is refused (`RegistryError.readOnly` / `.newerSchema`)
  /// instead of being brought up to date; every write through the handle is refused.
  public var lookOnly = false

  public init() {}

  /// Options for a handle that only looks: no creation, no reaping, no migration, no writes.
  public static func lookingOnly(busyTimeout: TimeInterval) -> RegistryOptions {
    var o = RegistryOptions()
    o.lookOnly = true
    o.createIfMissing = false
    o.reapOnOpen = false
    o.busyTimeout = busyTimeout
    return o
  }

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
  /// Where the registry is: a SQLite file path, or a PostgreSQL URL with its password hidden.
  public let path: String
  public let options: RegistryOptions
  let database: SQLDatabase
  /// Where relative stored file paths are rooted, and where runs keep their folders (FileRoot.swift).
  public let fileRoot: FileRoot
  /// Runs marked interrupted when this handle was opened.
  public private(set) var reapedOnOpen: [Int64] = []

  /// `postgres://` / `postgresql://` URLs name a PostgreSQL database; anything else is a file.
  public static func isPostgresURL(_ location: String) -> Bool {
    location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
  }

  /// Opens (creating if missing) the registry at `path`: a SQLite file, or a PostgreSQL database
  /// when `path` is a `postgres://` URL. A file or database that is not a registry, or a
  /// registry from a newer lmlab, is refused before anything is written to it.
  public init(path location: String, options: RegistryOptions = RegistryOptions()) throws {
    self.options = options
    if Registry.isPostgresURL(location) {
      let pg = try PostgresDatabase(url: location, connectTimeout: options.lookOnly ? min(options.busyTimeout, 10) : 10)
      do {
        if options.lookOnly { try RegistrySchema.checkPostgresCurrent(pg) } else { try RegistrySchema.migratePostgres(pg) }
      } catch {
        try? pg.close()
        throw error
      }
      database = pg
      path = pg.location
      fileRoot = try Registry.fileRoot(location: location, database: pg, postgresStem: pg.registryStem)
    } else {
      if !options.createIfMissing && !FileManager.default.fileExists(atPath: location) {
        throw RegistryError.missing(path: location)
      }
      database = try SQLiteDatabase(path: location, busyTimeout: options.busyTimeout, lookOnly: options.lookOnly)
      path = location
      fileRoot = try Registry.fileRoot(location: location, database: database, postgresStem: nil)
    }
    // Once per pre-v6 registry: paths stored relative to the working folder move to the root.
    if !options.lookOnly {
      do { try Registry.rebaseLegacyPaths(database, root: fileRoot) } catch RegistryError.readOnly {}
    }
    if options.reapOnOpen && !options.lookOnly {
      // A read-only registry is looked at as it is: runs whose process died stay `running` in it.
      do { reapedOnOpen = try reapInterrupted() } catch RegistryError.readOnly {}
    }
  }

  /// Which engine holds this registry.
  public var dialect: SQLDialect { database.dialect }

  // MARK: transactions

  /// A write transaction (SQLite takes the write lock up front; PostgreSQL runs READ COMMITTED
  /// with row locks). Rolled back when `body` throws.
  public func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
    if options.lookOnly { throw RegistryError.readOnly(path: path, action: "write to it (opened to look only)") }
    return try database.write(body)
  }

  public func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
    try database.read(body)
  }

  /// Closes the connections (SQLite: after checkpointing the WAL into the file).
  public func close() throws {
    try database.close()
  }

  /// `["ok"]` for a sound registry. SQLite: `PRAGMA integrity_check`. PostgreSQL (whose server
  /// keeps pages sound): every row's run, experiment and parent exist and no run has two
  /// leases — the relations the registry relies on.
  public func integrityCheck() throws -> [String] {
    if let sqlite = database as? SQLiteDatabase { return try sqlite.integrityCheck() }
    return try read { c in
      var problems: [String] = []
      for table in ["params", "series_points", "series_summaries", "checkpoints", "frame_scores", "artifacts"] {
        let n = try c.int("SELECT COUNT(*) FROM \(table) t WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = t.run_id)") ?? 0
        if n > 0 { problems.append("\(table): \(n) rows of missing runs") }
      }
      let orphans = try c.int(
        "SELECT COUNT(*) FROM runs r WHERE r.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM runs p WHERE p.id = r.parent_id)") ?? 0
      if orphans > 0 { problems.append("runs: \(orphans) with a missing parent") }
      let leases = try c.int(
        "SELECT COUNT(*) FROM (SELECT worker FROM runs WHERE status = 'running' GROUP BY worker HAVING COUNT(*) > 1) t") ?? 0
      if leases > 0 { problems.append("runs: \(leases) worker tokens holding several runs") }
      return problems.isEmpty ? ["ok"] : problems
    }
  }

  // MARK: experiments

  /// The experiment with this name, created if missing.
  @discardableResult
  public func experiment(named name: String, description: String = "") throws -> Experiment {
    try write { c in try Registry.experiment(c, named: name, description: description) }
  }

  static func experiment(_ c: SQLConnection, named name: String, description: String) throws -> Experiment {
    // Taken before the lookup so two writers creating the same name see each other's insert.
    try c.lockForAllocation("experiments")
    if let e = try c.fetchOne(Experiment.self, "WHERE name = ?", name) { return e }
    let id = try c.int("SELECT COALESCE(MAX(id), 0) + 1 FROM experiments") ?? 1
    let e = Experiment(id: id, name: name, description: description, createdAt: Sys.now())
    try c.insert(e)
    return e
  }

  // MARK: runs

  /// Inserts a run in `status` with its params. `queued` runs wait for `claimNextQueued`.
  @discardableResult
  public func createRun(_ spec: RunSpec, status: RunStatus = .queued) throws -> Run {
    try write { c in try insertRun(c, spec, status: status, worker: nil) }
  }

  /// Inserts many runs in one transaction (a sweep's trials, an import). Returns them in order.
  @discardableResult
  public func createRuns(_ specs: [RunSpec], status: RunStatus = .queued) throws -> [Run] {
    try write { c in try specs.map { try insertRun(c, $0, status: status, worker: nil) } }
  }

  func insertRun(_ c: SQLConnection, _ spec: RunSpec, status: RunStatus, worker: String?) throws -> Run {
    let expID = try spec.experiment.map { try Registry.experiment(c, named: $0, description: "").id }
    try c.lockForAllocation("runs")
    let id = try c.int("SELECT COALESCE(MAX(id), 0) + 1 FROM runs") ?? 1
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
    try c.insert(run)
    try c.insertMany(
      "INSERT INTO params (run_id, key, kind, text, number)",
      rows: spec.params.map { p in [.int(id), .text(p.key), .text(p.kind), .text(p.text), p.number.sqlValue] },
      suffix: "")
    return run
  }

  /// Creates a run already running in this process, with a heartbeat.
  public func startRun(_ spec: RunSpec) throws -> RunHandle {
    let token = RunHandle.newWorkerToken()
    let run = try write { c in try insertRun(c, spec, status: .running, worker: token) }
    return RunHandle(registry: self, runId: run.id, worker: token)
  }

  /// Claims the oldest queued run (optionally of one kind) for this process. Exactly one
  /// claimer wins a run: the update only applies while the run is still queued.
  public func claimNextQueued(kind: String? = nil) throws -> RunHandle? {
    try claim { c in
      var sql = "SELECT id FROM runs WHERE status = 'queued'"
      var args: [SQLValue] = []
      if let k = kind {
        sql += " AND kind = ?"
        args.append(.text(k))
      }
      sql += " ORDER BY id LIMIT 1" + c.dialect.skipLockedSuffix
      return try c.ints(sql, args).first
    }
  }

  /// Claims run `id` if it is queued (nil when another worker got it first or it is not queued).
  public func claimQueued(_ id: Int64) throws -> RunHandle? {
    try claim { c in try c.int("SELECT id FROM runs WHERE id = ? AND status = 'queued'" + c.dialect.skipLockedSuffix, id) }
  }

  /// Moves the run `pick` selects from queued to running under a new worker token.
  func claim(_ pick: @escaping (SQLConnection) throws -> Int64?) throws -> RunHandle? {
    let token = RunHandle.newWorkerToken()
    let claimed: Int64? = try write { c in
      guard let id = try pick(c) else { return nil }
      let now = Sys.now()
      let changed = try c.execute(
        """
        UPDATE runs SET status = 'running', worker = ?, host = ?, pid = ?, started_at = ?,
          heartbeat_at = ?, ended_at = NULL, error = NULL, scheduler_job = ?
        WHERE id = ? AND status = 'queued'
        """, token, Sys.hostName, Sys.pid, now, now, Sys.schedulerJob, id)
      return changed == 1 ? id : nil
    }
    guard let id = claimed else { return nil }
    return RunHandle(registry: self, runId: id, worker: token)
  }

  /// Marks running runs whose process is gone as interrupted: heartbeat older than the
  /// timeout, or (same host) pid no longer alive. Returns their ids. Cheap when nothing is
  /// running (one indexed read, no write lock).
  @discardableResult
  public func reapInterrupted(now: Double = Date().timeIntervalSince1970) throws -> [Int64] {
    struct Running {
      var id: Int64
      var host: String
      var pid: Int64?
      var heartbeatAt: Double?
    }
    let running = try read { c in
      try c.query("SELECT id, host, pid, heartbeat_at FROM runs WHERE status = 'running'").map {
        Running(id: try $0.int("id"), host: try $0.string("host"), pid: try $0.optionalInt("pid"),
          heartbeatAt: try $0.optionalDouble("heartbeat_at"))
      }
    }
    if running.isEmpty { return [] }
    let host = Sys.hostName
    var dead: [(Running, String)] = []
    for r in running {
      if let hb = r.heartbeatAt, hb >= now - options.heartbeatTimeout {
        if options.checkLocalProcesses, r.host == host, let pid = r.pid, !Sys.processAlive(pid) {
          dead.append((r, "process \(pid) on \(host) is gone"))
        }
      } else {
        let age = r.heartbeatAt.map { String(format: "%.0f s", now - $0) } ?? "never"
        dead.append((r, "no heartbeat for \(age) (timeout \(formatNumber(options.heartbeatTimeout)) s)"))
      }
    }
    if dead.isEmpty { return [] }
    return try write { c in
      var marked: [Int64] = []
      for (r, why) in dead {
        // Guarded on the heartbeat we judged by: a run that just beat again is left alone.
        let changed = try c.execute(
          """
          UPDATE runs SET status = 'interrupted', ended_at = ?, error = ?
          WHERE id = ? AND status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at <= ?)
          """, now, "interrupted: " + why, r.id, r.heartbeatAt ?? now)
        if changed == 1 { marked.append(r.id) }
      }
      return marked
    }
  }

  public func run(_ id: Int64) throws -> Run {
    guard let r = try read({ c in try c.fetchOne(Run.self, "WHERE id = ?", id) }) else {
      throw RegistryError.noSuchRun(id)
    }
    return resolvingPaths(r)
  }

  /// Puts an interrupted or failed run back in the queue, to restart from its latest
  /// checkpoint (recorded in `resume_from`). Returns the updated run.
  @discardableResult
  public func requeue(_ id: Int64) throws -> Run {
    try write { c in
      guard var run = try c.fetchOne(Run.self, "WHERE id = ?" + (c.dialect == .postgres ? " FOR UPDATE" : ""), id) else {
        throw RegistryError.noSuchRun(id)
      }
      switch run.status {
      case .interrupted, .failed: break
      case .queued: return run
      case .running, .finished:
        throw RegistryError.invalidState(
          "run \(id) is \(run.status.rawValue); only interrupted or failed runs can be resumed")
      }
      let latest = try c.fetchOne(Checkpoint.self, "WHERE run_id = ? ORDER BY step DESC LIMIT 1", id)
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
      try c.update(run, key: ["id"])
      return resolvingPaths(run)
    }
  }
}
