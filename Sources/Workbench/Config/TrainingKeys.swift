// Training-loop config keys that the reference spreads over code and command lines: step
// cadences (checkpoints, sample images, keypoint probes), gradient clipping norm, the synthetic
// set's size, and the extra landmark terms that help learning at CPU scale. Every default keeps
// the reference's behaviour (extra terms off).
import Foundation

/// Settings of `lmlab train landmarks` beyond the reference's option names.
public struct TrainingSettings: Equatable, Sendable {
  /// Checkpoint every this many steps (also at the end and on SIGINT/SIGTERM).
  public var checkpointEvery = 500
  /// Sample images (target, reconstruction, landmarks) every this many steps.
  public var sampleEvery = 500
  /// Keypoint-accuracy probe every this many steps (0 = only at the start and the end).
  public var probeEvery = 250
  /// Frames per split (train, test) the probe encodes.
  public var probeFrames = 400
  /// Max global gradient norm when `no_grad_clip` is false.
  public var gradClipNorm = 1.0
  /// Synthetic set: sequences and frames per sequence.
  public var synthSequences = 40
  public var synthFrames = 100
  /// Concentration: λ · mean trace of each landmark's softmax-map covariance.
  public var concentrationLambda = 0.0
  /// Separation: λ · mean over landmark pairs of exp(−|μ_k − μ_l|² / (2σ²)).
  public var separationLambda = 0.0
  public var separationSigma = 0.1
  /// Equivariance: λ · MSE between μ of an affinely warped pose input and the warped μ.
  public var equivarianceLambda = 0.0
  /// Largest rotation (radians), scale offset and translation (fraction of the half-size) of
  /// the equivariance warps.
  public var equivarianceRotation = 0.3
  public var equivarianceScale = 0.1
  public var equivarianceTranslation = 0.1

  public init() {}
}

extension ConfigKeys {
  static let trainingKeys: [ConfigKey] = [
    .int("synth_sequences", "data", \.training.synthSequences, 3...100_000, "synthetic set: number of sequences"),
    .int("synth_frames", "data", \.training.synthFrames, 2...100_000, "synthetic set: frames per sequence"),
    .double(
      "concentration_lambda", "loss", \.training.concentrationLambda, 0...1e4,
      "weight of the landmark-map concentration term (0 = reference)"),
    .double(
      "separation_lambda", "loss", \.training.separationLambda, 0...1e4,
      "weight of the landmark separation term (0 = reference)"),
    .double("separation_sigma", "loss", \.training.separationSigma, 1e-4...10, "separation length scale (image half-widths)"),
    .double(
      "equivariance_lambda", "loss", \.training.equivarianceLambda, 0...1e4,
      "weight of the landmark equivariance term under random affine warps (0 = reference)"),
    .double("equivariance_rotation", "loss", \.training.equivarianceRotation, 0...3.2, "equivariance warp max rotation (radians)"),
    .double("equivariance_scale", "loss", \.training.equivarianceScale, 0...0.9, "equivariance warp max scale offset"),
    .double(
      "equivariance_translation", "loss", \.training.equivarianceTranslation, 0...1,
      "equivariance warp max translation (image half-widths)"),
    .double("grad_clip_norm", "optim", \.training.gradClipNorm, 1e-6...1e6, "max gradient norm when no_grad_clip is false"),
    .int("checkpoint_every", "optim", \.training.checkpointEvery, 1...100_000_000, "checkpoint every this many steps"),
    .int("sample_every", "optim", \.training.sampleEvery, 1...100_000_000, "sample images every this many steps"),
    .int("probe_every", "eval", \.training.probeEvery, 0...100_000_000, "keypoint probe every this many steps (0 = start and end only)"),
    .int("probe_frames", "eval", \.training.probeFrames, 10...1_000_000, "frames per split the keypoint probe encodes"),
  ]
}
