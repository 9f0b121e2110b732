// How each record maps to its table's row: column names in insert order, the values in that
// order, and decoding from a result row. Written out by hand so both engines see the same
// plain SQL (no ORM between the registry and PostgreSQL).
import Foundation

protocol SQLRecord {
  static var table: String { get }
  /// Every column, in the order of `rowValues`.
  static var columns: [String] { get }
  var rowValues: [SQLValue] { get }
  init(row: SQLRow) throws
}

extension SQLRecord {
  static var selectAll: String { "SELECT \(columns.joined(separator: ", ")) FROM \(table)" }
}

extension SQLConnection {
  /// Records of `R` with an optional `WHERE ...`/`ORDER BY ...` tail.
  func fetch<R: SQLRecord>(_: R.Type, _ tail: String = "", _ arguments: [SQLValue] = []) throws -> [R] {
    try query(R.selectAll + (tail.isEmpty ? "" : " " + tail), arguments).map(R.init(row:))
  }
  func fetch<R: SQLRecord>(_ type: R.Type, _ tail: String, _ arguments: SQLBindable...) throws -> [R] {
    try fetch(type, tail, arguments.map(\.sqlValue))
  }
  func fetchOne<R: SQLRecord>(_ type: R.Type, _ tail: String, _ arguments: SQLBindable...) throws -> R? {
    try fetch(type, tail, arguments.map(\.sqlValue)).first
  }
  func insert<R: SQLRecord>(_ record: R) throws {
    let marks = Array(repeating: "?", count: R.columns.count).joined(separator: ", ")
    try execute("INSERT INTO \(R.table) (\(R.columns.joined(separator: ", "))) VALUES (\(marks))", record.rowValues)
  }
  /// Updates every column but the key columns `key` (which select the row).
  func update<R: SQLRecord>(_ record: R, key: [String]) throws {
    let values = record.rowValues
    var sets: [String] = [], setArgs: [SQLValue] = [], whereArgs: [SQLValue] = []
    for (c, v) in zip(R.columns, values) {
      if key.contains(c) { whereArgs.append(v) } else {
        sets.append("\(c) = ?")
        setArgs.append(v)
      }
    }
    let cond = key.map { "\($0) = ?" }.joined(separator: " AND ")
    try execute("UPDATE \(R.table) SET \(sets.joined(separator: ", ")) WHERE \(cond)", setArgs + whereArgs)
  }
}

/// `[1,2,3]` as an inline SQL list (ids are integers, never user text: safe to inline).
func sqlIdList(_ ids: some Collection<Int64>) -> String {
  ids.isEmpty ? "(NULL)" : "(" + ids.map(String.init).joined(separator: ",") + ")"
}

/// Values from the `--where` compiler (numbers, text, nil) as bindable values.
func sqlValues(_ values: [Any?]) -> [SQLValue] {
  values.map { v in
    switch v {
    case let d as Double: return .double(d)
    case let i as Int: return .int(Int64(i))
    case let i as Int64: return .int(i)
    case let s as String: return .text(s)
    default: return .null
    }
  }
}

extension RunStatus {
  init(column: String, _ text: String) throws {
    guard let s = RunStatus(rawValue: text) else {
      throw SQLDecodingError(column: column, expected: "a run status", found: .text(text))
    }
    self = s
  }
}

extension MetricGoal {
  init(column: String, _ text: String) throws {
    guard let g = MetricGoal(rawValue: text) else {
      throw SQLDecodingError(column: column, expected: "min or max", found: .text(text))
    }
    self = g
  }
}

extension Experiment: SQLRecord {
  static let table = "experiments"
  static let columns = ["id", "name", "description", "created_at"]
  var rowValues: [SQLValue] { [.int(id), .text(name), .text(description), .double(createdAt)] }
  init(row r: SQLRow) throws {
    self.init(id: try r.int("id"), name: try r.string("name"), description: try r.string("description"),
      createdAt: try r.double("created_at"))
  }
}

extension Run: SQLRecord {
  static let table = "runs"
  static let columns = [
    "id", "experiment_id", "name", "kind", "status", "parent_id", "config_json", "config_hash", "seed",
    "git_commit", "dataset_fingerprint", "host", "pid", "worker", "command_line", "created_at", "started_at",
    "ended_at", "heartbeat_at", "error", "resume_from", "earlier_seconds", "resumes", "scheduler_job",
    "resumed_from_step",
  ]
  var rowValues: [SQLValue] {
    [
      .int(id), experimentId.sqlValue, .text(name), .text(kind), .text(status.rawValue), parentId.sqlValue,
      .text(configJSON), .text(configHash), seed.sqlValue, gitCommit.sqlValue, datasetFingerprint.sqlValue,
      .text(host), pid.sqlValue, worker.sqlValue, .text(commandLine), .double(createdAt), startedAt.sqlValue,
      endedAt.sqlValue, heartbeatAt.sqlValue, error.sqlValue, resumeFrom.sqlValue, .double(earlierSeconds),
      .int(resumes), schedulerJob.sqlValue, resumedFromStep.sqlValue,
    ]
  }
  init(row r: SQLRow) throws {
    self.init(
      id: try r.int("id"), experimentId: try r.optionalInt("experiment_id"), name: try r.string("name"),
      kind: try r.string("kind"), status: try RunStatus(column: "status", try r.string("status")),
      parentId: try r.optionalInt("parent_id"), configJSON: try r.string("config_json"),
      configHash: try r.string("config_hash"), seed: try r.optionalInt("seed"),
      gitCommit: try r.optionalString("git_commit"), datasetFingerprint: try r.optionalString("dataset_fingerprint"),
      host: try r.string("host"), pid: try r.optionalInt("pid"), worker: try r.optionalString("worker"),
      commandLine: try r.string("command_line"), createdAt: try r.double("created_at"),
      startedAt: try r.optionalDouble("started_at"), endedAt: try r.optionalDouble("ended_at"),
      heartbeatAt: try r.optionalDouble("heartbeat_at"), error: try r.optionalString("error"),
      resumeFrom: try r.optionalString("resume_from"), earlierSeconds: try r.double("earlier_seconds"),
      resumes: try r.int("resumes"), schedulerJob: try r.optionalString("scheduler_job"),
      resumedFromStep: try r.optionalInt("resumed_from_step"))
  }
}

extension Param: SQLRecord {
  static let table = "params"
  static let columns = ["run_id", "key", "kind", "text", "number"]
  var rowValues: [SQLValue] { [.int(runId), .text(key), .text(kind), .text(text), number.sqlValue] }
  init(row r: SQLRow) throws {
    self.init(runId: try r.int("run_id"), key: try r.string("key"), kind: try r.string("kind"),
      text: try r.string("text"), number: try r.optionalDouble("number"))
  }
}

extension SeriesPoint: SQLRecord {
  static let table = "series_points"
  static let columns = ["run_id", "name", "step", "value", "time"]
  var rowValues: [SQLValue] { [.int(runId), .text(name), .int(step), .double(value), .double(time)] }
  init(row r: SQLRow) throws {
    self.init(runId: try r.int("run_id"), name: try r.string("name"), step: try r.int("step"),
      value: try r.double("value"), time: try r.double("time"))
  }
}

extension SeriesSummary: SQLRecord {
  static let table = "series_summaries"
  static let columns = [
    "run_id", "name", "goal", "points_logged", "last_step", "last_value", "min_step", "min_value", "max_step",
    "max_value", "updated_at",
  ]
  var rowValues: [SQLValue] {
    [
      .int(runId), .text(name), .text(goal.rawValue), .int(pointsLogged), .int(lastStep), .double(lastValue),
      .int(minStep), .double(minValue), .int(maxStep), .double(maxValue), .double(updatedAt),
    ]
  }
  init(row r: SQLRow) throws {
    self.init(
      runId: try r.int("run_id"), name: try r.string("name"), goal: try MetricGoal(column: "goal", try r.string("goal")),
      pointsLogged: try r.int("points_logged"), lastStep: try r.int("last_step"), lastValue: try r.double("last_value"),
      minStep: try r.int("min_step"), minValue: try r.double("min_value"), maxStep: try r.int("max_step"),
      maxValue: try r.double("max_value"), updatedAt: try r.double("updated_at"))
  }
}

extension Checkpoint: SQLRecord {
  static let table = "checkpoints"
  static let columns = ["id", "run_id", "step", "path", "sha256", "bytes", "created_at"]
  var rowValues: [SQLValue] {
    [.text(id), .int(runId), .int(step), .text(path), .text(sha256), .int(bytes), .double(createdAt)]
  }
  init(row r: SQLRow) throws {
    self.init(id: try r.string("id"), runId: try r.int("run_id"), step: try r.int("step"), path: try r.string("path"),
      sha256: try r.string("sha256"), bytes: try r.int("bytes"), createdAt: try r.double("created_at"))
  }
}

extension FrameScore: SQLRecord {
  static let table = "frame_scores"
  static let columns = ["run_id", "method", "sequence", "frame", "metric", "value", "frame_index"]
  var rowValues: [SQLValue] {
    [.int(runId), .text(method), .text(sequence), .int(frame), .text(metric), .double(value), index.sqlValue]
  }
  init(row r: SQLRow) throws {
    self.init(runId: try r.int("run_id"), method: try r.string("method"), sequence: try r.string("sequence"),
      frame: try r.int("frame"), metric: try r.string("metric"), value: try r.double("value"),
      index: try r.optionalInt("frame_index"))
  }
}

extension Artifact: SQLRecord {
  static let table = "artifacts"
  static let columns = ["id", "run_id", "kind", "path", "sha256", "bytes", "created_at"]
  var rowValues: [SQLValue] {
    [.text(id), .int(runId), .text(kind), .text(path), .text(sha256), .int(bytes), .double(createdAt)]
  }
  init(row r: SQLRow) throws {
    self.init(id: try r.string("id"), runId: try r.int("run_id"), kind: try r.string("kind"), path: try r.string("path"),
      sha256: try r.string("sha256"), bytes: try r.int("bytes"), createdAt: try r.double("created_at"))
  }
}

extension SweepRecord: SQLRecord {
  static let table = "sweeps"
  static let columns = [
    "experiment_id", "trainer", "rank_field", "rank_goal", "swept_keys", "spec_path", "spec", "trials",
    "max_resumes", "created_at", "updated_at", "scheduler_jobs",
  ]
  var rowValues: [SQLValue] {
    [
      .int(experimentId), .text(trainer), .text(rankField), .text(rankGoal.rawValue), .text(sweptKeys),
      .text(specPath), .text(spec), .int(trials), .int(maxResumes), .double(createdAt), .double(updatedAt),
      .text(schedulerJobs),
    ]
  }
  init(row r: SQLRow) throws {
    self.init(
      trainer: try r.string("trainer"), rankField: try r.string("rank_field"),
      rankGoal: try MetricGoal(column: "rank_goal", try r.string("rank_goal")), sweptKeys: [],
      specPath: try r.string("spec_path"), spec: try r.string("spec"), maxResumes: try r.int("max_resumes"))
    experimentId = try r.int("experiment_id")
    sweptKeys = try r.string("swept_keys")
    trials = try r.int("trials")
    createdAt = try r.double("created_at")
    updatedAt = try r.double("updated_at")
    schedulerJobs = try r.string("scheduler_jobs")
  }
}
