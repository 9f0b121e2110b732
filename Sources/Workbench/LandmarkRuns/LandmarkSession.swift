// LandmarkSession: what a landmark-training run does inside the shared run lifecycle — builds
// everything from the config (dataset, pair sampler with its prefetcher, model, perceptual loss,
// trainer, keypoint probe), steps the trainer on sampled pairs, writes sample sheets, runs the
// keypoint probe beside its two baselines, and at the end the accuracy-against-threshold curves
// and the landmarks drawn on test frames.
import Datasets
import Foundation
import Imaging
import Landmarks
import Registry
import TensorEngine

final class LandmarkSession: SteppedTraining {
  let config: ExperimentConfig
  let options: TrainOptions
  let source: VideoSource
  let sampler: PairSampler
  let trainer: LandmarkTrainer
  let probe: KeypointProbe?
  let totalSteps: Int
  let configJSON: String
  private var batches: Prefetcher<PairBatch>?
  /// The sampler state after the last batch the trainer consumed (the prefetcher runs ahead).
  private var samplerState: SamplerState
  private var last: (LandmarkTrainer.Result, Tensor)?

  /// - Parameter source: the dataset when the caller opened it already (else opened from `c`).
  init(config c: ExperimentConfig, source: VideoSource? = nil, options: TrainOptions) throws {
    config = c
    self.options = options
    configJSON = c.canonicalJSON()
    let source = try source ?? TrainSetup.dataset(c)
    self.source = source
    let trainSeqs = try TrainSetup.trainSequences(source)
    sampler = try TrainSetup.pairSampler(c, source: source, sequences: trainSeqs)
    trainer = try TrainSetup.trainer(c, warn: options.print)
    trainer.lossInjection = options.lossInjection
    let frames = trainSeqs.reduce(0) { $0 + source.frameCount(sequence: $1) }
    totalSteps = c.run.totalSteps(trainFrames: frames, batchSize: c.pairs.batchSize)
    probe = try TrainSetup.keypointProbe(c, source: source, print: options.print)
    samplerState = sampler.state
  }

  var step: Int { trainer.step }
  var checkpointEvery: Int { config.run.checkpointEvery }
  func checkpointName(step: Int) -> String { String(format: "step_%07d.h5", step) }

  func save(to path: String) throws {
    try SessionCheckpoint.save(trainer, to: path, configJSON: configJSON, sampler: samplerState)
  }

  func restore(from path: String) throws { samplerState = try SessionCheckpoint.restore(trainer, sampler, from: path) }

  func headline(_ life: RunLifecycle) -> String {
    "run \(life.runId): \(life.dir), \(totalSteps) steps, batch \(config.pairs.batchSize), "
      + "\(trainer.model.parameterCount) parameters"
  }

  func begin(_ life: RunLifecycle) throws {
    try TrainSetup.recordTrainSplit(source, life)
    try runBaselines(life)
    if let u = life.summary.baselineUntrained, u.isFinite { try life.log("keypoint_acc", 0, u) }
  }

  func trainStep() throws -> StepOutcome {
    if batches == nil { batches = sampler.prefetching(capacity: 2) }
    let batch = try batches!.next()
    trainer.scheduleLearningRate(total: totalSteps)
    let r = trainer.step(pose: batch.pose, appearance: batch.appearance, target: batch.target)
    if r.applied {
      samplerState = batch.state
      last = (r, batch.target)
    }
    return StepOutcome(losses: r.losses.named.map { ($0.0, Double($0.1)) }, applied: r.applied)
  }

  func afterStep(_ step: Int, _ life: RunLifecycle) throws {
    let run = config.run
    if step % run.sampleEvery == 0, let (r, target) = last { try saveSamples(r, target: target, life) }
    if run.probeEvery > 0 && step % run.probeEvery == 0 && step < totalSteps { try runProbe(life) }
  }

  func end(_ life: RunLifecycle) throws {
    batches?.stop()
    if let (r, target) = last, trainer.step % config.run.sampleEvery != 0 { try saveSamples(r, target: target, life) }
    let finalDistances = try runProbe(life)
    if let probe {
      if let d = finalDistances {
        try writeKeypointCurve("keypoint_curve_learned.csv", probe.curveCSV(model: "learned", distances: d), life)
      }
      let path = life.dir + "/landmarks_test.png"
      try writePNG(TrainSamples.landmarksOnFrames(model: trainer.model, images: probe.testImages(8)), to: path)
      try life.handle.addArtifact(kind: "landmarks_test", path: path)
    }
    let acc = life.summary.keypointAccuracy.map { String(format: "%.3f", $0) } ?? "-"
    life.out("run \(life.runId) finished at step \(trainer.step): keypoint_acc \(acc); checkpoint \(life.lastCheckpoint ?? "-")")
  }

  deinit { batches?.stop() }

  // MARK: samples and probes

  func saveSamples(_ r: LandmarkTrainer.Result, target: Tensor, _ life: RunLifecycle) throws {
    let sheet = TrainSamples.sheet(target: target, reconstruction: r.output.reconstruction, mu: r.output.pose.mu)
    let path = life.dir + String(format: "/samples/step_%07d.png", trainer.step)
    try writePNG(sheet, to: path)
    try life.handle.addArtifact(kind: "samples", path: path)
  }

  /// Logs the probe's accuracy; returns its per-keypoint distances (nil: no probe or no fit).
  @discardableResult
  func runProbe(_ life: RunLifecycle) throws -> [Double]? {
    guard let probe else { return nil }
    let (acc, note, distances) = probe.accuracy(trainer.model)
    if let note { life.out("keypoint probe at step \(trainer.step): \(note)") }
    if acc.isFinite { try life.log("keypoint_acc", trainer.step, acc) }
    life.summary.keypointAccuracy = acc
    return distances
  }

  /// Baselines, once per run (at step 0 of a fresh run).
  func runBaselines(_ life: RunLifecycle) throws {
    guard let probe else { return }
    let mean = probe.meanPoseAccuracy()
    let (untrained, note, untrainedDistances) = probe.accuracy(trainer.model)
    if let note { life.out("untrained-model baseline: \(note)") }
    var curves = probe.curveCSV(model: "mean-pose", distances: probe.meanPoseDistances())
    if let d = untrainedDistances { curves += probe.curveCSV(model: "untrained", distances: d) }
    try writeKeypointCurve("keypoint_curve_baselines.csv", curves, life)
    try life.log("baseline_mean_pose", 0, mean)
    if untrained.isFinite { try life.log("baseline_untrained", 0, untrained) }
    life.summary.baselineMeanPose = mean
    life.summary.baselineUntrained = untrained
    life.out(
      String(
        format: "run %lld: baselines (PCK@%.1f px on %d test frames): mean pose %.3f, untrained %.3f",
        life.runId, probe.threshold, probe.test.count, mean, untrained))
  }

  /// Accuracy against threshold (report Fig. 9), an artifact of kind `keypoint_curve`.
  func writeKeypointCurve(_ name: String, _ rows: String, _ life: RunLifecycle) throws {
    let path = life.dir + "/" + name
    try ("model,threshold_fraction,threshold_px,accuracy\n" + rows).write(toFile: path, atomically: true, encoding: .utf8)
    try life.handle.addArtifact(kind: "keypoint_curve", path: path)
  }
}
