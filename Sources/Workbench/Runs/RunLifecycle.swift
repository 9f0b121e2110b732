// RunLifecycle: one process's stretch of a training run, whatever it trains — the part every
// trainer shares. It restores the latest checkpoint when the run is resumed (and records the
// step it resumed from in the registry), steps until the end polling SIGINT/SIGTERM between
// steps (then a checkpoint and the run marked interrupted), stops on a non-finite loss naming
// the step and the last good checkpoint, logs every step's losses, checkpoints every
// `checkpointEvery` steps and at the end, shows progress with rate and ETA, and ends the run in
// the registry. A trainer supplies only what differs (`SteppedTraining`).
import Foundation
import Registry

/// What a trainer plugs into the run lifecycle.
protocol SteppedTraining: AnyObject {
  /// Optimizer steps completed.
  var step: Int { get }
  var totalSteps: Int { get }
  var checkpointEvery: Int { get }
  /// The checkpoint file name for a step (e.g. `step_0001000.h5`).
  func checkpointName(step: Int) -> String
  /// Writes a checkpoint: model, optimizer and sampler state, the config JSON, the step.
  func save(to path: String) throws
  /// Restores model, optimizer and sampler state from a checkpoint.
  func restore(from path: String) throws
  /// The run's first line (sizes, steps, where its files go).
  func headline(_ life: RunLifecycle) -> String
  /// Before the first step of a fresh run (baselines, the first validation).
  func begin(_ life: RunLifecycle) throws
  /// One optimizer step.
  func trainStep() throws -> StepOutcome
  /// After a step's losses are logged and before a checkpoint at that step (samples, probes,
  /// validation): a run resumed from that checkpoint continues after this step.
  func afterStep(_ step: Int, _ life: RunLifecycle) throws
  /// After the final checkpoint, before the run is marked finished (final probe, artifacts).
  func end(_ life: RunLifecycle) throws
}

/// What one step did.
struct StepOutcome {
  /// Series name and value, as logged (the first is the progress line's loss).
  var losses: [(String, Double)]
  /// False when a loss was NaN or ±Inf: nothing changed and the step did not advance.
  var applied: Bool
}

final class RunLifecycle {
  let handle: RunHandle
  let options: TrainOptions
  /// The run's folder.
  let dir: String
  private(set) var lastCheckpoint: String?
  var summary: TrainSummary

  var out: (String) -> Void { options.print }
  var runId: Int64 { handle.runId }

  init(handle: RunHandle, dir: String, options: TrainOptions) {
    self.handle = handle
    self.dir = dir
    self.options = options
    summary = TrainSummary(runId: handle.runId, status: .running, steps: 0)
  }

  /// The run's folder (`save_path`/ID; default `<registry folder>/runs-<registry stem>/ID`, so
  /// the folders move with the registry and two registries in one folder keep theirs apart;
  /// Registry/FileRoot.swift), created. A run that starts for the
  /// first time refuses a folder that already holds checkpoints: they belong to another run of
  /// the same id, from another registry whose runs go to the same folder, and would be mixed
  /// with (or overwritten by) this one's.
  static func runDirectory(savePath: String, handle: RunHandle, resuming: Bool) throws -> String {
    let runId = handle.runId
    let dir = savePath.isEmpty ? handle.registry.fileRoot.runFolder(runId) : (savePath as NSString).appendingPathComponent("\(runId)")
    if !resuming, try handle.registry.run(runId).resumes == 0,
      let foreign = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted().first(where: { $0.hasSuffix(".h5") })
    {
      throw TrainError.setup(
        "\(dir)/\(foreign) is already there: run \(runId) of another registry (\(handle.registry.path) is this one) "
          + "keeps its files in \(dir); set save_path to a folder of this registry's own, or move \(dir) away")
    }
    do {
      try FileManager.default.createDirectory(atPath: dir + "/samples", withIntermediateDirectories: true)
    } catch {
      throw TrainError.setup("cannot create \(dir): \(error.localizedDescription)")
    }
    return dir
  }

  func log(_ name: String, _ step: Int, _ value: Double) throws {
    try handle.log(name, step: Int64(step), value: value)
  }

  func checkpoint(_ t: SteppedTraining) throws {
    let path = dir + "/" + t.checkpointName(step: t.step)
    try t.save(to: path)
    try handle.addCheckpoint(step: Int64(t.step), path: path)
    lastCheckpoint = path
  }

  /// Restores `t` from `path` and records the step the run continues from.
  func resume(_ t: SteppedTraining, from path: String) throws {
    try t.restore(from: path)
    lastCheckpoint = path
    try handle.recordResume(fromStep: Int64(t.step))
    out("run \(runId): resumed from \(path) at step \(t.step)")
  }

  /// Steps `t` to the end, or until a stop signal or a non-finite loss.
  func run(_ t: SteppedTraining) throws -> TrainSummary {
    out(t.headline(self) + "; \(ThreadSetting.current) threads")
    // Every attempt (first start, resume, a worker's claim) records the threads it runs with.
    try handle.setParam(ThreadSetting.param)
    if t.step == 0 { try t.begin(self) }
    let previous = StopSignals.install()
    defer { StopSignals.restore(previous) }
    let progress = ProgressReporter(
      label: "train run \(runId)", total: t.totalSteps, startStep: t.step, style: options.progressStyle)
    while t.step < t.totalSteps {
      if let sig = StopSignals.received {
        try checkpoint(t)
        progress.finish()
        try handle.markInterrupted(by: sig, step: t.step, checkpoint: lastCheckpoint, print: out)
        return finished(.interrupted, t)
      }
      let r = try t.trainStep()
      guard r.applied else {
        progress.finish()
        let losses = r.losses.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        throw try handle.failNonFinite(step: t.step + 1, losses: losses, lastCheckpoint: lastCheckpoint)
      }
      let step = t.step
      for (name, v) in r.losses { try log(name, step, v) }
      progress.update(step: step, loss: r.losses.first?.1)
      try t.afterStep(step, self)
      if step % t.checkpointEvery == 0 && step < t.totalSteps { try checkpoint(t) }
      options.afterStep?(step)
    }
    progress.finish()
    if lastCheckpoint.map({ !$0.hasSuffix("/" + t.checkpointName(step: t.step)) }) ?? true { try checkpoint(t) }
    try t.end(self)
    try handle.finish(.finished)
    return finished(.finished, t)
  }

  private func finished(_ status: RunStatus, _ t: SteppedTraining) -> TrainSummary {
    summary.status = status
    summary.steps = t.step
    summary.lastCheckpoint = lastCheckpoint
    return summary
  }
}
