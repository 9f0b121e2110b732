// SlurmArray: a sweep's workers as a Slurm job array. Each array task `exec`s
// `lmlab train worker --sweep ID` against the shared registry, so the scheduler's SIGTERM (time
// limit, preemption, scancel) reaches the worker itself: the trial it trains checkpoints and is
// marked interrupted, and another task of the array queues it again and continues it.
import Foundation

public struct SlurmArray: Sendable {
  /// The sweep as the workers name it (its id, or its name before it is queued).
  public var sweep: String
  public var sweepName: String
  /// Array tasks (each one worker process).
  public var tasks: Int
  public var partition: String?
  /// Slurm's `--time` (e.g. 2:00:00).
  public var time: String?
  public var cpusPerTask: Int
  /// The lmlab binary every task runs (on a shared path).
  public var executable: String
  public var registryPath: String
  /// Where the script and the tasks' logs go.
  public var logDir: String

  public init(
    sweep: String, sweepName: String, tasks: Int, partition: String?, time: String?, cpusPerTask: Int, executable: String,
    registryPath: String, logDir: String
  ) {
    (self.sweep, self.sweepName, self.tasks, self.partition, self.time) = (sweep, sweepName, tasks, partition, time)
    (self.cpusPerTask, self.executable, self.registryPath, self.logDir) = (cpusPerTask, executable, registryPath, logDir)
  }

  public var scriptPath: String { (logDir as NSString).appendingPathComponent("slurm-array.sh") }

  /// The sbatch script.
  public var script: String {
    var lines = [
      "#!/bin/bash",
      "# lmlab sweep \(sweep) '\(sweepName)': \(tasks) worker task(s) on the registry \(registryPath).",
      "# Each task trains queued trials until the sweep has none; SIGTERM checkpoints the trial it holds.",
      "#SBATCH --job-name=lmlab-sweep-\(sweep)",
      "#SBATCH --array=0-\(max(0, tasks - 1))",
      "#SBATCH --cpus-per-task=\(cpusPerTask)",
      "#SBATCH --output=\(logDir)/slurm-%A_%a.log",
      "#SBATCH --open-mode=append",
    ]
    if let p = partition { lines.append("#SBATCH --partition=\(p)") }
    if let t = time { lines.append("#SBATCH --time=\(t)") }
    lines += [
      // The worker uses exactly the cores it asked for: engine workers and OpenBLAS alike.
      "export LMLAB_THREADS=${SLURM_CPUS_PER_TASK:-\(cpusPerTask)}",
      "export OPENBLAS_NUM_THREADS=${SLURM_CPUS_PER_TASK:-\(cpusPerTask)}",
      "exec \(shellQuote(executable)) train worker --sweep \(shellQuote(sweep)) --registry \(shellQuote(registryPath))",
      "",
    ]
    return lines.joined(separator: "\n")
  }

  /// The `sbatch` on PATH, or nil.
  public static func sbatch(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
    for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let p = "\(dir)/sbatch"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
  }

  /// Writes the script and submits it; returns the array's job id.
  public func submit(sbatch: String) throws -> String {
    do {
      try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
      try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    } catch {
      throw SweepLaunchError(message: "cannot write \(scriptPath): \(error.localizedDescription)")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: sbatch)
    p.arguments = ["--parsable", scriptPath]
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    let job = o.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
    guard p.terminationStatus == 0, !job.isEmpty, job.allSatisfy(\.isNumber) else {
      let why = e.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").first.map(String.init) ?? "exit \(p.terminationStatus)"
      throw SweepLaunchError(message: "sbatch \(scriptPath) failed: \(why)")
    }
    return job
  }
}

/// `s` as one shell word.
func shellQuote(_ s: String) -> String {
  if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+:=@".contains($0) }) { return s }
  return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
