// DynamicsSession: what a dynamics run does inside the shared run lifecycle — the landmark run's
// model encodes every training (and val) frame once, cached in the run folder as
// states_{train,val}.h5; `WindowSampler` draws windows of n + m frames; the residual LSTM trains
// on them with the "n inputs, m future" schedule; at every checkpoint (and at the start and the
// end) the mean landmark-mean error of rollouts on the val split is logged as `val_mu_error_px`.
import Datasets
import Dynamics
import Foundation
import Landmarks
import Registry
import TensorEngine

final class DynamicsSession: SteppedTraining {
  let config: ExperimentConfig
  let trainer: DynamicsTrainer
  let sampler: WindowSampler
  let train: StateSequences
  let val: StateSequences?
  let configJSON: String
  private var samplerState: SamplerState
  /// The training data (read again by `begin` for the landmarks' liveness).
  let source: VideoSource

  init(config c: ExperimentConfig, landmarkCheckpoint: String, dir: String, options: TrainOptions) throws {
    config = c
    configJSON = c.canonicalJSON()
    let d = c.dynamics
    source = try TrainSetup.dataset(c)
    let decoder = StateDecoder(model: try LandmarkEncoding.loadModel(checkpoint: landmarkCheckpoint), floor: d.choleskyFloor)
    let trainSeqs = try TrainSetup.trainSequences(source)
    train = try Self.states(decoder, source, trainSeqs, path: dir + "/states_train.h5", floor: d.choleskyFloor)
    if let v = source.splits?["val"], !v.isEmpty {
      val = try Self.states(decoder, source, v, path: dir + "/states_val.h5", floor: d.choleskyFloor)
    } else {
      val = nil
    }
    sampler = try WindowSampler(
      source: source, sequences: trainSeqs, length: d.windowLength, batchSize: d.dynBatchSize, imageSize: c.model.imgSize,
      seed: UInt64(c.run.seed) ^ 0x77_696e)
    trainer = try DynamicsTrainer(model: DynamicsSetup.makeLSTM(c), config: d)
    trainer.lossInjection = options.lossInjection
    samplerState = sampler.state
  }

  var step: Int { trainer.step }
  var totalSteps: Int { config.dynamics.dynSteps }
  var checkpointEvery: Int { config.dynamics.dynCheckpointEvery }
  func checkpointName(step: Int) -> String { String(format: "dynamics_%07d.h5", step) }

  func save(to path: String) throws {
    try SessionCheckpoint.save(trainer, to: path, configJSON: configJSON, sampler: samplerState)
  }

  func restore(from path: String) throws { samplerState = try SessionCheckpoint.restore(trainer, sampler, from: path) }

  func headline(_ life: RunLifecycle) -> String {
    let d = config.dynamics
    return "run \(life.runId): dynamics \(d.nInputs) in / \(d.nFuture) future, LSTM \(d.lstmLayers)×\(d.lstmHidden), "
      + "\(d.dynSteps) steps of \(d.dynBatchSize) windows, \(train.states.count) train sequences; \(life.dir)"
  }

  /// The first validation, and how the landmarks move on the training sequences (`live_landmarks`).
  func begin(_ life: RunLifecycle) throws {
    try TrainSetup.recordTrainSplit(source, life)
    // Only a run starting at step 0 logs it: computed here, not for every resumed session.
    let liveness = LandmarkLiveness(states: train, source: source, imageSize: config.model.imgSize)
    if let live = liveness.live { try life.log("live_landmarks", 0, Double(live)) }
    life.out("run \(life.runId): " + liveness.summary)
    try validate(life)
    // best_val may choose the untrained model (hold-state with dyn_output_init: zero): it needs
    // a checkpoint to be chosen.
    if config.dynamics.dynSelect == "best_val" { try life.checkpoint(self) }
  }

  func trainStep() throws -> StepOutcome {
    let r = trainer.step(windows: nextWindows())
    if r.applied { samplerState = sampler.state }
    var losses = [("loss", Double(r.loss))]
    if let g = r.gradNorm { losses.append(("grad_norm", Double(g))) }
    return StepOutcome(losses: losses, applied: r.applied)
  }

  func afterStep(_ step: Int, _ life: RunLifecycle) throws {
    // Validation goes with checkpoints, before the checkpoint a resume continues after.
    if step % checkpointEvery == 0 && step < totalSteps { try validate(life) }
  }

  func end(_ life: RunLifecycle) throws {
    try validate(life)
    life.out("run \(life.runId) finished at step \(trainer.step); checkpoint \(life.lastCheckpoint ?? "-")")
    if config.dynamics.dynSelect == "best_val" { try selectBestCheckpoint(life) }
  }

  /// `dyn_select: best_val`: the checkpoint step with the lowest validation error (validation runs
  /// at every checkpoint), recorded as `selected_checkpoint_step` for predictions to use.
  func selectBestCheckpoint(_ life: RunLifecycle) throws {
    try life.handle.flush()
    let registry = life.handle.registry
    let saved = Set(try registry.detail(life.runId).checkpoints.map(\.step))
    let val = try registry.series(runId: life.runId, name: "val_mu_error_px").filter { saved.contains($0.step) && $0.value.isFinite }
    guard let best = val.min(by: { $0.value < $1.value }) else {
      throw TrainError.setup("dyn_select best_val: no validation error at any checkpoint (is there a val split?)")
    }
    try life.log("selected_checkpoint_step", trainer.step, Double(best.step))
    life.out(
      "run \(life.runId): predictions use the checkpoint of step \(best.step) (val error \(String(format: "%.3f", best.value)) px, "
        + "lowest of \(val.count) checkpoints)")
  }

  /// The states of `sequences`, from the run folder's cache when a previous stretch wrote it.
  static func states(
    _ decoder: StateDecoder, _ source: VideoSource, _ sequences: [Int], path: String, floor: Double
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

  /// Mean landmark-mean error (pixels) of LSTM rollouts on the val split (n_context in,
  /// min(n_rollout, what the sequence has) out), logged as `val_mu_error_px`.
  func validate(_ life: RunLifecycle) throws {
    guard let val else { return }
    var errors: [Double] = []
    for s in val.states {
      let t = s.shape[0], n = config.dynamics.nContext
      let m = Swift.min(config.dynamics.nRollout, t - n)
      guard m >= 1 else { continue }
      let d = s.shape[1]
      let context = s.slice(axis: 0, start: 0, end: n).reshaped([1, n, d])
      let truth = s.slice(axis: 0, start: n, end: n + m).reshaped([1, m, d])
      let pred = Rollout.lstm(trainer.model, context: context, horizon: m)
      errors += PoseState.meanErrorPixels(pred, truth, imageSize: config.model.imgSize)
    }
    guard !errors.isEmpty else { return }
    try life.log("val_mu_error_px", trainer.step, errors.reduce(0, +) / Double(errors.count))
  }
}
