// The table of config keys: name (the reference's option name where one exists), section,
// type with allowed range, and help. Loading, `--set`, flattening and JSON all go through it.
import Foundation
import TensorEngine

public struct ConfigKey: @unchecked Sendable {
  public enum Kind {
    case int(WritableKeyPath<ExperimentConfig, Int>, ClosedRange<Int>)
    case double(WritableKeyPath<ExperimentConfig, Double>, ClosedRange<Double>)
    case bool(WritableKeyPath<ExperimentConfig, Bool>)
    case string(WritableKeyPath<ExperimentConfig, String>, allowed: [String]?)
    case intList(WritableKeyPath<ExperimentConfig, [Int]>, count: Int, ClosedRange<Int>)
  }
  public let name: String
  public let section: String
  public let help: String
  public let kind: Kind

  /// What a valid value looks like, for error messages.
  public var expectation: String {
    switch kind {
    case .int(_, let r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
    case .double(_, let r):
      return "a number in \(ConfigValue.format(r.lowerBound))...\(ConfigValue.format(r.upperBound))"
    case .bool: return "true or false"
    case .string(_, let allowed):
      if let a = allowed { return "one of " + a.joined(separator: ", ") }
      return "a string"
    case .intList(_, let n, let r): return "a list of \(n) integers in \(r.lowerBound)...\(r.upperBound)"
    }
  }

  public func get(_ c: ExperimentConfig) -> ConfigValue {
    switch kind {
    case .int(let kp, _): return .int(c[keyPath: kp])
    case .double(let kp, _): return .double(c[keyPath: kp])
    case .bool(let kp): return .bool(c[keyPath: kp])
    case .string(let kp, _): return .string(c[keyPath: kp])
    case .intList(let kp, _, _): return .intList(c[keyPath: kp])
    }
  }
}

extension ConfigKey {
  static func int(
    _ n: String, _ s: String, _ kp: WritableKeyPath<ExperimentConfig, Int>, _ r: ClosedRange<Int>, _ h: String
  ) -> ConfigKey {
    ConfigKey(name: n, section: s, help: h, kind: .int(kp, r))
  }
  static func double(
    _ n: String, _ s: String, _ kp: WritableKeyPath<ExperimentConfig, Double>, _ r: ClosedRange<Double>,
    _ h: String
  ) -> ConfigKey {
    ConfigKey(name: n, section: s, help: h, kind: .double(kp, r))
  }
  static func bool(_ n: String, _ s: String, _ kp: WritableKeyPath<ExperimentConfig, Bool>, _ h: String)
    -> ConfigKey
  {
    ConfigKey(name: n, section: s, help: h, kind: .bool(kp))
  }
  static func string(
    _ n: String, _ s: String, _ kp: WritableKeyPath<ExperimentConfig, String>, _ allowed: [String]? = nil,
    _ h: String
  ) -> ConfigKey {
    ConfigKey(name: n, section: s, help: h, kind: .string(kp, allowed: allowed))
  }
}

public enum ConfigKeys {
  /// Sections group keys in YAML files (optional: flat files work too) and in `--help` output.
  public static let sections = ["data", "model", "loss", "pairs", "optim", "dynamics", "eval"]

  public static let all: [ConfigKey] = [
    .string(
      "dataset", "data", \.dataset, nil,
      "dataset name (synthetic, bbc_pose, bair, kth, or a frame folder kind)"),
    .string("dataset_path", "data", \.datasetPath, nil, "dataset root folder ('' for the synthetic set)"),
    .string("save_path", "data", \.savePath, nil, "where checkpoints go ('' = runs/<run id>)"),
    .string("resume_ckpt", "data", \.resumeCkpt, nil, "checkpoint to start from ('' = none)"),
    .int("img_size", "data", \.imgSize, 16...1024, "frame size S (S×S, divisible by 16)"),
    .double("flip_probability", "data", \.flipProbability, 0...1, "left/right flip probability"),
    .double("val_frac", "data", \.valFrac, 0...1, "share of the validation set evaluated"),

    .int("n_landmarks", "model", \.nLandmarks, 1...512, "number of landmarks K"),
    .int("nsf", "model", \.nsf, 0...1024, "pose encoder first-block width (0 = twice the input channels)"),
    .int(
      "naf", "model", \.naf, 0...1024, "appearance encoder first-block width (0 = twice the input channels)"),
    .int("ngc", "model", \.ngc, 2...1024, "SPADE generator width nf"),
    .int("n_filters", "model", \.nFilters, 1...1024, "appearance channels"),
    ConfigKey(
      name: "pose_decoder_channels", section: "model", help: "pose decoder widths of its three steps",
      kind: .intList(\.poseDecoderChannels, count: 3, 1...4096)),
    .int("spade_hidden", "model", \.spadeHidden, 1...1024, "SPADE shared conv width"),
    .bool(
      "disable_spade", "model", \.disableSpade,
      "heatmaps as input channels with plain InstanceNorm (Lorenz variant)"),
    .bool(
      "use_identity_covariance", "model", \.useIdentityCovariance, "isotropic fixed covariance fixed_covar·I"),
    .double(
      "fixed_covar", "model", \.fixedCovar, 1e-6...10, "covariance diagonal when use_identity_covariance"),

    .bool("use_vgg", "loss", \.useVgg, "VGG perceptual loss"),
    .double("vgg_lambda", "loss", \.vggLambda, 0...1e4, "weight of the VGG loss"),
    .bool("reduced_w", "loss", \.reducedW, "VGG layer weights 1/32, 1/16, 1/8, 1/4, 1 (false: uniform)"),
    .string(
      "vgg_weights", "loss", \.vggWeights, nil, "HDF5 file of ImageNet VGG19 weights ('' = none, said loudly)"
    ),
    .double("mse_lambda", "loss", \.mseLambda, 0...1e4, "weight of the pixel MSE loss"),
    .bool("use_gan", "loss", \.useGan, "adversarial LSGAN loss with a multiscale PatchGAN"),
    .double("gan_lambda", "loss", \.ganLambda, 0...1e4, "weight of the adversarial loss"),
    .int("num_D", "loss", \.numD, 1...4, "discriminator scales"),
    .int("n_layers_D", "loss", \.nLayersD, 1...6, "discriminator layers"),
    .int("ndf", "loss", \.ndf, 1...1024, "discriminator first-layer width"),
    .bool("no_lsgan", "loss", \.noLsgan, "BCE instead of least-squares GAN"),

    .bool("color_jitter", "pairs", \.colorJitter, "color-jitter the pose branch's input"),
    .double("brightness", "pairs", \.brightness, 0...1, "color jitter brightness"),
    .double("contrast", "pairs", \.contrast, 0...1, "color jitter contrast"),
    .double("saturation", "pairs", \.saturation, 0...1, "color jitter saturation"),
    .double("hue", "pairs", \.hue, 0...0.5, "color jitter hue"),
    .bool("use_temporal", "pairs", \.useTemporal, "appearance branch sees another frame of the video"),
    .int(
      "temporal_min_gap", "pairs", \.temporalMinGap, 1...10_000, "nearest frame distance for temporal pairs"),
    .int(
      "temporal_max_gap", "pairs", \.temporalMaxGap, 1...10_000, "farthest frame distance for temporal pairs"),
    .bool("use_warped", "pairs", \.useWarped, "appearance branch sees a thin-plate-spline warp"),
    .int("tps_grid", "pairs", \.tpsGrid, 2...64, "TPS control grid size per axis"),
    .int("tps_margin", "pairs", \.tpsMargin, 0...512, "TPS control grid margin in pixels"),
    .double("tps_jitter", "pairs", \.tpsJitter, 0...64, "TPS per-point jitter in pixels"),
    .double("trans_lb", "pairs", \.transLb, -512...512, "TPS translation lower bound (pixels)"),
    .double("trans_ub", "pairs", \.transUb, -512...512, "TPS translation upper bound (pixels)"),
    .double("scale_lb", "pairs", \.scaleLb, 0.1...10, "TPS scale lower bound"),
    .double("scale_ub", "pairs", \.scaleUb, 0.1...10, "TPS scale upper bound"),
    .double("rot_lb", "pairs", \.rotLb, -Double.pi...Double.pi, "TPS rotation lower bound (radians)"),
    .double("rot_ub", "pairs", \.rotUb, -Double.pi...Double.pi, "TPS rotation upper bound (radians)"),

    .double("learning_rate", "optim", \.learningRate, 1e-8...1, "Adam learning rate"),
    .string(
      "lr_schedule", "optim", \.lrSchedule, LearningRateSchedule.names,
      "landmark learning rate over the steps: constant (reference) or cosine (decays to 0 at the last step)"),
    .double("weight_decay", "optim", \.weightDecay, 0...1, "Adam weight decay"),
    .int("batch_size", "optim", \.batchSize, 1...4096, "batch size"),
    .int("epochs", "optim", \.epochs, 1...1_000_000, "training epochs"),
    .int("max_steps", "optim", \.maxSteps, 0...100_000_000, "stop after this many steps (0 = epochs decide)"),
    .bool("no_grad_clip", "optim", \.noGradClip, "disable gradient clipping"),
    .int("seed", "optim", \.seed, 0...Int(Int32.max), "random seed"),
    .int("save_freq", "optim", \.saveFreq, 1...1_000_000, "checkpoint every this many epochs"),
    .int("val_freq", "optim", \.valFreq, 1...1_000_000, "validate every this many epochs"),

    .int("n_inputs", "dynamics", \.nInputs, 1...1000, "frames of ground truth fed to the LSTM"),
    .int("n_future", "dynamics", \.nFuture, 0...1000, "frames the LSTM feeds itself during training"),
    .int("lstm_layers", "dynamics", \.lstmLayers, 1...16, "LSTM layers"),
    .int("lstm_hidden", "dynamics", \.lstmHidden, 1...8192, "LSTM hidden units"),
    .double("dyn_learning_rate", "dynamics", \.dynLearningRate, 1e-8...1, "LSTM Adam learning rate"),
    .int("dyn_batch_size", "dynamics", \.dynBatchSize, 1...4096, "LSTM batch size"),
    .int("dyn_steps", "dynamics", \.dynSteps, 1...100_000_000, "LSTM training steps"),
    .int("n_context", "dynamics", \.nContext, 1...1000, "context frames at inference"),
    .int("n_rollout", "dynamics", \.nRollout, 1...10_000, "frames rolled out at inference"),
    .double(
      "dyn_residual_scale", "dynamics", \.dynResidualScale, 1e-3...1e6,
      "c: the LSTM reads c·(s_t − s_t−1) and its output is divided by c (1 = report)"),
    .double("dyn_grad_clip", "dynamics", \.dynGradClip, 0...1e6, "max LSTM gradient norm (0 = no clipping)"),
    .int("dyn_checkpoint_every", "dynamics", \.dynCheckpointEvery, 1...100_000_000, "LSTM checkpoint every this many steps"),
    .double(
      "cholesky_floor", "dynamics", \.choleskyFloor, 1e-6...1,
      "floor on the Cholesky factor's diagonal when a pose state is decoded (keeps Σ positive definite)"),

    .double(
      "keypoint_threshold", "eval", \.keypointThreshold, 0...1000, "keypoint accuracy threshold in pixels"),
    .string("lpips_net", "eval", \.lpipsNet, ["alex", "vgg", "squeeze"], "LPIPS backbone"),
    .bool(
      "ssim_gaussian", "eval", \.ssimGaussian,
      "SSIM with an 11×11 Gaussian window, σ 1.5 (false: 7×7 uniform)"),
  ] + trainingKeys

  /// Other spellings accepted for a key.
  public static let aliases: [String: String] = ["lr": "learning_rate", "K": "n_landmarks"]

  /// Keys of the reference's config files that have no meaning here; accepted and ignored.
  public static let ignoredReferenceKeys: Set<String> = [
    "model", "use_DDP", "local_rank", "num_workers", "torch_home", "resume_ckpt_D", "resume_ckpt_opt_G",
    "resume_ckpt_opt_D", "use_fg_bg_mask", "low_res_mask", "color_jitter_targets",
  ]

  static let byName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

  public static func key(_ name: String) -> ConfigKey? { byName[aliases[name] ?? name] }
}
