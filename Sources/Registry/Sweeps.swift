// Sweeps in the registry: a sweep is an experiment whose runs are its trials, plus a `sweeps`
// row saying how they were made and ranked. Queueing is idempotent per trial config (a trial
// whose config hash is already in the sweep is not queued again), and claiming, requeueing and
// giving up are single guarded updates, so any number of worker processes can share a sweep
// and every trial runs exactly once.
import Foundation

/// `sweeps`: one row per sweep, keyed by its experiment (the sweep's id is the experiment's).
public struct SweepRecord: Codable, Equatable, Sendable {
  public var experimentId: Int64
  /// Which trainer the trials use: "landmarks" or "dynamics".
  public var trainer: String
  /// A `--where` field, e.g. `metric.keypoint_acc`.
  public var rankField: String
  public var rankGoal: MetricGoal
  /// The config keys the sweep varies (comma-separated), seed excluded.
  public var sweptKeys: String
  public var specPath: String
  /// The spec as written (YAML), for `lmlab sweep status` and reports.
  public var spec: String
  public var trials: Int64
  /// An interrupted trial is queued again at most this many times, then marked failed.
  public var maxResumes: Int64
  public var createdAt: Double
  public var updatedAt: Double
  /// Cluster jobs submitted for the sweep (Slurm array job ids), comma-separated, oldest first.
  public var schedulerJobs = ""

  enum CodingKeys: String, CodingKey {
    case trainer, spec, trials
    case experimentId = "experiment_id"
    case rankField = "rank_field"
    case rankGoal = "rank_goal"
    case sweptKeys = "swept_keys"
    case specPath = "spec_path"
    case maxResumes = "max_resumes"
    case schedulerJobs = "scheduler_jobs"
    case createdAt = "created_at"
    case updatedAt = "updated_at"
  }

  public var id: Int64 { experimentId }
  public var sweptKeyList: [String] { sweptKeys.split(separator: ",").map(String.init) }

  public init(
    trainer: String, rankField: String, rankGoal: MetricGoal, sweptKeys: [String], specPath: String, spec: String, maxResumes: Int64
  ) {
    experimentId = 0
    self.trainer = trainer
    self.rankField = rankField
    self.rankGoal = rankGoal
    self.sweptKeys = sweptKeys.joined(separator: ",")
    self.specPath = specPath
    self.spec = spec
    self.maxResumes = maxResumes
    trials = 0
    createdAt = 0
    updatedAt = 0
  }
}

/// A sweep with its experiment's name.
public struct Sweep: Sendable {
  public var record: SweepRecord
  public var name: String
  public var id: Int64 { record.experimentId }
}

/// What queueing a sweep's trials did.
public struct SweepQueueing: Sendable {
  public var sweep: Sweep
  /// Trials queued now, in spec order.
  public var queued: [Run]
  /// Trials already in the sweep (any status), in spec order.
  public var existing: [Run]
}

extension Registry {
  /// Creates sweep `name` (or updates its record) and queues each trial whose config hash is not
  /// in the sweep yet, all in one transaction: two processes queueing the same sweep at once
  /// still give one run per trial. `trials[i].experiment` is set to `name`.
  public func queueSweep(name: String, record: SweepRecord, trials: [RunSpec]) throws -> SweepQueueing {
    try write { c in
      let exp = try Registry.experiment(c, named: name, description: "sweep")
      let now = Sys.now()
      var rec = record
      rec.experimentId = exp.id
      rec.trials = Int64(trials.count)
      rec.updatedAt = now
      if let old = try c.fetchOne(SweepRecord.self, "WHERE experiment_id = ?", exp.id) {
        rec.createdAt = old.createdAt
        rec.schedulerJobs = old.schedulerJobs
        guard old.trainer == rec.trainer else {
          throw RegistryError.invalidState(
            "sweep '\(name)' (id \(exp.id)) trains \(old.trainer), this spec \(rec.trainer); give the sweep another name")
        }
        try c.update(rec, key: ["experiment_id"])
      } else {
        let others = try c.int("SELECT COUNT(*) FROM runs WHERE experiment_id = ?", exp.id) ?? 0
        guard others == 0 else {
          throw RegistryError.invalidState(
            "experiment '\(name)' (id \(exp.id)) already holds \(others) run(s) that are not a sweep's; give the sweep another name")
        }
        rec.createdAt = now
        try c.insert(rec)
      }
      var byHash: [String: Run] = [:]
      for r in try c.fetch(Run.self, "WHERE experiment_id = ?", exp.id) { byHash[r.configHash] = r }
      var queued: [Run] = [], existing: [Run] = []
      for var spec in trials {
        spec.experiment = name
        let hash = spec.configHash.isEmpty ? SHA256.hex(of: Data(spec.configJSON.utf8)) : spec.configHash
        if let r = byHash[hash] {
          existing.append(r)
          continue
        }
        let r = try insertRun(c, spec, status: .queued, worker: nil)
        byHash[hash] = r
        queued.append(r)
      }
      return SweepQueueing(sweep: Sweep(record: rec, name: name), queued: queued, existing: existing)
    }
  }

  /// Records a cluster job submitted to run sweep `id`'s workers.
  public func addSchedulerJob(sweepId id: Int64, job: String) throws {
    _ = try write { c in
      try c.execute(
        "UPDATE sweeps SET scheduler_jobs = CASE WHEN scheduler_jobs = '' THEN ? ELSE scheduler_jobs || ',' || ? END WHERE experiment_id = ?",
        job, job, id)
    }
  }

  /// Sweep by id or by name (`text` as the user typed it).
  public func sweep(_ text: String) throws -> Sweep {
    try read { c in
      let exp: Experiment?
      if let id = Int64(text) {
        exp = try c.fetchOne(Experiment.self, "WHERE id = ?", id)
      } else {
        exp = try c.fetchOne(Experiment.self, "WHERE name = ?", text)
      }
      guard let e = exp, let rec = try c.fetchOne(SweepRecord.self, "WHERE experiment_id = ?", e.id) else {
        let known = try c.strings(
          "SELECT e.name || ' (' || CAST(e.id AS TEXT) || ')' FROM sweeps s JOIN experiments e ON e.id = s.experiment_id ORDER BY e.id")
        throw RegistryError.invalidState(
          "no sweep '\(text)' in the registry" + (known.isEmpty ? " (it has none)" : "; sweeps: " + known.joined(separator: ", ")))
      }
      return Sweep(record: rec, name: e.name)
    }
  }

  /// Every sweep, oldest first.
  public func sweeps() throws -> [Sweep] {
    try read { c in
      let names = Dictionary(uniqueKeysWithValues: try c.fetch(Experiment.self).map { ($0.id, $0.name) })
      return try c.fetch(SweepRecord.self, "ORDER BY experiment_id").map { Sweep(record: $0, name: names[$0.experimentId] ?? "?") }
    }
  }

  /// The trials of a sweep (its experiment's runs), by id.
  public func runs(experimentId: Int64) throws -> [Run] {
    try read { c in try c.fetch(Run.self, "WHERE experiment_id = ? ORDER BY id", experimentId) }
  }

  /// Claims the oldest queued run of experiment `experimentId` for this process.
  public func claimNextQueued(experimentId: Int64) throws -> RunHandle? {
    try claim { c in
      try c.int(
        "SELECT id FROM runs WHERE status = 'queued' AND experiment_id = ? ORDER BY id LIMIT 1" + c.dialect.skipLockedSuffix,
        experimentId)
    }
  }

  /// Queues the interrupted runs of an experiment again (from their latest checkpoints), except
  /// those already resumed `maxResumes` times: they are marked failed, with why. Safe with many
  /// callers: `requeue` leaves a run another caller requeued first as it is.
  public func requeueInterrupted(experimentId: Int64, maxResumes: Int64) throws -> (requeued: [Int64], gaveUp: [Int64]) {
    let interrupted = try read { c in
      try c.fetch(Run.self, "WHERE experiment_id = ? AND status = 'interrupted' ORDER BY id", experimentId)
    }
    var requeued: [Int64] = [], gaveUp: [Int64] = []
    for r in interrupted {
      if r.resumes >= maxResumes {
        let changed = try write { c -> Bool in
          try c.execute(
            "UPDATE runs SET status = 'failed', error = ? WHERE id = ? AND status = 'interrupted'",
            "interrupted \(r.resumes + 1) times (limit \(maxResumes) resumes); last: \(r.error ?? "-")", r.id) == 1
        }
        if changed { gaveUp.append(r.id) }
      } else {
        do {
          if try requeue(r.id).status == .queued { requeued.append(r.id) }
        } catch RegistryError.invalidState {
          continue  // another caller requeued it and a worker has claimed it since
        }
      }
    }
    return (requeued, gaveUp)
  }
}

/// A trial's swept parameter values (as recorded) and its rank metric.
public struct TrialValues: Sendable {
  public var params: [String: String] = [:]
  public var rank: Double?
}

extension Registry {
  /// For each run: the text of params `keys` and the numeric value of `rankField`
  /// (a `metric.`/`best.`/`min.`/`max.` field; nil where the run has not logged it).
  public func trialValues(runIds: [Int64], keys: [String], rankField: String) throws -> [Int64: TrialValues] {
    var out: [Int64: TrialValues] = [:]
    if runIds.isEmpty { return out }
    let idList = runIds.map(String.init).joined(separator: ",")  // integers only: safe to inline
    return try read { c in
      for id in runIds { out[id] = TrialValues() }
      if !keys.isEmpty {
        let marks = Array(repeating: "?", count: keys.count).joined(separator: ",")
        let rows = try c.query(
          "SELECT run_id, key, text FROM params WHERE key IN (\(marks)) AND run_id IN (\(idList))", keys.map { .text($0) })
        for r in rows { out[try r.int("run_id"), default: TrialValues()].params[try r.string("key")] = try r.string("text") }
      }
      if case .metric(let name, let stat) = WhereField.parse(rankField) {
        let rows = try c.query(
          "SELECT s.run_id, \(WhereExpr.statSQL(stat)) AS v FROM series_summaries s WHERE s.name = ? AND s.run_id IN (\(idList))",
          name)
        for r in rows { out[try r.int("run_id"), default: TrialValues()].rank = try r.optionalDouble("v") }
      }
      return out
    }
  }
}
