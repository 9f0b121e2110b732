// TrainSetup: an experiment config mapped onto the pieces of a landmark training run — model
// and trainer configs, pair sampler settings, the dataset (synthetic by default) and the VGG
// feature network (random weights said loudly when no ImageNet file is named).
import Datasets
import Foundation
import Imaging
import Landmarks
import Logging
import TensorEngine

public enum TrainSetup {
  public static func modelConfig(_ c: ExperimentConfig) -> ModelConfig {
    var m = ModelConfig()
    m.nLandmarks = c.nLandmarks
    m.imgSize = c.imgSize
    m.nsf = c.nsf
    m.naf = c.naf
    m.ngc = c.ngc
    m.nFilters = c.nFilters
    m.poseDecoderChannels = c.poseDecoderChannels
    m.spadeHidden = c.spadeHidden
    m.disableSpade = c.disableSpade
    m.useIdentityCovariance = c.useIdentityCovariance
    m.fixedCovar = c.fixedCovar
    return m
  }

  public static func trainerConfig(_ c: ExperimentConfig) -> TrainerConfig {
    var t = TrainerConfig()
    t.useVgg = c.useVgg
    t.vggLambda = Float(c.vggLambda)
    t.mseLambda = Float(c.mseLambda)
    t.useGan = c.useGan
    t.ganLambda = Float(c.ganLambda)
    t.noLsgan = c.noLsgan
    t.numD = c.numD
    t.nLayersD = c.nLayersD
    t.ndf = c.ndf
    t.learningRate = Float(c.learningRate)
    t.lrSchedule = LearningRateSchedule(rawValue: c.lrSchedule)!  // ConfigKeys admits only its names
    t.weightDecay = Float(c.weightDecay)
    t.gradClip = c.noGradClip ? nil : Float(c.training.gradClipNorm)
    t.concentrationLambda = Float(c.training.concentrationLambda)
    t.separationLambda = Float(c.training.separationLambda)
    t.separationSigma = Float(c.training.separationSigma)
    t.equivarianceLambda = Float(c.training.equivarianceLambda)
    t.equivarianceWarp.maxRotation = Float(c.training.equivarianceRotation)
    t.equivarianceWarp.maxScaleOffset = Float(c.training.equivarianceScale)
    t.equivarianceWarp.maxTranslation = Float(c.training.equivarianceTranslation)
    return t
  }

  public static func samplerConfig(_ c: ExperimentConfig) -> PairSamplerConfig {
    var s = PairSamplerConfig(batchSize: c.batchSize, imageSize: c.imgSize, useWarped: c.useWarped, useTemporal: c.useTemporal)
    s.minGap = c.temporalMinGap
    s.maxGap = c.temporalMaxGap
    s.colorJitter =
      c.colorJitter
      ? ColorJitter(brightness: Float(c.brightness), contrast: Float(c.contrast), saturation: Float(c.saturation), hue: Float(c.hue))
      : ColorJitter(brightness: 0, contrast: 0, saturation: 0, hue: 0)
    var tps = TPSWarp()
    tps.gridSize = c.tpsGrid
    tps.margin = Double(c.tpsMargin)
    tps.jitter = c.tpsJitter
    tps.maxTranslation = max(abs(c.transLb), abs(c.transUb))
    tps.scaleRange = c.scaleLb...c.scaleUb
    tps.maxRotation = max(abs(c.rotLb), abs(c.rotUb))
    s.tps = tps
    return s
  }

  /// The synthetic set (`dataset: synthetic`), or at `dataset_path` a frame folder or an HDF5
  /// video array file (README: pass the `.h5` where a dataset directory is expected).
  public static func dataset(_ c: ExperimentConfig) throws -> VideoSource {
    if c.dataset == "synthetic" && c.datasetPath.isEmpty {
      return try SyntheticVideoSet(
        SyntheticSpec(sequences: c.training.synthSequences, frames: c.training.synthFrames, size: c.imgSize, seed: UInt64(c.seed)))
    }
    guard !c.datasetPath.isEmpty else {
      throw TrainError.setup("dataset '\(c.dataset)' needs dataset_path (a frame folder or a videos .h5 file)")
    }
    return try DataTools.open(c.datasetPath)
  }

  /// Sequences a run trains on: the `train` split when the source has splits.
  public static func trainSequences(_ source: VideoSource) throws -> [Int] {
    source.splits?["train"] != nil ? try source.sequences(inSplit: "train") : Array(0..<source.sequenceCount)
  }

  /// The VGG19 features for `use_vgg`: the HDF5 file `vgg_weights` names, or random weights
  /// with a loud warning (`warn` is called with the message).
  public static func perceptual(_ c: ExperimentConfig, warn: (String) -> Void) throws -> PerceptualLoss? {
    guard c.useVgg else { return nil }
    if !c.vggWeights.isEmpty {
      return PerceptualLoss(features: try VGG19Features.load(path: c.vggWeights), reducedWeights: c.reducedW)
    }
    warn(
      "WARNING: use_vgg is on but vgg_weights is empty: the perceptual loss uses RANDOM VGG19 weights "
        + "(make ImageNet weights with Experiments/tools/export_vgg19.py and set vgg_weights)")
    var rng = SeededRNG(seed: UInt64(c.seed) ^ 0x76_6767)
    return PerceptualLoss(features: VGG19Features(rng: &rng), reducedWeights: c.reducedW)
  }

  /// Steps of the run: `max_steps`, else `epochs` passes over the training frames.
  public static func totalSteps(_ c: ExperimentConfig, trainFrames: Int) -> Int {
    c.maxSteps > 0 ? c.maxSteps : c.epochs * max(1, trainFrames / c.batchSize)
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
