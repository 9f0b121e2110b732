// swift-log setup for the command line: one bootstrap per process, to standard error,
// `info` by default and `debug` with `--verbose` (or `trace` with LMLAB_LOG_LEVEL=trace).
import Foundation
import Logging

public enum LMLabLogging {
  nonisolated(unsafe) private static var bootstrapped = false
  private static let lock = NSLock()

  /// Installs the stderr handler once; later calls only change nothing (swift-log allows a
  /// single bootstrap per process).
  public static func bootstrap(
    verbose: Bool, environment: [String: String] = ProcessInfo.processInfo.environment
  ) {
    lock.lock()
    defer { lock.unlock() }
    if bootstrapped { return }
    bootstrapped = true
    let level = resolveLevel(verbose: verbose, environment: environment)
    LoggingSystem.bootstrap { label in
      var h = StreamLogHandler.standardError(label: label)
      h.logLevel = level
      return h
    }
  }

  /// `LMLAB_LOG_LEVEL` (trace, debug, info, notice, warning, error, critical) wins; then
  /// `--verbose` → debug; else info.
  public static func resolveLevel(verbose: Bool, environment: [String: String]) -> Logger.Level {
    if let s = environment["LMLAB_LOG_LEVEL"], let l = Logger.Level(rawValue: s.lowercased()) { return l }
    return verbose ? .debug : .info
  }

  /// A logger for one subsystem, e.g. `LMLabLogging.logger("registry")`.
  public static func logger(_ subsystem: String) -> Logger { Logger(label: "lmlab." + subsystem) }
}
