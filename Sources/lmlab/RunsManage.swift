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

  func run() throws {
    let runID = try parseRunID(id)
    let registry = try global.openRegistry()
    let run = try registry.requeue(runID)
    let from = run.resumeFrom.map { "from checkpoint \($0)" } ?? "from scratch (no checkpoint recorded)"
    guard !queueOnly, run.kind == LandmarkTraining.runKind else {
      print("run \(run.id) queued again; the next worker that claims it restarts it \(from)")
      return
    }
    print("continuing run \(run.id) \(from)")
    guard let summary = try LandmarkTraining.resume(runId: runID, registry: registry) else {
      print("run \(run.id) was claimed by another worker first")
      return
    }
    if summary.status == .interrupted { throw ExitCode(130) }
  }
}

struct RunsDelete: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete",
    abstract: "Delete a run, everything recorded under it, and its checkpoint and artifact files.")

  @OptionGroup var global: GlobalOptions

  @Argument(help: "Run id.")
  var id: String

  @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
  var yes = false

  func run() throws {
    let runID = try parseRunID(id)
    let registry = try global.openRegistry()
    let plan = try registry.planDeletion(runID)
    let existing = plan.files.filter { FileManager.default.fileExists(atPath: $0) }
    print(
      "run \(runID) (\(plan.run.name), \(plan.run.status.rawValue)): \(plan.seriesPoints) series points, "
        + "\(plan.frameScores) per-frame scores, \(existing.count) file(s)")
    for f in existing { print("  \(f)") }
    if !yes {
      guard isatty(STDIN_FILENO) == 1 else {
        throw OptionError(
          option: "delete", underlying: RegistryError.invalidState("not a terminal: pass --yes to confirm"))
      }
      print("delete? [y/N] ", terminator: "")
      guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
        print("nothing deleted")
        return
      }
    }
    let removed = try registry.deleteRun(runID)
    print("deleted run \(runID) and \(removed.count) file(s)")
  }
}
