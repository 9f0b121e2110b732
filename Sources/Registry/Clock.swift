// Small process-level helpers: wall time, host name, process liveness.
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

enum Sys {
  static func now() -> Double { Date().timeIntervalSince1970 }

  static var hostName: String { ProcessInfo.processInfo.hostName }

  static var pid: Int64 { Int64(getpid()) }
  /// This process's cluster job: Slurm's `ARRAYJOB_TASK` for an array task, else its job id.
  static var schedulerJob: String? {
    let env = ProcessInfo.processInfo.environment
    if let a = env["SLURM_ARRAY_JOB_ID"], let t = env["SLURM_ARRAY_TASK_ID"] { return "\(a)_\(t)" }
    return env["SLURM_JOB_ID"]
  }

  /// True if a process with this pid exists on this host and is not a zombie. EPERM means it
  /// exists but belongs to someone else.
  static func processAlive(_ pid: Int64) -> Bool {
    if pid <= 0 || pid > Int64(Int32.max) { return false }
    if kill(pid_t(pid), 0) != 0 { return errno == EPERM }
    // A killed process stays a zombie until its parent reaps it (a container's init may be
    // slow to): on Linux, state 'Z' in /proc/PID/stat means it is gone.
    if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    {
      let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
      if state == "Z" || state == "X" { return false }
    }
    return true
  }
}
