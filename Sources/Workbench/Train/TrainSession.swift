// TrainSession: one process's stretch of a landmark-training run — builds everything from the
// config (restoring a checkpoint when resuming), then steps until the end, a stop signal or a
// non-finite loss, recording everything in the registry through the run's handle.
import Datasets
import Foundation
import Imaging
import Landmarks
import Registry
import TensorEngine

final class TrainSession {
  let handle: RunHandle
  let config: ExperimentConfig
  let options: TrainOptions
  let dir: String
  let source: VideoSource
  let sampler: PairSampler
  let trainer: LandmarkTrainer
  let probe: KeypointProbe?
  let totalSteps: Int
  let configJSON: String
  var lastCheckpoint: String?
  /// The sampler state after the last batch the trainer consumed (the prefetcher runs ahead).
  var samplerState: SamplerState
  var summary: TrainSummary

  /// - Parameter source: the dataset when the caller opened it already (else opened from `c`).
  init(handle: RunHandle, config c: ExperimentConfig, source: VideoSource? = nil, resumeFrom: String?, options: TrainOptions) throws {
    self.handle = handle
    config = c
    self.options = options
    configJSON = c.canonicalJSON()
    dir = try LandmarkTraining.runDirectory(c, handle: handle, resumeFrom: resumeFrom)
    let source = try source ?? TrainSetup.dataset(c)
    self.source = source
    let trainSeqs = try TrainSetup.trainSequences(source)
    sampler = try PairSampler(source: source, sequences: trainSeqs, config: TrainSetup.samplerConfig(c), seed: UInt64(c.seed))
    var rng = SeededRNG(seed: UInt64(c.seed))
    let model = try LandmarkModel(config: TrainSetup.modelConfig(c), rng: &rng)
    let vgg = try TrainSetup.perceptual(c, warn: options.print)
    let trainer = try LandmarkTrainer(model: model, config: TrainSetup.trainerConfig(c), perceptual: vgg, seed: UInt64(c.seed))
    self.trainer = trainer
    trainer.lossInjection = options.lossInjection
    let frames = trainSeqs.reduce(0) { $0 + source.frameCount(sequence: $1) }
    totalSteps = TrainSetup.totalSteps(c, trainFrames: frames)
    if KeypointProbe.applies(to: source) {
      probe = try KeypointProbe(source: source, imageSize: c.imgSize, frames: c.training.probeFrames)
    } else {
      probe = nil
      // Keypoints and a manifest are optional (README): without both, train without the probe.
      if source.keypoints != nil {
        options.print("\(source.location): keypoints but no non-empty train and test splits in manifest.json; no keypoint probe")
      }
    }
    summary = TrainSummary(runId: handle.runId, status: .running, steps: 0)
    samplerState = sampler.state
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

  func log(_ name: String, _ step: Int, _ value: Double) throws {
    try handle.log(name, step: Int64(step), value: value)
  }

  // MARK: checkpoints, samples, probes

  func checkpoint() throws {
    let path = dir + String(format: "/step_%07d.h5", trainer.step)
    try trainer.save(to: path, configJSON: configJSON, extraState: samplerState.checkpointState)
    try handle.addCheckpoint(step: Int64(trainer.step), path: path)
    lastCheckpoint = path
  }

  func saveSamples(_ r: LandmarkTrainer.Result, target: Tensor) throws {
    let sheet = TrainSamples.sheet(target: target, reconstruction: r.output.reconstruction, mu: r.output.pose.mu)
    let path = dir + String(format: "/samples/step_%07d.png", trainer.step)
    try writePNG(sheet, to: path)
    try handle.addArtifact(kind: "samples", path: path)
  }

  /// Logs the probe's accuracy; returns its per-keypoint distances (nil: no probe or no fit).
  @discardableResult
  func runProbe() throws -> [Double]? {
    guard let probe else { return nil }
    let (acc, note, distances) = probe.accuracy(trainer.model)
    if let note { options.print("keypoint probe at step \(trainer.step): \(note)") }
    if acc.isFinite { try log("keypoint_acc", trainer.step, acc) }
    summary.keypointAccuracy = acc
    return distances
  }

  /// Baselines, once per run (at step 0 of a fresh run).
  func runBaselines() throws {
    guard let probe else { return }
    let mean = probe.meanPoseAccuracy()
    let (untrained, note, untrainedDistances) = probe.accuracy(trainer.model)
    if let note { options.print("untrained-model baseline: \(note)") }
    var curves = probe.curveCSV(model: "mean-pose", distances: probe.meanPoseDistances())
    if let d = untrainedDistances { curves += probe.curveCSV(model: "untrained", distances: d) }
    try writeKeypointCurve("keypoint_curve_baselines.csv", curves)
    try log("baseline_mean_pose", 0, mean)
    if untrained.isFinite { try log("baseline_untrained", 0, untrained) }
    summary.baselineMeanPose = mean
    summary.baselineUntrained = untrained
    options.print(
      String(format: "run %lld: baselines (PCK@%.1f px on %d test frames): mean pose %.3f, untrained %.3f",
        handle.runId, probe.threshold, probe.test.count, mean, untrained))
  }

  /// Accuracy against threshold (report Fig. 9), an artifact of kind `keypoint_curve`.
  func writeKeypointCurve(_ name: String, _ rows: String) throws {
    let path = dir + "/" + name
    try ("model,threshold_fraction,threshold_px,accuracy\n" + rows).write(toFile: path, atomically: true, encoding: .utf8)
    try handle.addArtifact(kind: "keypoint_curve", path: path)
  }

  // MARK: the loop

  func run() throws -> TrainSummary {
    let t = config.training
    let out = options.print
    out("run \(handle.runId): \(dir), \(totalSteps) steps, batch \(config.batchSize), \(trainer.model.parameterCount) parameters")
    if trainer.step == 0 {
      try runBaselines()
      if let u = summary.baselineUntrained, u.isFinite { try log("keypoint_acc", 0, u) }
    }
    let previous = StopSignals.install()
    defer { StopSignals.restore(previous) }
    let batches = sampler.prefetching(capacity: 2)
    defer { batches.stop() }
    let progress = ProgressReporter(
      label: "train run \(handle.runId)", total: totalSteps, startStep: trainer.step, style: options.progressStyle)
    var last: (LandmarkTrainer.Result, Tensor)?
    while trainer.step < totalSteps {
      if let sig = StopSignals.received {
        try checkpoint()
        progress.finish()
        try handle.markInterrupted(by: sig, step: trainer.step, checkpoint: lastCheckpoint, print: out)
        return finished(.interrupted)
      }
      let batch = try batches.next()
      trainer.scheduleLearningRate(total: totalSteps)
      let r = trainer.step(pose: batch.pose, appearance: batch.appearance, target: batch.target)
      guard r.applied else {
        progress.finish()
        let losses = r.losses.named.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        throw try handle.failNonFinite(step: trainer.step + 1, losses: losses, lastCheckpoint: lastCheckpoint)
      }
      samplerState = batch.state
      let step = trainer.step
      for (name, v) in r.losses.named { try log(name, step, Double(v)) }
      progress.update(step: step, loss: Double(r.losses.total))
      last = (r, batch.target)
      if step % t.sampleEvery == 0 { try saveSamples(r, target: batch.target) }
      if t.probeEvery > 0 && step % t.probeEvery == 0 && step < totalSteps { try runProbe() }
      // Last: a run resumed from this checkpoint continues after this step, so everything
      // logged at this step must be recorded before the checkpoint is.
      if step % t.checkpointEvery == 0 && step < totalSteps { try checkpoint() }
      options.afterStep?(step)
    }
    progress.finish()
    if lastCheckpoint.map({ !$0.hasSuffix(String(format: "step_%07d.h5", trainer.step)) }) ?? true { try checkpoint() }
    if let (r, target) = last, trainer.step % t.sampleEvery != 0 { try saveSamples(r, target: target) }
    let finalDistances = try runProbe()
    if let probe {
      if let d = finalDistances {
        try writeKeypointCurve("keypoint_curve_learned.csv", probe.curveCSV(model: "learned", distances: d))
      }
      let path = dir + "/landmarks_test.png"
      try writePNG(TrainSamples.landmarksOnFrames(model: trainer.model, images: probe.testImages(8)), to: path)
      try handle.addArtifact(kind: "landmarks_test", path: path)
    }
    try handle.finish(.finished)
    let acc = summary.keypointAccuracy.map { String(format: "%.3f", $0) } ?? "-"
    out("run \(handle.runId) finished at step \(trainer.step): keypoint_acc \(acc); checkpoint \(lastCheckpoint ?? "-")")
    return finished(.finished)
  }

  func finished(_ status: RunStatus) -> TrainSummary {
    summary.status = status
    summary.steps = trainer.step
    summary.lastCheckpoint = lastCheckpoint
    return summary
  }
}
