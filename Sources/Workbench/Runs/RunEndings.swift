// How a training run ends other than by finishing, recorded the same way for landmark and
// dynamics runs: interrupted by a signal (with how to continue it), stopped by a non-finite
// loss (naming the step and the last good checkpoint), or failed by any other error.
import Registry

extension RunHandle {
  /// Marks the run interrupted by `signal` at `step` and says how to continue it.
  func markInterrupted(by signal: Int32, step: Int, checkpoint: String?, print out: (String) -> Void) throws {
    let why = "stopped by \(StopSignals.name(signal)) at step \(step); checkpoint \(checkpoint ?? "-")"
    try finish(.interrupted, error: why + "; continue with `lmlab runs resume \(runId)`")
    out("run \(runId) interrupted: \(why)")
  }

  /// Flushes what was logged, marks the run failed at step `step` and returns the error to throw.
  func failNonFinite(step: Int, losses: String, lastCheckpoint: String?) throws -> TrainError {
    try flush()
    let error = TrainError.nonFinite(step: step, losses: losses, lastCheckpoint: lastCheckpoint)
    try finish(.failed, error: error.description)
    return error
  }

  /// Marks the run failed with `error` unless it already ended (a NaN stop has done so), and says so.
  func failIfRunning(_ error: Error, print out: (String) -> Void) {
    if (try? registry.run(runId).status) == .running { try? finish(.failed, error: "\(error)") }
    out("run \(runId) failed: \(error)")
  }
}
