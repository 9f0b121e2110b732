// `lmlab runs resume ID` and `lmlab runs delete ID [--yes]`.
import ArgumentParser
import Foundation
import Workbench

struct RunsResume: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resume",
    abstract: "Continue an interrupted or failed run from its latest checkpoint (here, or by a worker with --queue-only).")

  @OptionGroup var global: GlobalOptions

  @Argument(help: "Run id.")
  var id: String

  @Flag(help: "Only queue the run again; a worker (`lmlab train worker`, e.g. a Slurm array task) continues it.")
  var queueOnly = false

  func run() throws { try resumeRun(id, queueOnly: queueOnly, global: global) }
}

/// `runs resume` and `train resume`: queue run `id` again and continue it here (any training kind),
/// or leave it to a worker.
func resumeRun(_ id: String, queueOnly: Bool, global: GlobalOptions) throws {
  let registry = try global.openRegistry()
  switch try TrainingRuns.resume(runId: try parseRunID(id), queueOnly: queueOnly, registry: registry) {
  case .queued(let from):
    print("run \(id) queued again; the next worker that claims it continues it " + (from.map { "from checkpoint \($0)" } ?? "from scratch (no checkpoint recorded)"))
  case .claimedElsewhere:
    print("run \(id) was claimed by another worker first")
  case .trained(let s):
    if s.wasInterrupted { throw ExitCode(130) }
  }
}

struct RunsDelete: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete",
    abstract: "Delete a run, everything recorded under it, and its checkpoint and artifact files.",
    discussion: "A run other runs were built on (a landmarks run under its dynamics runs, ...) is refused, naming them, unless --with-children deletes them too.")

  @OptionGroup var global: GlobalOptions

  @Argument(help: "Run id.")
  var id: String

  @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
  var yes = false

  @Flag(help: "Also delete every run built on this one (its children, their children, ...).")
  var withChildren = false

  func run() throws {
    let runID = try parseRunID(id)
    let registry = try global.openRegistry()
    let deletion = try RunDeletion.plan(runID, withChildren: withChildren, registry: registry)
    print(deletion.summary)
    for f in deletion.files { print("  \(f)") }
    if !yes {
      guard isatty(STDIN_FILENO) == 1 else { throw RunDeletion.unconfirmed }
      print("delete? [y/N] ", terminator: "")
      guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
        print("nothing deleted")
        return
      }
    }
    let removed = try deletion.execute(registry: registry)
    let also = deletion.descendants.isEmpty ? "" : ", its descendant run(s) \(deletion.descendants.map(String.init).joined(separator: ", "))"
    print("deleted run \(runID)\(also) and \(removed) file(s)")
  }
}
