// A run owned by this process: heartbeat thread, batched series logging, checkpoints,
// artifacts, per-frame scores, and finishing. Thread-safe.
import Foundation

public final class RunHandle: @unchecked Sendable {
  public let registry: Registry
  public let runId: Int64
  /// The lease token: "host:pid:random". Heartbeats and finishing only apply while held.
  public let worker: String
  /// Points buffered before a write transaction is issued.
  public var batchSize = 2_000
  /// A buffer older than this is written by the next `log` call even if not full.
  public var flushInterval: TimeInterval = 2

  private let lock = NSLock()
  private var buffer: [PendingPoint] = []
  private var goals: [String: MetricGoal] = [:]
  private var lastFlush = Sys.now()
  private var stopHeartbeat = DispatchSemaphore(value: 0)
  private var heartbeatThread: Thread?
  private var finished = false
  /// Set when a heartbeat found the run no longer ours (e.g. marked interrupted).
  public private(set) var leaseLost = false

  init(registry: Registry, runId: Int64, worker: String) {
    self.registry = registry
    self.runId = runId
    self.worker = worker
    startHeartbeat()
  }

  deinit { stopHeartbeatThread() }

  static func newWorkerToken() -> String {
    "\(Sys.hostName):\(Sys.pid):\(UUID().uuidString.prefix(8).lowercased())"
  }

  // MARK: heartbeat

  private func startHeartbeat() {
    let interval = registry.options.heartbeatInterval
    let stop = stopHeartbeat
    let t = Thread { [weak self] in
      while stop.wait(timeout: .now() + interval) == .timedOut {
        guard let self else { return }
        self.beat()
      }
    }
    t.name = "lmlab.heartbeat.\(runId)"
    heartbeatThread = t
    t.start()
  }

  private func stopHeartbeatThread() {
    if heartbeatThread != nil {
      stopHeartbeat.signal()
      heartbeatThread = nil
    }
  }

  /// Refreshes `heartbeat_at` now (also done every `heartbeatInterval` seconds).
  public func beat() {
    do {
      let held = try registry.write { c -> Bool in
        try c.execute(
          "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND worker = ? AND status = 'running'",
          Sys.now(), runId, worker) == 1
      }
      if !held { lock.withLock { leaseLost = true } }
    } catch {
      // A missed beat is harmless unless it lasts longer than the timeout.
    }
  }

  // MARK: series

  /// Records `value` of series `name` at `step`; written in batches. `goal` fixes which
  /// direction is best (default: inferred from the name, see `MetricGoal.infer`).
  public func log(_ name: String, step: Int64, value: Double, goal: MetricGoal? = nil) throws {
    var toWrite: [PendingPoint] = []
    var goalsNow: [String: MetricGoal] = [:]
    lock.withLock {
      if let g = goal { goals[name] = g }
      buffer.append(PendingPoint(name: name, step: step, value: value, time: Sys.now()))
      if buffer.count >= batchSize || Sys.now() - lastFlush >= flushInterval {
        toWrite = buffer
        buffer.removeAll(keepingCapacity: true)
        goalsNow = goals
        lastFlush = Sys.now()
      }
    }
    if !toWrite.isEmpty { try registry.writePoints(runId: runId, toWrite, goals: goalsNow) }
  }

  /// Writes buffered points now.
  public func flush() throws {
    let (toWrite, goalsNow) = lock.withLock { () -> ([PendingPoint], [String: MetricGoal]) in
      let b = buffer
      buffer.removeAll(keepingCapacity: true)
      lastFlush = Sys.now()
      return (b, goals)
    }
    if !toWrite.isEmpty { try registry.writePoints(runId: runId, toWrite, goals: goalsNow) }
  }

  // MARK: files and scores

  /// Records a checkpoint, after writing the points buffered so far: a run resumed from it
  /// (after a SIGKILL, say) continues logging at the next step, so everything up to this step
  /// must already be in the registry or its series would have a gap.
  @discardableResult
  public func addCheckpoint(step: Int64, path: String) throws -> Checkpoint {
    try flush()
    return try registry.addCheckpoint(runId: runId, step: step, path: path)
  }

  @discardableResult
  public func addArtifact(kind: String, path: String) throws -> Artifact {
    try registry.addArtifact(runId: runId, kind: kind, path: path)
  }

  public func addFrameScores(_ scores: [FrameScore]) throws {
    try registry.writeFrameScores(scores)
  }

  /// Records that this attempt continued from the checkpoint of `step` (shown by `runs show`;
  /// tests of interrupted runs assert it).
  public func recordResume(fromStep step: Int64) throws {
    try registry.write { c in
      _ = try c.execute("UPDATE runs SET resumed_from_step = ? WHERE id = ? AND worker = ?", step, runId, worker)
    }
  }

  /// Records (or replaces) a param the run learns only as it starts, such as the split it
  /// trains on once its dataset is open: queued and resumed runs record it the same way.
  public func setParam(_ p: ParamEntry) throws {
    try registry.write { c in
      _ = try c.execute("DELETE FROM params WHERE run_id = ? AND key = ?", runId, p.key)
      _ = try c.execute(
        "INSERT INTO params (run_id, key, kind, text, number) VALUES (?, ?, ?, ?, ?)", runId, p.key, p.kind, p.text, p.number)
    }
  }

  // MARK: end

  /// Flushes, stops the heartbeat and records the final status (`finished` or `failed`).
  public func finish(_ status: RunStatus = .finished, error: String? = nil) throws {
    precondition(status.isTerminal, "finish needs a terminal status")
    try flush()
    stopHeartbeatThread()
    let held = try registry.write { c -> Bool in
      let now = Sys.now()
      return try c.execute(
        """
        UPDATE runs SET status = ?, ended_at = ?, heartbeat_at = ?, error = ?
        WHERE id = ? AND worker = ? AND status = 'running'
        """, status.rawValue, now, now, error, runId, worker) == 1
    }
    finished = true
    if !held {
      throw RegistryError.invalidState(
        "run \(runId): lease lost before finishing (another process marked it interrupted or deleted it)")
    }
  }
}

/// A series point waiting in a buffer.
public struct PendingPoint: Sendable {
  public var name: String
  public var step: Int64
  public var value: Double
  public var time: Double
  public init(name: String, step: Int64, value: Double, time: Double) {
    self.name = name
    self.step = step
    self.value = value
    self.time = time
  }
}

extension Registry {
  /// Writes one batch of points of one run in a single transaction and folds it into the
  /// run's per-series summaries. A point re-logged at the same step replaces the old value.
  public func writePoints(runId: Int64, _ points: [PendingPoint], goals: [String: MetricGoal] = [:])
    throws
  {
    if points.isEmpty { return }
    // Summaries of this batch, per name, computed here so the SQL stays a plain upsert.
    struct Agg {
      var n: Int64 = 0
      var lastStep = Int64.min, lastValue = 0.0
      var minStep: Int64 = 0, minValue = Double.infinity
      var maxStep: Int64 = 0, maxValue = -Double.infinity
    }
    var aggs: [String: Agg] = [:]
    for p in points {
      var a = aggs[p.name] ?? Agg()
      a.n += 1
      if p.step >= a.lastStep { (a.lastStep, a.lastValue) = (p.step, p.value) }
      if p.value < a.minValue { (a.minStep, a.minValue) = (p.step, p.value) }
      if p.value > a.maxValue { (a.maxStep, a.maxValue) = (p.step, p.value) }
      aggs[p.name] = a
    }
    let now = Sys.now()
    // One row per (name, step) in a statement: PostgreSQL refuses an upsert that hits a key twice.
    var latest: [String: [Int64: PendingPoint]] = [:]
    for p in points { latest[p.name, default: [:]][p.step] = p }
    let rows: [[SQLValue]] = latest.values.flatMap { $0.values }.map { p in
      [.int(runId), .text(p.name), .int(p.step), .double(p.value), .double(p.time)]
    }
    try write { c in
      try c.insertMany(
        "INSERT INTO series_points (run_id, name, step, value, time)", rows: rows,
        suffix: "ON CONFLICT (run_id, name, step) DO UPDATE SET value = excluded.value, time = excluded.time")
      try c.insertMany(
        """
        INSERT INTO series_summaries (run_id, name, goal, points_logged, last_step, last_value,
          min_step, min_value, max_step, max_value, updated_at)
        """,
        rows: aggs.map { name, a in
          let goal = goals[name] ?? MetricGoal.infer(name)
          return [
            .int(runId), .text(name), .text(goal.rawValue), .int(a.n), .int(a.lastStep), .double(a.lastValue),
            .int(a.minStep), .double(a.minValue), .int(a.maxStep), .double(a.maxValue), .double(now),
          ]
        },
        suffix: """
          ON CONFLICT (run_id, name) DO UPDATE SET
            points_logged = series_summaries.points_logged + excluded.points_logged,
            last_value = CASE WHEN excluded.last_step >= series_summaries.last_step
              THEN excluded.last_value ELSE series_summaries.last_value END,
            last_step = CASE WHEN excluded.last_step >= series_summaries.last_step
              THEN excluded.last_step ELSE series_summaries.last_step END,
            min_step = CASE WHEN excluded.min_value < series_summaries.min_value
              THEN excluded.min_step ELSE series_summaries.min_step END,
            min_value = CASE WHEN excluded.min_value < series_summaries.min_value
              THEN excluded.min_value ELSE series_summaries.min_value END,
            max_step = CASE WHEN excluded.max_value > series_summaries.max_value
              THEN excluded.max_step ELSE series_summaries.max_step END,
            max_value = CASE WHEN excluded.max_value > series_summaries.max_value
              THEN excluded.max_value ELSE series_summaries.max_value END,
            updated_at = excluded.updated_at
          """)
    }
  }

  /// Upserts per-frame scores (any runs) in one transaction.
  public func writeFrameScores(_ scores: [FrameScore]) throws {
    if scores.isEmpty { return }
    // The last score per key wins, as row-by-row upserts would give.
    var byKey: [String: FrameScore] = [:]
    var order: [String] = []
    for s in scores {
      let k = "\(s.runId)\u{1}\(s.method)\u{1}\(s.sequence)\u{1}\(s.frame)\u{1}\(s.metric)"
      if byKey.updateValue(s, forKey: k) == nil { order.append(k) }
    }
    try write { c in
      try c.insertMany(
        "INSERT INTO frame_scores (run_id, method, sequence, frame, metric, value, frame_index)",
        rows: order.map { byKey[$0]!.rowValues },
        suffix:
          "ON CONFLICT (run_id, method, sequence, frame, metric) DO UPDATE SET value = excluded.value, frame_index = excluded.frame_index")
    }
  }

  /// Records a checkpoint file (hashing it when it exists).
  @discardableResult
  public func addCheckpoint(runId: Int64, step: Int64, path: String) throws -> Checkpoint {
    let (sha, bytes) = try fileDigest(path)
    let c = Checkpoint(
      id: UUID().uuidString.lowercased(), runId: runId, step: step, path: fileRoot.stored(path), sha256: sha,
      bytes: bytes, createdAt: Sys.now())
    try write { db in try db.insert(c) }
    return c
  }

  /// Records an artifact file (hashing it when it exists).
  @discardableResult
  public func addArtifact(runId: Int64, kind: String, path: String) throws -> Artifact {
    let (sha, bytes) = try fileDigest(path)
    let a = Artifact(
      id: UUID().uuidString.lowercased(), runId: runId, kind: kind, path: fileRoot.stored(path), sha256: sha,
      bytes: bytes, createdAt: Sys.now())
    try write { db in try db.insert(a) }
    return a
  }

  private func fileDigest(_ path: String) throws -> (String, Int64) {
    // A folder (a frame folder recorded as a whole) has no digest; reading it as a file would trap.
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { return ("", 0) }
    return try SHA256.hexAndSize(ofFile: path)
  }
}
