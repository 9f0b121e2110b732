// TrainingRuns: the entry points every training run kind shares — continue a claimed run of
// any kind with its recorded config from its latest checkpoint (sweep workers, `train worker`),
// and `lmlab runs resume ID` for any kind (queue it again, then continue it here or leave it to
// a worker).
import Foundation
import Registry

public enum TrainingRuns {
  /// The run kinds that train (and so can be resumed).
  public static let kinds = [LandmarkTraining.runKind, DynamicsTraining.runKind, PixelTraining.runKind]

  /// Continues a claimed run with its recorded config from its latest checkpoint; a run that
  /// cannot start is marked failed.
  public static func continueClaimed(_ handle: RunHandle, registry: Registry, options: TrainOptions) throws -> TrainSummary {
    let run: Run
    let config: ExperimentConfig
    do {
      run = try registry.run(handle.runId)
      guard kinds.contains(run.kind) else {
        throw TrainError.setup("run \(run.id) is a '\(run.kind)' run; only \(kinds.joined(separator: ", ")) runs train")
      }
      config = try ConfigLoader.recorded(run, registry: registry)
    } catch {
      handle.failIfRunning(error, print: options.print)
      throw error
    }
    switch run.kind {
    case DynamicsTraining.runKind:
      return try DynamicsTraining.continueClaimed(handle, run: run, config: config, registry: registry, options: options)
    case PixelTraining.runKind:
      return try PixelTraining.execute(handle, config: config, resumeFrom: run.resumeFrom, options: options)
    default:
      return try LandmarkTraining.execute(handle, config: config, resumeFrom: run.resumeFrom, options: options)
    }
  }

  /// Claims the oldest queued training run (of `kind`, if given) and continues it; nil when none is queued.
  public static func continueQueued(kind: String? = nil, registry: Registry, options: TrainOptions = .init()) throws
    -> TrainSummary?
  {
    guard let handle = try registry.claimNextQueued(kind: kind) else { return nil }
    return try continueClaimed(handle, registry: registry, options: options)
  }

  /// What `resume` did.
  public enum Resumed {
    /// Queued again for a worker (`queueOnly`); `from` is the checkpoint it will continue from.
    case queued(from: String?)
    /// Another worker claimed it between the requeue and this process's claim.
    case claimedElsewhere
    case trained(TrainSummary)
  }

  /// Queues run `id` again (interrupted or failed; any training kind) and, unless `queueOnly`,
  /// continues it in this process from its latest checkpoint.
  public static func resume(runId id: Int64, queueOnly: Bool = false, registry: Registry, options: TrainOptions = .init())
    throws -> Resumed
  {
    let run = try registry.run(id)
    guard kinds.contains(run.kind) else {
      throw TrainError.setup("run \(id) is a '\(run.kind)' run; only \(kinds.joined(separator: ", ")) runs can be resumed")
    }
    if run.kind == DynamicsTraining.runKind { _ = try DynamicsTraining.landmarkCheckpoint(of: run, registry: registry) }
    let queued = try registry.requeue(id)
    if queueOnly { return .queued(from: queued.resumeFrom) }
    guard let handle = try registry.claimQueued(id) else { return .claimedElsewhere }
    return .trained(try continueClaimed(handle, registry: registry, options: options))
  }

  /// `resume` continuing here: the summary, or nil when another worker claimed the run first.
  public static func resumeHere(runId id: Int64, registry: Registry, options: TrainOptions = .init()) throws -> TrainSummary? {
    if case .trained(let s) = try resume(runId: id, registry: registry, options: options) { return s }
    return nil
  }
}
