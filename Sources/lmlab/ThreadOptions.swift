// `--threads N`, shared by the commands that train or make frames (train landmarks|dynamics|
// resume|worker, predict, interpolate, demo).
import ArgumentParser
import Workbench

struct ThreadOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Engine and OpenBLAS threads (default: $LMLAB_THREADS, else every core this process may use); recorded as the run's engine_threads param.",
      valueName: "N"))
  var threads: Int?

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1 (got \(threads))") }
  }

  /// Sets the thread count before any work starts; returns it.
  @discardableResult
  func apply() throws -> Int { try ThreadSetting.apply(flag: threads) }
}
