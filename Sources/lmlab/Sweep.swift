// `lmlab sweep SPEC [--workers N]` and `lmlab sweep status ID`: queue a sweep's trials (once
// each, however often the command runs), keep N worker processes on them, and show where a
// sweep stands. The logic is in Workbench/Sweep.
import ArgumentParser
import Foundation
import SafeIO
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
  @Flag(help: "List the trials (with --slurm: print the sbatch script) and stop; nothing is queued.") var dryRun = false
  @Flag(help: "Submit the workers as a Slurm job array (sbatch) instead of starting them here.") var slurm = false
  @Option(help: "--slurm: array tasks, one worker each (default: the trials left, at most 8).") var arraySize: Int?
  @Option(help: "--slurm: partition.") var partition: String?
  @Option(help: "--slurm: time limit per task (sbatch --time, e.g. 2:00:00).") var time: String?
  @Option(help: "--slurm: CPUs per task.") var cpusPerTask = 1

  func run() throws {
    // Checked before anything is read or written: a submission that cannot happen queues nothing.
    let sbatch = slurm && !dryRun ? SlurmArray.sbatch() : nil
    if slurm && !dryRun && sbatch == nil {
      throw SweepLaunchError(
        message: "--slurm: sbatch is not on PATH (install slurm-wlm and start a cluster, e.g. scripts/dev-cluster.sh); --slurm --dry-run prints the script")
    }
    if let n = arraySize, n < 1 { throw ValidationError("--array-size must be at least 1, got \(n)") }
    let s = try SweepSpec.load(path: spec)
    // Everything is checked before the registry is written: a dynamics sweep's landmark run
    // must already be in it; a landmarks sweep needs no registry to check.
    let plan = try s.plan(registry: s.trainer == .dynamics ? try global.openRegistry() : nil)
    let registryPath = URL(fileURLWithPath: global.registryPath).standardizedFileURL.path
    func logFolder(_ id: String) -> String {
      logDir ?? ((Paths.parentFolder(of: registryPath) as NSString).appendingPathComponent("sweeps/\(id)-\(s.name)"))
    }
    func array(_ sweep: String, tasks: Int) -> SlurmArray {
      SlurmArray(
        sweep: sweep, sweepName: s.name, tasks: tasks, partition: partition, time: time, cpusPerTask: cpusPerTask,
        executable: selfExecutable(), registryPath: registryPath, logDir: logFolder(sweep))
    }
    if dryRun {
      if slurm {
        print(array(s.name, tasks: arraySize ?? min(8, plan.trials.count)).script, terminator: "")
        return
      }
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
    let workerArgs = ["train", "worker", "--sweep", String(q.sweep.id), "--registry", registryPath]
    if let sbatch {
      let left = (q.queued + q.existing).filter { $0.status != .finished && $0.status != .failed }.count
      let a = array(String(q.sweep.id), tasks: arraySize ?? max(1, min(8, left)))
      let job = try a.submit(sbatch: sbatch)
      try registry.addSchedulerJob(sweepId: q.sweep.id, job: job)
      print("submitted Slurm array job \(job) (\(a.tasks) task(s)): script \(a.scriptPath), logs \(a.logDir)/slurm-\(job)_*.log")
      print("follow it with: lmlab sweep status \(q.sweep.id) --registry \(registryPath)")
      return
    }
    guard workers > 0 else {
      print("start workers with: lmlab " + workerArgs.joined(separator: " "))
      return
    }
    var launch = SweepLaunch(executable: selfExecutable(), arguments: workerArgs, logDir: logFolder(String(q.sweep.id)))
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
