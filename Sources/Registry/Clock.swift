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

  /// True if a process with this pid exists on this host (a zombie counts as alive until its
  /// parent reaps it). EPERM means it exists but belongs to someone else.
  static func processAlive(_ pid: Int64) -> Bool {
    if pid <= 0 || pid > Int64(Int32.max) { return false }
    if kill(pid_t(pid), 0) == 0 { return true }
    return errno == EPERM
  }
}
