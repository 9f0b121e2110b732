// TrainerConfig: the landmark trainer's config section — what one training step does: the loss
// composition (report eq. 6: λ_vgg·L_vgg + λ_mse·MSE + L_adv, each switchable) with the
// perceptual network's weights file, the extra landmark terms that are off in the reference
// (concentration, separation, affine equivariance), Adam, the learning-rate schedule and
// gradient clipping. The reference's values are the defaults.
import ConfigSchema
import TensorEngine

public struct TrainerConfig: ConfigSection {
  /// VGG perceptual loss (DESIGN §2 L_vgg) and its weight; needs a `PerceptualLoss`.
  public var useVgg = true
  public var vggLambda = 5.0
  /// VGG layer weights 1/32, 1/16, 1/8, 1/4, 1 (false: uniform).
  public var reducedW = true
  /// HDF5 file of ImageNet VGG19 weights ("" = random weights, said loudly).
  public var vggWeights = ""
  /// The perceptual term's feature network: the reference's VGG19, the ImageNet EfficientNet-Lite0
  /// available offline, or none.
  public var perceptualNet = "vgg19"
  /// Pixel MSE weight (0: off).
  public var mseLambda = 0.0
  /// Adversarial loss: multiscale PatchGAN, LSGAN (or BCE with `noLsgan`).
  public var useGan = false
  public var ganLambda = 1.0
  public var noLsgan = false
  public var numD = 2
  public var nLayersD = 3
  public var ndf = 64
  /// Adam (the reference's BBC values).
  public var learningRate = 1e-4
  /// The learning rate over the run: a `LearningRateSchedule` name.
  public var lrSchedule = LearningRateSchedule.constant.rawValue
  public var weightDecay = 5e-6
  /// Global gradient-norm clipping at `gradClipNorm` unless `noGradClip` (the reference's default).
  public var noGradClip = true
  public var gradClipNorm = 1.0
  /// Concentration term weight: mean trace of the softmax maps' covariance.
  public var concentrationLambda = 0.0
  /// Separation term: weight and length scale σ (in [-1, 1] image coordinates).
  public var separationLambda = 0.0
  public var separationSigma = 0.1
  /// Equivariance under random affine warps of the pose input, with its warp ranges.
  public var equivarianceLambda = 0.0
  public var equivarianceRotation = 0.3
  public var equivarianceScale = 0.1
  public var equivarianceTranslation = 0.1

  public init() {}

  public static let sectionName = "trainer"
  public static let reader = "Landmarks.LandmarkTrainer"
  public static let fields: [ConfigField<TrainerConfig>] = [
    .bool("use_vgg", \.useVgg, "VGG perceptual loss"),
    .double("vgg_lambda", \.vggLambda, 0...1e4, "weight of the VGG loss"),
    .bool("reduced_w", \.reducedW, "VGG layer weights 1/32, 1/16, 1/8, 1/4, 1 (false: uniform)"),
    .string("vgg_weights", \.vggWeights, "HDF5 file of ImageNet VGG19 weights ('' = random weights, said loudly)"),
    .string(
      "perceptual_net", \.perceptualNet, allowed: ["vgg19", "effnet-lite0", "none"],
      "feature network of the perceptual term (the decoder's when use_vgg is on, the pixel predictor's when pixel_perceptual_weight > 0): vgg19 (reference; vgg_weights), effnet-lite0 (ImageNet, fetched by scripts/fetch-weights.sh), none"),
    .double("mse_lambda", \.mseLambda, 0...1e4, "weight of the pixel MSE loss"),
    .bool("use_gan", \.useGan, "adversarial LSGAN loss with a multiscale PatchGAN"),
    .double("gan_lambda", \.ganLambda, 0...1e4, "weight of the adversarial loss"),
    .bool("no_lsgan", \.noLsgan, "BCE instead of least-squares GAN"),
    .int("num_D", \.numD, 1...4, "discriminator scales"),
    .int("n_layers_D", \.nLayersD, 1...6, "discriminator layers"),
    .int("ndf", \.ndf, 1...1024, "discriminator first-layer width"),
    .double("learning_rate", \.learningRate, 1e-8...1, "Adam learning rate"),
    .string(
      "lr_schedule", \.lrSchedule, allowed: LearningRateSchedule.names,
      "learning rate over the steps: constant (reference) or cosine (decays to 0 at the last step)"),
    .double("weight_decay", \.weightDecay, 0...1, "Adam weight decay"),
    .bool("no_grad_clip", \.noGradClip, "disable gradient clipping"),
    .double("grad_clip_norm", \.gradClipNorm, 1e-6...1e6, "max gradient norm when no_grad_clip is false"),
    .double(
      "concentration_lambda", \.concentrationLambda, 0...1e4, "weight of the landmark-map concentration term (0 = reference)"),
    .double("separation_lambda", \.separationLambda, 0...1e4, "weight of the landmark separation term (0 = reference)"),
    .double("separation_sigma", \.separationSigma, 1e-4...10, "separation length scale (image half-widths)"),
    .double(
      "equivariance_lambda", \.equivarianceLambda, 0...1e4,
      "weight of the landmark equivariance term under random affine warps (0 = reference)"),
    .double("equivariance_rotation", \.equivarianceRotation, 0...3.2, "equivariance warp max rotation (radians)"),
    .double("equivariance_scale", \.equivarianceScale, 0...0.9, "equivariance warp max scale offset"),
    .double("equivariance_translation", \.equivarianceTranslation, 0...1, "equivariance warp max translation (image half-widths)"),
  ]

  public func problems() -> [String] {
    if (perceptualOn && vggLambda > 0) || mseLambda > 0 || (useGan && ganLambda > 0) { return [] }
    return ["mse_lambda must be > 0 when neither the VGG nor the GAN loss is on (nothing to train)"]
  }

  /// Whether the perceptual term is on (`use_vgg` and a network).
  public var perceptualOn: Bool { useVgg && perceptualNet != "none" }

  /// The schedule `lrSchedule` names (the field admits only its names).
  public var schedule: LearningRateSchedule {
    guard let s = LearningRateSchedule(rawValue: lrSchedule) else {
      preconditionFailure("lr_schedule '\(lrSchedule)' is not one of \(LearningRateSchedule.names)")
    }
    return s
  }

  /// The clipping norm, nil when clipping is off.
  public var gradClip: Float? { noGradClip ? nil : Float(gradClipNorm) }

  /// Ranges of the equivariance term's random affine warps.
  public var equivarianceWarp: AffineWarpRange {
    var w = AffineWarpRange()
    w.maxRotation = Float(equivarianceRotation)
    w.maxScaleOffset = Float(equivarianceScale)
    w.maxTranslation = Float(equivarianceTranslation)
    return w
  }

  /// Checks the values; the error names the key.
  public func validate() throws {
    if let v = violations().first { throw ModelConfigError.invalid(reason: v) }
  }
}

/// Ranges of the random affine warps used by the equivariance term, in [-1, 1] coordinates.
public struct AffineWarpRange: Equatable, Sendable {
  public var maxRotation: Float = 0.3
  public var maxScaleOffset: Float = 0.1
  public var maxTranslation: Float = 0.1
  public init() {}
}

/// One step's loss values (unweighted parts, and the weighted total the generator minimized).
public struct StepLosses: Equatable, Sendable {
  public var total: Float = 0
  public var mse: Float?
  public var vgg: Float?
  /// The perceptual term's series name: `loss_vgg` for VGG19 (the reference's), `loss_effnet-lite0`.
  public var perceptualSeries = "loss_vgg"
  public var ganG: Float?
  public var ganD: Float?
  public var concentration: Float?
  public var separation: Float?
  public var equivariance: Float?
  public var gradNorm: Float?

  public init() {}

  /// Series names and values, as logged to the registry (`loss` is the weighted total).
  public var named: [(String, Float)] {
    var out: [(String, Float)] = [("loss", total)]
    if let v = mse { out.append(("loss_mse", v)) }
    if let v = vgg { out.append((perceptualSeries, v)) }
    if let v = ganG { out.append(("loss_gan_g", v)) }
    if let v = ganD { out.append(("loss_gan_d", v)) }
    if let v = concentration { out.append(("loss_concentration", v)) }
    if let v = separation { out.append(("loss_separation", v)) }
    if let v = equivariance { out.append(("loss_equivariance", v)) }
    if let v = gradNorm { out.append(("grad_norm", v)) }
    return out
  }

  /// True when every value is finite.
  public var isFinite: Bool { named.allSatisfy { $0.1.isFinite } }
}
