// TrainSetup: the components of a training run built from an experiment config — each reads its
// own section (DESIGN §5): the dataset, the pair sampler, the landmark model and trainer with
// its perceptual loss, the keypoint probe. Runs and the key-consumption test build them here.
import Datasets
import Foundation
import Imaging
import Landmarks
import TensorEngine

public enum TrainSetup {
  /// The dataset `data` names (the synthetic set at the model's size, from the run's seed).
  public static func dataset(_ c: ExperimentConfig) throws -> VideoSource {
    try c.data.open(imageSize: c.model.imgSize, seed: c.run.seed)
  }

  /// Sequences a run trains on: the `train` split when the source has splits.
  public static func trainSequences(_ source: VideoSource) throws -> [Int] {
    source.splits?["train"] != nil ? try source.sequences(inSplit: "train") : Array(0..<source.sequenceCount)
  }

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
