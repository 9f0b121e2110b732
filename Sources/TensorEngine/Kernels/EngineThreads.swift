// The engine's thread count: where its default comes from (LMLAB_THREADS, else the cores this
// process may use) and how a command sets it (engine workers and OpenBLAS together).
import Foundation

/// An LMLAB_THREADS value or `--threads` count that is not a positive integer.
public struct EngineThreadsError: Error, CustomStringConvertible, LocalizedError, Equatable {
  public let source: String
  public let value: String
  public var description: String { "\(source)=\(value): the thread count must be a whole number ≥ 1" }
  public var errorDescription: String? { description }
}

public enum EngineThreads {
  /// The environment variable that sets the default thread count.
  public static let environmentVariable = "LMLAB_THREADS"

  /// Cores this process may run on (Foundation's activeProcessorCount: the CPU affinity mask,
  /// so `taskset` and Slurm's CPU binding count; at least 1).
  public static var cores: Int { Swift.max(1, ProcessInfo.processInfo.activeProcessorCount) }

  /// The count LMLAB_THREADS asks for; nil when unset or empty.
  public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Int? {
    guard let text = env[environmentVariable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
    guard let n = Int(text), n >= 1 else { throw EngineThreadsError(source: environmentVariable, value: text) }
    return n
  }

  /// LMLAB_THREADS when valid (an invalid one is reported by `resolve`), else `cores`.
  public static var defaultCount: Int { ((try? fromEnvironment()) ?? nil) ?? cores }

  /// The count a command runs with: `flag` (--threads) first, then LMLAB_THREADS, then the cores.
  public static func resolve(flag: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
    if let flag {
      guard flag >= 1 else { throw EngineThreadsError(source: "--threads", value: String(flag)) }
      return flag
    }
    return try fromEnvironment(environment) ?? cores
  }

  /// Sets the engine's workers and OpenBLAS's threads (used outside the workers: matmuls,
  /// convs that run on one worker) to `n`.
  public static func apply(_ n: Int) {
    precondition(n >= 1, "EngineThreads.apply: thread count \(n) < 1")
    engineThreads = n
    setBLASThreads(n)
  }
}
