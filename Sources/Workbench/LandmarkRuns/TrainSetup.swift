// TrainSetup: the components of a training run built from an experiment config — each reads its
// own section (DESIGN §5): the dataset, the pair sampler, the landmark model and trainer with
// its perceptual loss, the keypoint probe. Runs and the key-consumption test build them here.
import Datasets
import Foundation
import Imaging
import Landmarks
import Registry
import TensorEngine

public enum TrainSetup {
  /// The dataset `data` names (the synthetic set at the model's size, from the run's seed).
  public static func dataset(_ c: ExperimentConfig) throws -> VideoSource {
    try c.data.open(imageSize: c.model.imgSize, seed: c.run.seed)
  }

  /// Sequences a run trains on: the `train` split when the source has splits (a source whose
  /// splits lack `train` is an error naming them: its test sequences are not trained on
  /// silently), every sequence when it has none (`trainingNote` says so).
  public static func trainSequences(_ source: VideoSource) throws -> [Int] {
    guard source.splits != nil else { return Array(0..<source.sequenceCount) }
    do { return try source.sequences(inSplit: SplitName.train) } catch let e as DatasetError {
      throw TrainError.setup("\(e); training reads the `\(SplitName.train)` split")
    }
  }

  /// The split a run trains on, recorded as the run's `train_split` param: `train`, or `all`
  /// when the source defines no splits.
  public static func trainSplit(_ source: VideoSource) -> String { source.splits == nil ? SplitName.all : SplitName.train }

  /// What a run on a source without splits prints (and its `train_split: all` records): nothing
  /// is held out, so predict/interpolate on the same source score training sequences.
  public static func trainingNote(_ source: VideoSource) -> String? {
    guard source.splits == nil else { return nil }
    return "\(source.location) defines no splits: training on all \(source.sequenceCount) sequences; no held-out split: "
      + "scores on this source are on training sequences (\(source.splitHint))"
  }

  /// Records the run's `train_split` param and prints the note of a source without splits: at
  /// step 0 of every training run, however it was started (command, demo, sweep worker).
  static func recordTrainSplit(_ source: VideoSource, _ life: RunLifecycle) throws {
    try life.handle.setParam(.string(trainSplitParam, trainSplit(source)))
    if let note = trainingNote(source) { life.out("note: \(note)") }
  }

  /// The param a training run records its split in (shown by `runs show`).
  public static let trainSplitParam = "train_split"

  /// The pair sampler over `sequences` of `source`, seeded by the run's seed.
  public static func pairSampler(_ c: ExperimentConfig, source: VideoSource, sequences: [Int]) throws -> PairSampler {
    try PairSampler(source: source, sequences: sequences, config: c.pairs, imageSize: c.model.imgSize, seed: UInt64(c.run.seed))
  }

  /// The landmark model, initialized from the run's seed.
  public static func model(_ c: ExperimentConfig) throws -> LandmarkModel {
    var rng = SeededRNG(seed: UInt64(c.run.seed))
    return try LandmarkModel(config: c.model, rng: &rng)
  }

  /// The landmark trainer with its model and perceptual loss (`warn` hears a loud fallback).
  public static func trainer(_ c: ExperimentConfig, warn: (String) -> Void) throws -> LandmarkTrainer {
    let model = try model(c)
    let perceptual = try PerceptualLoss.forTraining(c.trainer, seed: c.run.seed, warn: warn)
    return try LandmarkTrainer(model: model, config: c.trainer, perceptual: perceptual, seed: UInt64(c.run.seed))
  }

  /// The keypoint probe when `source` has keypoints and train/test splits (else nil, said when
  /// keypoints are there but splits are not).
  public static func keypointProbe(_ c: ExperimentConfig, source: VideoSource, print: (String) -> Void) throws -> KeypointProbe? {
    if KeypointProbe.applies(to: source) {
      return try KeypointProbe(
        source: source, imageSize: c.model.imgSize, frames: c.run.probeFrames, thresholdPixels: c.eval.keypointThreshold)
    }
    // Keypoints and a manifest are optional (README): without both, train without the probe.
    if source.keypoints != nil {
      print("\(source.location): keypoints but no non-empty train and test splits in manifest.json; no keypoint probe")
    }
    return nil
  }
}

/// A training run that cannot go on, with what to do about it.
public enum TrainError: Error, CustomStringConvertible, LocalizedError {
  case setup(String)
  case nonFinite(step: Int, losses: String, lastCheckpoint: String?)
  case noCheckpoint(runId: Int64)

  public var description: String {
    switch self {
    case .setup(let m): return "training setup: \(m)"
    case .nonFinite(let step, let losses, let ckpt):
      return "non-finite loss at step \(step) (\(losses)); last good checkpoint: \(ckpt ?? "none")"
    case .noCheckpoint(let id): return "run \(id) has no checkpoint to load"
    }
  }
  public var errorDescription: String? { description }
}
