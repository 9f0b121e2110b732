// `lmlab runs queue` and `lmlab runs delete`: the two commands that write runs directly — a
// queued run recorded with its resolved config for a worker to claim, and a run deleted with
// everything recorded under it, after the command has shown what that is.
import Foundation
import Registry

/// A run just queued.
public struct QueuedRun: Sendable {
  public let id: Int64
  public let configHash: String
}

/// What deleting a run removes, read before anything is deleted.
public struct RunDeletion: Sendable {
  public let runId: Int64
  /// "run 3 (name, status): N series points, M per-frame scores, K file(s)".
  public let summary: String
  /// The run's checkpoint and artifact files that exist.
  public let files: [String]

  /// Refused: nobody can be asked (standard input is not a terminal) and --yes was not given.
  public static var unconfirmed: OptionError {
    OptionError(
      option: "delete", underlying: RegistryError.invalidState("not a terminal: pass --yes to confirm"))
  }

  public static func plan(_ id: Int64, registry: Registry) throws -> RunDeletion {
    let plan = try registry.planDeletion(id)
    let existing = plan.files.filter { FileManager.default.fileExists(atPath: $0) }
    let summary =
      "run \(id) (\(plan.run.name), \(plan.run.status.rawValue)): \(plan.seriesPoints) series points, "
      + "\(plan.frameScores) per-frame scores, \(existing.count) file(s)"
    return RunDeletion(runId: id, summary: summary, files: existing)
  }

  /// Deletes the run (refused while it runs with a live heartbeat); returns how many files went.
  public func execute(registry: Registry) throws -> Int {
    try registry.deleteRun(runId).count
  }
}

extension RunQueries {
  /// `runs queue`: records a queued run of `loaded` for any worker process to claim.
  public static func queue(
    _ loaded: LoadedConfig, name: String, kind: String, experiment: String?, registry: Registry
  )
    throws -> QueuedRun
  {
    let run = try registry.createRun(loaded.runSpec(name: name, kind: kind, experiment: experiment))
    return QueuedRun(id: run.id, configHash: run.configHash)
  }
}
