// PixelSession: what a pixel-predictor run does inside the shared run lifecycle — `WindowSampler`
// draws windows of n_inputs + n_future frames of the train split (as a dynamics run's, from
// its own seed); the predictor trains on them with the "n inputs, m future" schedule; at every
// checkpoint (and at the start and the end) the mean PSNR of rollouts on the val split
// (n_context in, n_rollout out, as `lmlab predict` scores them) is logged as `val_psnr`.
import Datasets
import EvalMetrics
import Foundation
import PixelDynamics
import Registry
import TensorEngine

final class PixelSession: SteppedTraining {
  let config: ExperimentConfig
  let trainer: PixelTrainer
  let sampler: WindowSampler
  let source: VideoSource
  let trainSequences: [Int]
  let valSequences: [Int]
  let configJSON: String
  private var samplerState: SamplerState

  init(config c: ExperimentConfig, options: TrainOptions) throws {
    config = c
    configJSON = c.canonicalJSON()
    source = try TrainSetup.dataset(c)
    trainSequences = try TrainSetup.trainSequences(source)
    valSequences = source.splits?["val"] ?? []
    sampler = try WindowSampler(
      source: source, sequences: trainSequences, length: c.dynamics.windowLength, batchSize: c.pixel.pixelBatchSize,
      imageSize: c.model.imgSize, seed: UInt64(c.run.seed) ^ 0x70_6978)
    trainer = try PixelSetup.makeTrainer(c, warn: options.print)
    trainer.lossInjection = options.lossInjection
    samplerState = sampler.state
  }

  var step: Int { trainer.step }
  var totalSteps: Int { config.pixel.pixelSteps }
  var checkpointEvery: Int { config.pixel.pixelCheckpointEvery }
  func checkpointName(step: Int) -> String { String(format: "pixel_%07d.h5", step) }

  func save(to path: String) throws {
    try SessionCheckpoint.save(trainer, to: path, configJSON: configJSON, sampler: samplerState)
  }

  func restore(from path: String) throws { samplerState = try SessionCheckpoint.restore(trainer, sampler, from: path) }

  func headline(_ life: RunLifecycle) -> String {
    let (d, p) = (config.dynamics, config.pixel)
    return "run \(life.runId): pixel predictor \(d.nInputs) in / \(d.nFuture) future at \(config.model.imgSize) px, "
      + "ConvLSTM \(p.pixelChannels.map(String.init).joined(separator: "/")), \(p.pixelKernels) CDNA kernels of "
      + "\(p.pixelKernelSize)×\(p.pixelKernelSize), \(p.pixelLoss) loss\(perceptualText), \(p.pixelSteps) steps of \(p.pixelBatchSize) windows, "
      + "\(trainSequences.count) train sequences; \(life.dir)"
  }

  var perceptualText: String {
    guard let p = trainer.perceptual else { return "" }
    return " + \(config.pixel.pixelPerceptualWeight) × \(p.series)"
  }

  func begin(_ life: RunLifecycle) throws {
    try TrainSetup.recordTrainSplit(source, life)
    try validate(life)
  }

  func trainStep() throws -> StepOutcome {
    let batch = try sampler.next()
    let r = trainer.step(windows: batch.frames)
    if r.applied { samplerState = sampler.state }
    var losses = [("loss", Double(r.loss))] + r.terms.map { ($0.0, Double($0.1)) }
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
  }

  /// Mean PSNR (dB, frames clamped to [-1, 1]) of rollouts on the val split: n_context frames
  /// in, min(n_rollout, what the sequence has) out; logged as `val_psnr`. No val split: nothing.
  func validate(_ life: RunLifecycle) throws {
    let n = config.dynamics.nContext, s = config.model.imgSize
    var values: [Double] = []
    for q in valSequences {
      let m = Swift.min(config.dynamics.nRollout, source.frameCount(sequence: q) - n)
      guard m >= 1 else { continue }
      let context = try source.frames(sequence: q, from: 0, count: n, size: s).reshaped([1, n, 3, s, s])
      let truth = try source.frames(sequence: q, from: n, count: m, size: s)
      let predicted = trainer.model.rollout(context: context, horizon: m).reshaped([m, 3, s, s])
      values += psnrDecibels(reference: truth, predicted: Self.clamped(predicted), dataRange: 2).values
    }
    guard !values.isEmpty else { return }
    try life.log("val_psnr", trainer.step, values.reduce(0, +) / Double(values.count))
  }

  static func clamped(_ t: Tensor) -> Tensor {
    let out = t.copy()
    out.withMutableData { p in for i in p.indices { p[i] = Swift.min(1, Swift.max(-1, p[i])) } }
    return out
  }
}
