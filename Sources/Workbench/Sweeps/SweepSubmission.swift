// SweepSubmission: what `lmlab sweep SPEC` does once its options are checked — reads and plans
// the spec (a dynamics sweep's landmark run must already be recorded), lists the trials or
// prints the Slurm script (--dry-run), queues each trial once however often it runs, then
// submits a Slurm job array, prints the worker command, or keeps N local workers on the trials.
// And `lmlab sweep status`: the sweeps of a registry, or where one stands.
import Foundation
import SafeIO
import Registry

/// `lmlab sweep SPEC`'s options.
public struct SweepRequest: Sendable {
  public var specPath: String
  /// The registry as the workers are told to open it.
  public var registryPath: String
  /// The lmlab binary workers run (the same build as the command).
  public var executable: String
  /// Local worker processes (0: only queue, and print the worker command).
  public var workers = 2
  /// Workers' logs (default: sweeps/ID-NAME beside the registry).
  public var logDir: String?
  /// List the trials (with `slurm`: print the sbatch script); queue nothing.
  public var dryRun = false
  /// Submit the workers as a Slurm job array (`locateSbatch()` finds the sbatch first).
  public var slurm = false
  /// The `sbatch` to submit with.
  public private(set) var sbatch: String?
  /// Slurm array tasks (default: the trials left, at most 8).
  public var arraySize: Int?
  public var partition: String?
  public var time: String?
  public var cpusPerTask = 2

  public init(specPath: String, registryPath: String, executable: String) {
    self.specPath = specPath
    self.registryPath = URL(fileURLWithPath: registryPath).standardizedFileURL.path
    self.executable = executable
  }

  /// A submission (`slurm` without `dryRun`) needs sbatch on PATH: found here, before anything
  /// is read or written, so a submission that cannot happen queues nothing.
  public mutating func locateSbatch(environment: [String: String] = ProcessInfo.processInfo.environment)
    throws
  {
    guard slurm && !dryRun else { return }
    guard let found = SlurmArray.sbatch(environment: environment) else {
      throw SweepLaunchError(
        message:
          "--slurm: sbatch is not on PATH (install slurm-wlm and start a cluster, e.g. scripts/dev-cluster.sh); --slurm --dry-run prints the script"
      )
    }
    sbatch = found
  }
}

public enum SweepSubmission {
  /// Runs `lmlab sweep`; `openRegistry(mustExist)` opens the command's registry when needed.
  /// Returns true when a stop signal ended the local workers (the command exits 130).
  public static func run(
    _ r: SweepRequest, openRegistry: (_ mustExist: Bool) throws -> Registry, print: (String) -> Void
  ) throws -> Bool {
    precondition(!r.slurm || r.dryRun || r.sbatch != nil, "SweepRequest.locateSbatch() first")
    let s = try SweepSpec.load(path: r.specPath)
    // Everything is checked before the registry is written: a dynamics sweep's landmark run
    // must already be in it; a landmarks sweep needs no registry to check.
    let plan = try s.plan(registry: s.trainer == .dynamics ? try openRegistry(true) : nil)
    func logFolder(_ id: String) -> String {
      r.logDir
        ?? ((Paths.parentFolder(of: r.registryPath) as NSString).appendingPathComponent(
          "sweeps/\(id)-\(s.name)"))
    }
    func array(_ sweep: String, tasks: Int) -> SlurmArray {
      SlurmArray(
        sweep: sweep, sweepName: s.name, tasks: tasks, partition: r.partition, time: r.time,
        cpusPerTask: r.cpusPerTask, executable: r.executable, registryPath: r.registryPath, logDir: logFolder(sweep))
    }
    if r.dryRun {
      if r.slurm {
        // The script ends with a newline; `print` adds one.
        print(String(array(s.name, tasks: r.arraySize ?? min(8, plan.trials.count)).script.dropLast()))
        return false
      }
      print(
        "sweep '\(s.name)': \(plan.trials.count) trial(s) of \(s.trainer.rawValue), ranked by \(s.rankGoal.rawValue) \(s.rankField)"
      )
      for (i, t) in plan.trials.enumerated() {
        print("  \(i + 1). \(t.label.isEmpty ? "(base config)" : t.label)")
      }
      return false
    }
    let registry = try openRegistry(false)
    let q = try registry.queueSweep(name: s.name, record: plan.record, trials: plan.runSpecs())
    let existing = Dictionary(grouping: q.existing, by: \.status).map {
      "\($0.value.count) \($0.key.rawValue)"
    }.sorted()
    print(
      "sweep \(q.sweep.id) '\(s.name)': \(plan.trials.count) trial(s); \(q.queued.count) queued now"
        + (existing.isEmpty ? "" : ", already in the registry: " + existing.joined(separator: ", ")))
    let workerArgs = ["train", "worker", "--sweep", String(q.sweep.id), "--registry", r.registryPath]
    if let sbatch = r.sbatch {
      let left = (q.queued + q.existing).filter { $0.status != .finished && $0.status != .failed }.count
      let a = array(String(q.sweep.id), tasks: r.arraySize ?? max(1, min(8, left)))
      let job = try a.submit(sbatch: sbatch)
      try registry.addSchedulerJob(sweepId: q.sweep.id, job: job)
      print(
        "submitted Slurm array job \(job) (\(a.tasks) task(s)): script \(a.scriptPath), logs \(a.logDir)/slurm-\(job)_*.log"
      )
      print("follow it with: lmlab sweep status \(q.sweep.id) --registry \(r.registryPath)")
      return false
    }
    guard r.workers > 0 else {
      print("start workers with: lmlab " + workerArgs.joined(separator: " "))
      return false
    }
    var launch = SweepLaunch(
      executable: r.executable, arguments: workerArgs, logDir: logFolder(String(q.sweep.id)))
    launch.workers = r.workers
    let (status, signal) = try SweepLauncher.run(q.sweep, registry: registry, launch: launch)
    print(status.text)
    guard signal == nil else {
      print("sweep \(q.sweep.id) stopped; run `lmlab sweep \(r.specPath)` again to continue")
      return true
    }
    return false
  }

  /// `lmlab sweep status [SWEEP]`: one summary line per sweep (or that there is none), or the
  /// status of the sweep named by id or name. Runs whose process is gone are marked first.
  public static func status(of sweep: String?, registry: Registry, registryPath: String) throws -> [String] {
    try registry.reapInterrupted()
    guard let sweep else {
      let all = try registry.sweeps()
      if all.isEmpty { return ["no sweeps in \(registryPath)"] }
      return try all.map { try SweepStatus.load($0, registry: registry).summaryLine }
    }
    return [try SweepStatus.load(try registry.sweep(sweep), registry: registry).text]
  }
}
