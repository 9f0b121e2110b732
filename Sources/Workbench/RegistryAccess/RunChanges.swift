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

/// What deleting a run removes, read before anything is deleted. A run other runs were built on
/// (a landmarks run under its dynamics runs, a dynamics run under its predictions) is refused,
/// naming them, unless its descendants are deleted too (`--with-children`): a child without its
/// parent cannot be resumed, predicted from or reported.
public struct RunDeletion: Sendable {
  public let runId: Int64
  /// One line per run deleted, the run first, then its descendants: "run 3 (name, status): N
  /// series points, M per-frame scores, K file(s)".
  public let summary: String
  /// The checkpoint and artifact files that exist, of every run deleted.
  public let files: [String]
  /// The run's descendants, parents before children (deleted in the reverse order).
  public let descendants: [Int64]

  /// Refused: nobody can be asked (standard input is not a terminal) and --yes was not given.
  public static var unconfirmed: OptionError {
    OptionError(
      option: "delete", underlying: RegistryError.invalidState("not a terminal: pass --yes to confirm"))
  }

  public static func plan(_ id: Int64, withChildren: Bool = false, registry: Registry) throws -> RunDeletion {
    var descendants: [Run] = []
    var queue = [id]
    while !queue.isEmpty {
      let children = try registry.childRuns(of: queue.removeFirst())
      descendants += children
      queue += children.map(\.id)
    }
    if !descendants.isEmpty && !withChildren {
      let names = descendants.map { "\($0.id) (\($0.kind) \($0.name), \($0.status.rawValue))" }
      throw OptionError(
        option: "runs delete \(id)",
        underlying: RegistryError.invalidState(
          "\(descendants.count) run(s) are built on it: \(names.joined(separator: ", ")); "
            + "pass --with-children to delete them too, or delete them first"))
    }
    var lines: [String] = []
    var files: [String] = []
    for runId in [id] + descendants.map(\.id) {
      let plan = try registry.planDeletion(runId)
      if plan.run.status == .running && runId != id {
        throw OptionError(
          option: "runs delete \(id)",
          underlying: RegistryError.invalidState("its descendant run \(runId) is running; stop it first"))
      }
      let existing = plan.files.filter { FileManager.default.fileExists(atPath: $0) }
      lines.append(
        "run \(runId) (\(plan.run.name), \(plan.run.status.rawValue)): \(plan.seriesPoints) series points, "
          + "\(plan.frameScores) per-frame scores, \(existing.count) file(s)")
      files += existing
    }
    return RunDeletion(runId: id, summary: lines.joined(separator: "\n"), files: files, descendants: descendants.map(\.id))
  }

  /// Deletes the descendants (children last-found first) and then the run (each refused while it
  /// runs with a live heartbeat); returns how many files went.
  public func execute(registry: Registry) throws -> Int {
    var removed = 0
    for runId in descendants.reversed() + [runId] { removed += try registry.deleteRun(runId).count }
    return removed
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
