// `lmlab sweep SPEC [--workers N]` and `lmlab sweep status ID`: queue a sweep's trials (once
// each, however often the command runs), keep N worker processes on them, and show where a
// sweep stands. The logic is in Workbench/Sweeps.
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
  @Option(help: "--slurm: CPUs per task: each worker runs that many threads (LMLAB_THREADS, OPENBLAS_NUM_THREADS).")
  var cpusPerTask = 2

  func run() throws {
    var request = SweepRequest(specPath: spec, registryPath: global.registryPath, executable: selfExecutable())
    (request.workers, request.logDir, request.dryRun, request.slurm) = (workers, logDir, dryRun, slurm)
    (request.arraySize, request.partition, request.time, request.cpusPerTask) = (arraySize, partition, time, cpusPerTask)
    // Checked before anything is read or written: a submission that cannot happen queues nothing.
    try request.locateSbatch()
    if let n = arraySize, n < 1 { throw ValidationError("--array-size must be at least 1, got \(n)") }
    let stopped = try SweepSubmission.run(request, openRegistry: { try global.openRegistry(mustExist: $0) }) { print($0) }
    if stopped { throw ExitCode(130) }
  }
}

struct SweepStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Trials of a sweep by status, best so far, ETA.")

  @OptionGroup var global: GlobalOptions
  @Argument(help: "Sweep id or name (omit: list the sweeps).") var sweep: String?

  func run() throws {
    let lines = try SweepSubmission.status(of: sweep, registry: try global.openRegistry(), registryPath: global.registryPath)
    for line in lines { print(line) }
  }
}

/// This executable's path (workers run the same build).
func selfExecutable() -> String {
  let proc = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
  if proc != "/proc/self/exe", FileManager.default.isExecutableFile(atPath: proc) { return proc }
  return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}
