// MemoryBudget: how many bytes this process can still allocate, so that sizes read from a file's
// header (image and video dimensions, HDF5 dataset shapes) are checked before anything is
// allocated: the smallest of the system's available memory (/proc/meminfo MemAvailable), what
// the cgroup's memory limit leaves, and what the address-space limit (`ulimit -v`) leaves.
// A refusal names the file, what it claims and the figure it was compared with.
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

public enum MemoryBudget {
  /// Bytes this process can still allocate (an estimate; `Int.max` when nothing says).
  public static func available() -> Int {
    var best = Int.max
    if let avail = meminfo("MemAvailable") { best = Swift.min(best, avail) }
    if let max = readNumber("/sys/fs/cgroup/memory.max"),
      let used = readNumber("/sys/fs/cgroup/memory.current")
    {
      best = Swift.min(best, Swift.max(0, max - used))
    }
    var lim = rlimit()
    if getrlimit(Int32(RLIMIT_AS.rawValue), &lim) == 0, lim.rlim_cur < UInt64(Int.max) {
      let used = status("VmSize") ?? 0
      best = Swift.min(best, Swift.max(0, Int(lim.rlim_cur) - used))
    }
    return best
  }

  /// Throws unless `bytes` fit in what is available (with a quarter kept for everything else).
  /// `what` says whose bytes they are, e.g. "x.png: header says 30000×30000 pixels".
  public static func check(_ bytes: Int, _ what: @autoclosure () -> String) throws {
    let avail = available()
    if bytes > avail / 4 * 3 {
      throw InputRefused(
        "\(what()): \(byteCount(Double(bytes))) to hold, more than the \(byteCount(Double(avail))) of memory available"
      )
    }
  }

  /// `a × b × ...` or nil when the product overflows (a shape read from a hostile header).
  public static func product(_ factors: [Int]) -> Int? {
    var n = 1
    for f in factors {
      guard f >= 0 else { return nil }
      let (r, o) = n.multipliedReportingOverflow(by: f)
      if o { return nil }
      n = r
    }
    return n
  }

  static func meminfo(_ key: String) -> Int? { kilobytes(key, in: "/proc/meminfo") }

  static func status(_ key: String) -> Int? { kilobytes(key, in: "/proc/self/status") }

  /// The "<key>: N kB" line of a /proc file, in bytes.
  static func kilobytes(_ key: String, in path: String) -> Int? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
      let digits = line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ")
        .first
      return digits.flatMap { Int($0) }.map { $0 * 1024 }
    }
    return nil
  }

  static func readNumber(_ path: String) -> Int? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }
}
