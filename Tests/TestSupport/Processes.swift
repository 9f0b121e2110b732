// Processes the tests start and kill: every wait has a deadline (a hung child fails the test
// naming what it waited for, instead of hanging the suite), every exit status is checked, and
// kill moments come from a seeded generator whose seed is printed (LMLAB_TEST_SEED repeats a run).
import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// Thrown when a wait runs out of time: XCTest records it as a failure with this text.
public struct DeadlineExceeded: Error, CustomStringConvertible {
  public let description: String
  public init(description: String) { self.description = description }
}

/// Thrown when a process a test needs cannot be started (e.g. a product that should have been
/// built with the tests): a failure with this text, never a skip.
public struct ProcessFailure: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Waits for `process` to exit within `seconds`; past that it is killed (SIGKILL, reaped) and
/// `DeadlineExceeded` names `what`.
public func waitForExit(_ process: Process, within seconds: Double, _ what: String) throws {
  let deadline = Date().addingTimeInterval(seconds)
  while process.isRunning {
    if Date() >= deadline {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      throw DeadlineExceeded(
        description: "\(what) (pid \(process.processIdentifier)) still running after \(seconds) s: killed")
    }
    Thread.sleep(forTimeInterval: 0.02)
  }
  process.waitUntilExit()  // reaped; termination status and reason are set
}

/// How a finished process ended, in words: "exit 0", "signal 9 (SIGKILL)".
public func exitDescription(_ process: Process) -> String {
  switch process.terminationReason {
  case .exit: return "exit \(process.terminationStatus)"
  case .uncaughtSignal:
    let s = process.terminationStatus
    return "signal \(s)" + (s == SIGKILL ? " (SIGKILL)" : s == SIGTERM ? " (SIGTERM)" : "")
  @unknown default: return "status \(process.terminationStatus)"
  }
}

/// Fails unless `process` (finished) exited normally with status 0.
public func assertExitedCleanly(
  _ process: Process, _ what: String, output: String = "", file: StaticString = #filePath, line: UInt = #line
) {
  if process.terminationReason != .exit || process.terminationStatus != 0 {
    XCTFail("\(what) ended with \(exitDescription(process)), not exit 0\n\(output)", file: file, line: line)
  }
}

/// Fails unless `process` (finished) was ended by `signal`: a process that exited on its own
/// before the kill reached it was not killed where the test says.
public func assertKilled(
  _ process: Process, by signal: Int32, _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
  if process.terminationReason != .uncaughtSignal || process.terminationStatus != signal {
    XCTFail(
      "\(what) ended with \(exitDescription(process)), not signal \(signal): the kill did not end it",
      file: file, line: line)
  }
}

/// True while `pid` names a process that is neither gone nor a zombie.
public func isAlive(_ pid: Int32) -> Bool {
  guard kill(pid, 0) == 0 else { return false }
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return true }
  let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
  return state != "Z" && state != "X"
}

/// Waits until none of `pids` is alive (zombies count as gone: their parent reaps them, or
/// init does), or throws naming the ones still alive after `seconds`.
public func waitUntilGone(_ pids: [Int32], within seconds: Double, _ what: String) throws {
  let deadline = Date().addingTimeInterval(seconds)
  while true {
    let alive = pids.filter(isAlive)
    if alive.isEmpty { return }
    if Date() >= deadline {
      throw DeadlineExceeded(description: "\(what): pids \(alive) still alive after \(seconds) s")
    }
    Thread.sleep(forTimeInterval: 0.05)
  }
}

/// Reads a child's output line by line with a deadline per read (poll(2) on the pipe).
public final class LineReader {
  private let fd: Int32
  private var buffer: [UInt8] = []
  private var eof = false
  /// Everything read so far, as text.
  public private(set) var text = ""

  public init(_ pipe: Pipe) { fd = pipe.fileHandleForReading.fileDescriptor }

  /// The next line (without its newline), nil at end of output; throws `DeadlineExceeded`
  /// naming `what` when no full line arrives within `seconds`.
  public func nextLine(within seconds: Double, _ what: String) throws -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
      if let nl = buffer.firstIndex(of: 10) {
        let line = String(decoding: buffer[..<nl], as: UTF8.self)
        buffer.removeSubrange(...nl)
        return line
      }
      if eof {
        if buffer.isEmpty { return nil }
        defer { buffer.removeAll() }
        return String(decoding: buffer, as: UTF8.self)
      }
      let left = deadline.timeIntervalSinceNow
      if left <= 0 { throw DeadlineExceeded(description: "\(what): no line within \(seconds) s (output so far: \(text))") }
      try read(timeout: left)
    }
  }

  /// Reads until end of output (the writer exited and closed the pipe), within `seconds`.
  public func readToEnd(within seconds: Double, _ what: String) throws -> String {
    let deadline = Date().addingTimeInterval(seconds)
    while !eof {
      let left = deadline.timeIntervalSinceNow
      if left <= 0 { throw DeadlineExceeded(description: "\(what): output still open after \(seconds) s") }
      try read(timeout: left)
    }
    return text
  }

  private func read(timeout: Double) throws {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ms = Int32(Swift.min(timeout, 1) * 1000) + 1
    let r = poll(&p, 1, ms)
    if r < 0 && errno != EINTR { throw DeadlineExceeded(description: "poll on a child's output failed: errno \(errno)") }
    guard r > 0 else { return }
    var chunk = [UInt8](repeating: 0, count: 65536)
    let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
    if n <= 0 {
      if n < 0 && errno == EINTR { return }
      eof = true
      return
    }
    buffer += chunk[0..<n]
    text += String(decoding: chunk[0..<n], as: UTF8.self)
  }
}

/// Kill moments for tests that kill at random times, from a seeded generator (SplitMix64).
/// The seed is `$LMLAB_TEST_SEED` when set, else drawn from the clock, and printed either way,
/// so a failing run can be repeated with the same moments.
public struct KillMoments {
  public let seed: UInt64
  private var state: UInt64

  public init(_ what: String) {
    if let s = ProcessInfo.processInfo.environment["LMLAB_TEST_SEED"], let v = UInt64(s) {
      seed = v
    } else {
      seed = UInt64(Date().timeIntervalSince1970 * 1000) % 1_000_000
    }
    state = seed
    print("\(what): kill moments from seed \(seed) (LMLAB_TEST_SEED=\(seed) repeats them)")
  }

  /// A uniform draw from `range`.
  public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return range.lowerBound + Double(z >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
  }
}
