// ThreadSetting: the thread count a command runs with (`--threads N`, else $LMLAB_THREADS, else
// the cores this process may use) and how a run records it: the param `engine_threads`, set
// as each attempt starts. It is not a config key, so it changes neither a run's config hash
// nor which stage the demo reuses: the numbers are the same at any count (ConvSplitTests).
import Foundation
import Registry
import TensorEngine

public enum ThreadSetting {
  /// The param a run records its thread count in (shown by `runs show`).
  public static let paramKey = "engine_threads"

  /// The environment variable read when no `--threads` is given.
  public static var environmentVariable: String { EngineThreads.environmentVariable }

  /// Sets the engine's workers and OpenBLAS to `flag`, else $LMLAB_THREADS, else the cores;
  /// returns the count. An invalid value is an error naming the option or variable.
  @discardableResult
  public static func apply(flag: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
    let n = try EngineThreads.resolve(flag: flag, environment: environment)
    EngineThreads.apply(n)
    return n
  }

  /// The thread count this process runs with now.
  public static var current: Int { engineThreads }

  /// Cores this process may use.
  public static var cores: Int { EngineThreads.cores }

  /// The param that records `current`.
  public static var param: ParamEntry { .int(paramKey, current) }
}
