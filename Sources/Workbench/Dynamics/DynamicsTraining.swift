// DynamicsTraining: the `lmlab train dynamics` pipeline. A finished landmark run's model encodes
// every training frame once (cached in the run folder as states_train.h5); `WindowSampler`
// draws windows of n + m frames; the residual LSTM trains on them with the "n inputs, m future"
// schedule. Like landmark training: per-step loss series, checkpoints every
// `dyn_checkpoint_every` steps, at the end and on SIGINT/SIGTERM (run marked interrupted), a NaN
// stop naming the step and the last good checkpoint, progress with rate and ETA, an exact
// resume. The run's parent is the landmark run. Validation: mean landmark-mean error (pixels)
// of a rollout on the val split at each checkpoint.
import Datasets
import Dynamics
import Foundation
import Landmarks
import Registry
import TensorEngine

public enum DynamicsTraining {
  public static let runKind = DynamicsSetup.dynamicsKind

  /// Everything checked before a run is created: nothing is written when this throws.
  struct Plan {
    var loaded: LoadedConfig
    var landmarkCheckpoint: String
  }

  static func plan(landmarksRun id: Int64, file: String?, overrides: [String], registry: Registry) throws -> Plan {
    let (_, ckpt, lconfig) = try DynamicsSetup.finishedRun(id, kind: DynamicsSetup.landmarkKind, registry: registry, role: "landmarks run")
    let loaded = try DynamicsSetup.loadConfig(file: file, overrides: overrides, landmarkRun: id, landmarkConfig: lconfig)
    let c = loaded.config
    let length = c.nInputs + c.nFuture
    guard length >= 2 else {
      throw DynamicsSetupError.value("n_inputs + n_future is \(length); the schedule needs at least 2 frames")
    }
    let source = try TrainSetup.dataset(c)
    let train = try TrainSetup.trainSequences(source)
    let longest = train.map { source.frameCount(sequence: $0) }.max() ?? 0
    guard longest >= length else {
      throw DynamicsSetupError.value(
        "n_inputs + n_future = \(length) frames, but the longest training sequence of \(source.location) has \(longest)")
    }
    return Plan(loaded: loaded, landmarkCheckpoint: ckpt)
  }

  /// Checks everything, then starts a dynamics run on landmark run `id` and trains it.
  public static func start(
    landmarksRun id: Int64, configFile: String?, overrides: [String], registry: Registry, options: TrainOptions = .init()
  ) throws -> TrainSummary {
    let p = try plan(landmarksRun: id, file: configFile, overrides: overrides, registry: registry)
    let spec = p.loaded.runSpec(
      name: options.runName, kind: runKind, experiment: options.experiment, parentId: id, commandLine: options.commandLine)
    let handle = try registry.startRun(spec)
    return try execute(handle, config: p.loaded.config, landmarkCheckpoint: p.landmarkCheckpoint, resumeFrom: nil, options: options)
  }

  /// Queues dynamics run `id` again (interrupted or failed) and continues it here from its
  /// latest checkpoint (nil when another worker claimed it first).
  public static func resume(runId id: Int64, registry: Registry, options: TrainOptions = .init()) throws -> TrainSummary? {
    let run = try registry.run(id)
    guard run.kind == runKind else { throw TrainError.setup("run \(id) is a '\(run.kind)' run, not '\(runKind)'") }
    _ = try landmarkCheckpoint(of: run, registry: registry)
    _ = try registry.requeue(id)
    guard let handle = try registry.claimQueued(id) else { return nil }
    return try continueClaimed(handle, registry: registry, options: options)
  }

  /// Continues a claimed dynamics run (a queued sweep trial, or a run queued again) with its
  /// recorded config, from its latest checkpoint; a run that cannot start is marked failed.
  static func continueClaimed(_ handle: RunHandle, registry: Registry, options: TrainOptions) throws -> TrainSummary {
    let lckpt: String
    var config = ExperimentConfig()
    let run: Run
    do {
      run = try registry.run(handle.runId)
      lckpt = try landmarkCheckpoint(of: run, registry: registry)
      try ConfigLoader.apply(yaml: run.configJSON, source: "run \(run.id) config", to: &config)
    } catch {
      handle.failIfRunning(error, print: options.print)
      throw error
    }
    return try execute(handle, config: config, landmarkCheckpoint: lckpt, resumeFrom: run.resumeFrom, options: options)
  }

  /// The checkpoint of the finished landmark run a dynamics run trains on (its parent).
  static func landmarkCheckpoint(of run: Run, registry: Registry) throws -> String {
    guard let parent = run.parentId else { throw TrainError.setup("dynamics run \(run.id) records no landmarks run") }
    return try DynamicsSetup.finishedRun(parent, kind: DynamicsSetup.landmarkKind, registry: registry, role: "landmarks run").checkpoint
  }

  static func execute(
    _ handle: RunHandle, config c: ExperimentConfig, landmarkCheckpoint: String, resumeFrom: String?, options: TrainOptions
  ) throws -> TrainSummary {
    do {
      let session = try DynamicsSession(
        handle: handle, config: c, landmarkCheckpoint: landmarkCheckpoint, resumeFrom: resumeFrom, options: options)
      return try session.run()
    } catch {
      handle.failIfRunning(error, print: options.print)
      throw error
    }
  }
}

/// One process's stretch of a dynamics run.
final class DynamicsSession {
  let handle: RunHandle
  let config: ExperimentConfig
  let options: TrainOptions
  let dir: String
  let trainer: DynamicsTrainer
  let sampler: WindowSampler
  let train: StateSequences
  let val: StateSequences?
  let configJSON: String
  var samplerState: SamplerState
  var lastCheckpoint: String?
  var summary: TrainSummary

  init(handle: RunHandle, config c: ExperimentConfig, landmarkCheckpoint: String, resumeFrom: String?, options: TrainOptions) throws {
    self.handle = handle
    config = c
    self.options = options
    configJSON = c.canonicalJSON()
    dir = try LandmarkTraining.runDirectory(c, handle: handle, resumeFrom: resumeFrom)
    let source = try TrainSetup.dataset(c)
    let decoder = StateDecoder(model: try LandmarkEncoding.loadModel(checkpoint: landmarkCheckpoint), floor: c.choleskyFloor)
    let trainSeqs = try TrainSetup.trainSequences(source)
    train = try Self.states(decoder, source, trainSeqs, path: dir + "/states_train.h5", floor: c.choleskyFloor, print: options.print)
    if let v = source.splits?["val"], !v.isEmpty {
      val = try Self.states(decoder, source, v, path: dir + "/states_val.h5", floor: c.choleskyFloor, print: options.print)
    } else {
      val = nil
    }
    sampler = try WindowSampler(
      source: source, sequences: trainSeqs, length: c.nInputs + c.nFuture, batchSize: c.dynBatchSize, imageSize: c.imgSize,
      seed: UInt64(c.seed) ^ 0x77_696e)
    trainer = try DynamicsTrainer(model: DynamicsSetup.makeLSTM(c), config: DynamicsSetup.trainerConfig(c))
    trainer.lossInjection = options.lossInjection
    samplerState = sampler.state
    summary = TrainSummary(runId: handle.runId, status: .running, steps: 0)
    if let path = resumeFrom {
      let ckpt = try trainer.restore(from: path)
      guard let saved = SamplerState(checkpoint: ckpt) else {
        throw TrainError.setup("\(path) has no sampler state (state/sampler_rng, state/sampler_position)")
      }
      samplerState = saved
      sampler.restore(samplerState)
      lastCheckpoint = path
      options.print("run \(handle.runId): resumed from \(path) at step \(trainer.step)")
    }
  }

  /// The states of `sequences`, from the run folder's cache when a previous stretch wrote it.
  static func states(
    _ decoder: StateDecoder, _ source: VideoSource, _ sequences: [Int], path: String, floor: Double, print: (String) -> Void
  ) throws -> StateSequences {
    if FileManager.default.fileExists(atPath: path) { return try StateSequences.read(from: path, source: source, sequences: sequences) }
    let total = sequences.reduce(0) { $0 + source.frameCount(sequence: $1) }
    let progress = ProgressReporter(label: "encode \((path as NSString).lastPathComponent)", total: total)
    progress.unit = "frame"
    let s = try StateSequences.encode(decoder, source: source, sequences: sequences) { progress.update(step: $0) }
    progress.finish()
    try s.write(to: path, floor: floor)
    return s
  }

  /// Windows [B, L, D] of the cached states at the sampler's next starts.
  func nextWindows() -> Tensor {
    let starts = sampler.nextStarts()
    let (l, d) = (sampler.length, train.stateSize)
    let out = Tensor(zeros: [starts.count, l, d])
    for (b, (q, t0)) in starts.enumerated() {
      guard let s = train.states(ofSequence: q) else { preconditionFailure("sampler drew sequence \(q) outside the train split") }
      (out.data + b * l * d).update(from: s.data + t0 * d, count: l * d)
    }
    return out
  }

  func checkpoint() throws {
    let path = dir + String(format: "/dynamics_%07d.h5", trainer.step)
    try trainer.save(to: path, configJSON: configJSON, extraState: samplerState.checkpointState)
    try handle.addCheckpoint(step: Int64(trainer.step), path: path)
    lastCheckpoint = path
  }

  /// Mean landmark-mean error (pixels) of LSTM rollouts on the val split (n_context in,
  /// min(n_rollout, what the sequence has) out), logged as `val_mu_error_px`.
  func validate() throws {
    guard let val else { return }
    var errors: [Double] = []
    for s in val.states {
      let t = s.shape[0], n = config.nContext
      let m = Swift.min(config.nRollout, t - n)
      guard m >= 1 else { continue }
      let d = s.shape[1]
      let context = s.slice(axis: 0, start: 0, end: n).reshaped([1, n, d])
      let truth = s.slice(axis: 0, start: n, end: n + m).reshaped([1, m, d])
      let pred = Rollout.lstm(trainer.model, context: context, horizon: m)
      errors += PoseState.meanErrorPixels(pred, truth, imageSize: config.imgSize)
    }
    guard !errors.isEmpty else { return }
    try handle.log("val_mu_error_px", step: Int64(trainer.step), value: errors.reduce(0, +) / Double(errors.count))
  }

  func run() throws -> TrainSummary {
    let out = options.print
    let total = config.dynSteps
    out(
      "run \(handle.runId): dynamics \(config.nInputs) in / \(config.nFuture) future, LSTM \(config.lstmLayers)×\(config.lstmHidden), "
        + "\(total) steps of \(config.dynBatchSize) windows, \(train.states.count) train sequences; \(dir)")
    if trainer.step == 0 { try validate() }
    let previous = StopSignals.install()
    defer { StopSignals.restore(previous) }
    let progress = ProgressReporter(
      label: "train dynamics run \(handle.runId)", total: total, startStep: trainer.step, style: options.progressStyle)
    while trainer.step < total {
      if let sig = StopSignals.received {
        try checkpoint()
        progress.finish()
        try handle.markInterrupted(by: sig, step: trainer.step, checkpoint: lastCheckpoint, print: out)
        return finished(.interrupted)
      }
      let windows = nextWindows()
      let r = trainer.step(windows: windows)
      guard r.applied else {
        progress.finish()
        throw try handle.failNonFinite(step: trainer.step + 1, losses: "loss \(r.loss)", lastCheckpoint: lastCheckpoint)
      }
      samplerState = sampler.state
      let step = trainer.step
      try handle.log("loss", step: Int64(step), value: Double(r.loss))
      if let g = r.gradNorm { try handle.log("grad_norm", step: Int64(step), value: Double(g)) }
      progress.update(step: step, loss: Double(r.loss))
      if step % config.dynCheckpointEvery == 0 && step < total {
        try validate()
        try checkpoint()  // after what this step logs (a resume continues after this step)
      }
      options.afterStep?(step)
    }
    progress.finish()
    if lastCheckpoint.map({ !$0.hasSuffix(String(format: "dynamics_%07d.h5", trainer.step)) }) ?? true { try checkpoint() }
    try validate()
    try handle.finish(.finished)
    out("run \(handle.runId) finished at step \(trainer.step); checkpoint \(lastCheckpoint ?? "-")")
    return finished(.finished)
  }

  func finished(_ status: RunStatus) -> TrainSummary {
    summary.status = status
    summary.steps = trainer.step
    summary.lastCheckpoint = lastCheckpoint
    return summary
  }
}
