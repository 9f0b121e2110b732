// StopSignals: SIGINT/SIGTERM handlers that only set a flag; the training loop polls it between
// steps, writes a checkpoint and ends the run as interrupted. Handlers are installed for the
// duration of a run and the previous dispositions restored afterwards.
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The signal number that asked to stop (0: none). Written only by the handler and `reset`.
nonisolated(unsafe) private var stopRequestedSignal: sig_atomic_t = 0

private func recordStopSignal(_ sig: Int32) { stopRequestedSignal = sig_atomic_t(sig) }

public enum StopSignals {
  private static let watched: [Int32] = [SIGINT, SIGTERM]

  /// Installs the flag-setting handlers; returns the previous handlers for `restore`.
  public static func install() -> [Int32: sighandler_t?] {
    stopRequestedSignal = 0
    var previous: [Int32: sighandler_t?] = [:]
    for s in watched { previous[s] = signal(s, recordStopSignal) }
    return previous
  }

  public static func restore(_ previous: [Int32: sighandler_t?]) {
    for (s, h) in previous { signal(s, h ?? SIG_DFL) }
  }

  /// The signal received since `install`, if any.
  public static var received: Int32? { stopRequestedSignal == 0 ? nil : Int32(stopRequestedSignal) }

  public static func name(_ s: Int32) -> String { s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "signal \(s)" }
}
