// StageReuse: how a pipeline (the demo) finds a stage it already ran. A stage is a registry run
// identified by kind, parent and exact config JSON inside the pipeline's experiment; a finished
// one is reused, an unfinished one continued (training: from its checkpoint) or redone (cheap
// frame stages: the partial run is deleted first, so a restart never leaves duplicates).
import Foundation
import Registry

public enum DemoError: Error, CustomStringConvertible, LocalizedError, Equatable {
  case stage(String)

  public var description: String {
    switch self {
    case .stage(let m): return m
    }
  }
  public var errorDescription: String? { description }
}

enum StageReuse {
  enum Found {
    case finished(Run)
    /// Interrupted, failed or queued: continue it.
    case unfinished(Run)
    case none
  }

  /// The run `spec` would create, if the registry already holds it. Runs whose process died
  /// (kill -9) are marked interrupted first; one still running elsewhere is an error.
  static func find(_ spec: RunSpec, registry: Registry) throws -> Found {
    try registry.reapInterrupted()
    let runs = try registry.runs(kind: spec.kind, parentId: spec.parentId, configJSON: spec.configJSON, experiment: spec.experiment)
    if let done = runs.last(where: { $0.status == .finished }) { return .finished(done) }
    if let live = runs.first(where: { $0.status == .running }) {
      throw DemoError.stage(
        "run \(live.id) (\(live.name)) of this stage is running in process \(live.pid.map(String.init) ?? "?") on \(live.host); "
          + "wait for it or stop it, then start again")
    }
    if let rest = runs.last { return .unfinished(rest) }
    return .none
  }

  /// Deletes unfinished runs of a frame stage (their output folder too) so it can be redone.
  static func discard(_ run: Run, out: String, registry: Registry) throws {
    try registry.deleteRun(run.id)
    if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
  }
}
