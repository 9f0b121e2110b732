// `lmlab sweep SPEC [--workers N]` and `lmlab sweep status ID`: queue a sweep's trials (once
// each, however often the command runs), keep N worker processes on them, and show where a
// sweep stands. The logic is in Workbench/Sweep.
import ArgumentParser
import Foundation
import Workbench

struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep", abstract: "Hyperparameter sweeps: trials queued in the registry, run by worker processes.",
    subcommands: [SweepRun.self, SweepStatusCommand.self], defaultSubcommand: SweepRun.self)
}

struct SweepRun: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Queue the trials of a sweep spec and run them with worker processes (run again to resume).")

  @OptionGroup var global: GlobalOptions
  @Argument(help: "Sweep spec, e.g. Experiments/table1-demo.sweep.yaml.") var spec: String
  @Option(help: "Worker processes to run (0: only queue, and print the worker command).") var workers = 2
  @Option(help: "Folder for the workers' logs (default: sweeps/ID-NAME beside the registry).") var logDir: String?
  @Flag(help: "List the trials and stop (nothing is queued).") var dryRun = false

  func run() throws {
    let s = try SweepSpec.load(path: spec)
    // Everything is checked before the registry is written: a dynamics sweep's landmark run
    // must already be in it; a landmarks sweep needs no registry to check.
    let plan = try s.plan(registry: s.trainer == .dynamics ? try global.openRegistry() : nil)
    if dryRun {
      print("sweep '\(s.name)': \(plan.trials.count) trial(s) of \(s.trainer.rawValue), ranked by \(s.rankGoal.rawValue) \(s.rankField)")
      for (i, t) in plan.trials.enumerated() { print("  \(i + 1). \(t.label.isEmpty ? "(base config)" : t.label)") }
      return
    }
    let registry = try global.openRegistry(mustExist: false)
    let q = try registry.queueSweep(name: s.name, record: plan.record, trials: plan.runSpecs())
    let existing = Dictionary(grouping: q.existing, by: \.status).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
    print(
      "sweep \(q.sweep.id) '\(s.name)': \(plan.trials.count) trial(s); \(q.queued.count) queued now"
        + (existing.isEmpty ? "" : ", already in the registry: " + existing.joined(separator: ", ")))
    let registryPath = URL(fileURLWithPath: global.registryPath).standardizedFileURL.path
    let workerArgs = ["train", "worker", "--sweep", String(q.sweep.id), "--registry", registryPath]
    guard workers > 0 else {
      print("start workers with: lmlab " + workerArgs.joined(separator: " "))
      return
    }
    let dir =
      logDir
      ?? (((registryPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("sweeps/\(q.sweep.id)-\(s.name)"))
    var launch = SweepLaunch(executable: selfExecutable(), arguments: workerArgs, logDir: dir)
    launch.workers = workers
    let (status, signal) = try SweepLauncher.run(q.sweep, registry: registry, launch: launch)
    print(status.text)
    if signal != nil {
      print("sweep \(q.sweep.id) stopped; run `lmlab sweep \(spec)` again to continue")
      throw ExitCode(130)
    }
  }
}

struct SweepStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Trials of a sweep by status, best so far, ETA.")

  @OptionGroup var global: GlobalOptions
  @Argument(help: "Sweep id or name (omit: list the sweeps).") var sweep: String?

  func run() throws {
    let registry = try global.openRegistry()
    try registry.reapInterrupted()
    guard let sweep else {
      let all = try registry.sweeps()
      if all.isEmpty { print("no sweeps in \(global.registryPath)") }
      for s in all { print(try SweepStatus.load(s, registry: registry).summaryLine) }
      return
    }
    print(try SweepStatus.load(try registry.sweep(sweep), registry: registry).text)
  }
}

/// This executable's path (workers run the same build).
func selfExecutable() -> String {
  let proc = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
  if proc != "/proc/self/exe", FileManager.default.isExecutableFile(atPath: proc) { return proc }
  return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}
