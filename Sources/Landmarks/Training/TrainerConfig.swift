// TrainerConfig: what one training step does — the loss composition (report eq. 6:
// λ_vgg·L_vgg + λ_mse·MSE + L_adv, each switchable), the extra landmark terms that are off in
// the reference (concentration, separation, affine equivariance), Adam and gradient clipping.
import TensorEngine

public struct TrainerConfig: Equatable, Sendable {
  /// VGG perceptual loss weight; used when a `PerceptualLoss` is given and `useVgg`.
  public var useVgg = false
  public var vggLambda: Float = 5
  /// Pixel MSE weight (0: off).
  public var mseLambda: Float = 1
  /// Adversarial loss: multiscale PatchGAN, LSGAN (or BCE with `noLsgan`).
  public var useGan = false
  public var ganLambda: Float = 1
  public var noLsgan = false
  public var numD = 2
  public var nLayersD = 3
  public var ndf = 64
  /// Adam (the reference's BBC values).
  public var learningRate: Float = 1e-4
  /// The learning rate over the run (`LandmarkTrainer.scheduleLearningRate`).
  public var lrSchedule = LearningRateSchedule.constant
  public var weightDecay: Float = 5e-6
  /// Global gradient-norm clip; nil: off.
  public var gradClip: Float? = nil
  /// Concentration term weight: mean trace of the softmax maps' covariance.
  public var concentrationLambda: Float = 0
  /// Separation term: weight and length scale σ (in [-1, 1] image coordinates).
  public var separationLambda: Float = 0
  public var separationSigma: Float = 0.1
  /// Equivariance under random affine warps of the pose input, with its warp ranges.
  public var equivarianceLambda: Float = 0
  public var equivarianceWarp = AffineWarpRange()

  public init() {}

  /// Checks the values a user can set; the error names the key.
  public func validate() throws {
    func need(_ ok: Bool, _ key: String, _ v: Any, _ rule: String) throws {
      if !ok { throw ModelConfigError.invalid(key: key, value: "\(v)", rule: rule) }
    }
    try need(learningRate > 0 && learningRate.isFinite, "learning_rate", learningRate, "> 0")
    try need(weightDecay >= 0, "weight_decay", weightDecay, "≥ 0")
    try need(mseLambda >= 0 && vggLambda >= 0 && ganLambda >= 0, "mse_lambda/vgg_lambda/gan_lambda", mseLambda, "≥ 0")
    try need(
      (useVgg && vggLambda > 0) || mseLambda > 0 || (useGan && ganLambda > 0), "mse_lambda", mseLambda,
      "> 0 when neither the VGG nor the GAN loss is on (nothing to train)")
    try need(separationSigma > 0, "separation_sigma", separationSigma, "> 0")
    if let c = gradClip { try need(c > 0, "grad_clip_norm", c, "> 0") }
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
    if let v = vgg { out.append(("loss_vgg", v)) }
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
