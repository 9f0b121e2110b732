// Registry records: one Codable struct per table (its SQL mapping is in RecordRows.swift).
// Ids are assigned before insert (app-assigned integers for experiments and runs, UUID strings
// for checkpoints and artifacts; the other tables are keyed by their natural composite key),
// so no record carries an optional id. Times are seconds since 1970 (Double).
import Foundation

/// A run's lifecycle state. `running` runs carry a heartbeat; a running run whose heartbeat is
/// older than the timeout, or whose process is gone from this host, becomes `interrupted`.
public enum RunStatus: String, Codable, CaseIterable, Sendable {
  case queued, running, finished, failed, interrupted

  public var isTerminal: Bool { self == .finished || self == .failed || self == .interrupted }
}

/// Which direction is "best" for a scalar series.
public enum MetricGoal: String, Codable, Sendable {
  case min, max

  /// Names that read as accuracies or similarities are maximized; everything else (losses,
  /// distances, errors) is minimized. An explicit goal given when logging wins.
  public static func infer(_ name: String) -> MetricGoal {
    let n = name.lowercased()
    for word in ["acc", "psnr", "ssim", "precision", "recall", "auc", "f1", "reward", "iou"]
    where n.contains(word) {
      return .max
    }
    return .min
  }
}

/// `experiments`: a named group of runs (a sweep, a paper table).
public struct Experiment: Codable, Equatable, Sendable {
  public var id: Int64
  public var name: String
  public var description: String
  public var createdAt: Double

  enum CodingKeys: String, CodingKey {
    case id, name, description
    case createdAt = "created_at"
  }
}

/// `runs`: one training/evaluation job with its full config and lineage.
public struct Run: Codable, Equatable, Sendable {
  public var id: Int64
  public var experimentId: Int64?
  public var name: String
  public var kind: String
  public var status: RunStatus
  public var parentId: Int64?
  public var configJSON: String
  public var configHash: String
  public var seed: Int64?
  public var gitCommit: String?
  public var datasetFingerprint: String?
  public var host: String
  public var pid: Int64?
  /// Lease holder while running: "host:pid:token". Only the holder may heartbeat or finish it.
  public var worker: String?
  public var commandLine: String
  public var createdAt: Double
  public var startedAt: Double?
  public var endedAt: Double?
  public var heartbeatAt: Double?
  public var error: String?
  /// Checkpoint path a resumed run starts from.
  public var resumeFrom: String?
  /// Seconds the run ran in attempts before the current one (summed when it is resumed).
  public var earlierSeconds: Double = 0
  /// How many times the run was queued again after it ended interrupted or failed.
  public var resumes: Int64 = 0
  /// The cluster job of the process that last claimed it (Slurm: `JOB_TASK` of an array).
  public var schedulerJob: String? = nil
  /// The checkpoint step the latest attempt continued from (nil: it never resumed).
  public var resumedFromStep: Int64? = nil

  /// Seconds of the current (or last) attempt: to `now` while running, else to its last sign
  /// of life (a run reaped as interrupted gets `ended_at` when noticed, maybe long after its
  /// last heartbeat; `finish` sets both to the same time).
  public func attemptSeconds(now: Double) -> Double? {
    guard let start = startedAt else { return nil }
    let end = status == .running ? now : ([endedAt, heartbeatAt].compactMap { $0 }.min() ?? start)
    return max(0, end - start)
  }

  /// Seconds over all attempts (nil when it never started).
  public func totalSeconds(now: Double) -> Double? {
    guard let current = attemptSeconds(now: now) else { return resumes > 0 ? earlierSeconds : nil }
    return earlierSeconds + current
  }

  enum CodingKeys: String, CodingKey {
    case id, name, kind, status, seed, host, pid, worker, error, resumes
    case experimentId = "experiment_id"
    case parentId = "parent_id"
    case configJSON = "config_json"
    case configHash = "config_hash"
    case gitCommit = "git_commit"
    case datasetFingerprint = "dataset_fingerprint"
    case commandLine = "command_line"
    case createdAt = "created_at"
    case startedAt = "started_at"
    case endedAt = "ended_at"
    case heartbeatAt = "heartbeat_at"
    case resumeFrom = "resume_from"
    case earlierSeconds = "earlier_seconds"
    case schedulerJob = "scheduler_job"
    case resumedFromStep = "resumed_from_step"
  }
}

/// `params`: the run's flattened config, typed for querying. `number` is set for ints, floats
/// and bools (1/0); `text` always holds the canonical text form.
public struct Param: Codable, Equatable, Sendable {
  public var runId: Int64
  public var key: String
  /// "int", "float", "bool", "string" or "list".
  public var kind: String
  public var text: String
  public var number: Double?

  enum CodingKeys: String, CodingKey {
    case key, kind, text, number
    case runId = "run_id"
  }
}

/// `series_points`: one scalar of a curve (loss, metric) at a step.
public struct SeriesPoint: Codable, Equatable, Sendable {
  public var runId: Int64
  public var name: String
  public var step: Int64
  public var value: Double
  public var time: Double

  enum CodingKeys: String, CodingKey {
    case name, step, value, time
    case runId = "run_id"
  }
}

/// `series_summaries`: per run and series, latest and best values, maintained with each batch
/// so listings never scan `series_points`.
public struct SeriesSummary: Codable, Equatable, Sendable {
  public var runId: Int64
  public var name: String
  public var goal: MetricGoal
  /// Points written, counting re-logged steps again.
  public var pointsLogged: Int64
  public var lastStep: Int64
  public var lastValue: Double
  public var minStep: Int64
  public var minValue: Double
  public var maxStep: Int64
  public var maxValue: Double
  public var updatedAt: Double

  public var bestValue: Double { goal == .max ? maxValue : minValue }
  public var bestStep: Int64 { goal == .max ? maxStep : minStep }

  enum CodingKeys: String, CodingKey {
    case name, goal
    case runId = "run_id"
    case pointsLogged = "points_logged"
    case lastStep = "last_step"
    case lastValue = "last_value"
    case minStep = "min_step"
    case minValue = "min_value"
    case maxStep = "max_step"
    case maxValue = "max_value"
    case updatedAt = "updated_at"
  }
}

/// `checkpoints`: a saved model state of a run.
public struct Checkpoint: Codable, Equatable, Sendable {
  public var id: String
  public var runId: Int64
  public var step: Int64
  public var path: String
  public var sha256: String
  public var bytes: Int64
  public var createdAt: Double

  enum CodingKeys: String, CodingKey {
    case id, step, path, sha256, bytes
    case runId = "run_id"
    case createdAt = "created_at"
  }
}

/// `frame_scores`: one metric value of one frame of one sequence, per method
/// (DESIGN §4 per-frame CSV, keyed by run).
public struct FrameScore: Codable, Equatable, Sendable {
  public var runId: Int64
  public var method: String
  public var sequence: String
  public var frame: Int64
  public var metric: String
  public var value: Double
  /// The 1-based position on the run's curve: the prediction horizon step, or the index of an
  /// interpolated frame (nil: scores not on a curve, e.g. `eval frames`).
  public var index: Int64?

  public init(
    runId: Int64, method: String, sequence: String, frame: Int64, metric: String, value: Double, index: Int64? = nil
  ) {
    self.runId = runId
    self.method = method
    self.sequence = sequence
    self.frame = frame
    self.metric = metric
    self.value = value
    self.index = index
  }

  enum CodingKeys: String, CodingKey {
    case method, sequence, frame, metric, value
    case runId = "run_id"
    case index = "frame_index"
  }
}

/// `artifacts`: any other file a run produced (reports, landmark files, frame strips).
public struct Artifact: Codable, Equatable, Sendable {
  public var id: String
  public var runId: Int64
  public var kind: String
  public var path: String
  public var sha256: String
  public var bytes: Int64
  public var createdAt: Double

  enum CodingKeys: String, CodingKey {
    case id, kind, path, sha256, bytes
    case runId = "run_id"
    case createdAt = "created_at"
  }
}

/// `registry_info`: key/value facts about the file itself (schema version, creator).
public struct RegistryInfo: Codable, Equatable, Sendable {
  public var key: String
  public var value: String
}
