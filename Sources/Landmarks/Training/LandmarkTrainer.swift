// LandmarkTrainer: one training step of the landmark model — forward on a (pose, appearance,
// target) batch, the loss of `TrainerConfig`, a non-finite check before any update, backward,
// optional clipping, Adam; then, with the GAN on, the discriminator's LSGAN update.
// Trainer state (model, optimizers, RNG, step) is saved and restored by TrainerState.swift.
import TensorEngine

public final class LandmarkTrainer {
  public let model: LandmarkModel
  public let config: TrainerConfig
  public let optimizer: Adam
  public let discriminator: MultiscaleDiscriminator?
  public let optimizerD: Adam?
  public let perceptual: PerceptualLoss?
  /// Draws of the trainer itself (equivariance warps); saved in checkpoints.
  public var rng: SeededRNG
  /// Steps completed (optimizer updates).
  public internal(set) var step = 0
  /// Test hook: added to the total loss before the finite check (return .nan to inject a NaN
  /// at a step). nil in real runs.
  public var lossInjection: ((Int) -> Float)?

  /// - Parameters:
  ///   - perceptual: the VGG loss (needed when `config.useVgg`).
  ///   - seed: seeds the discriminator's initialization and the trainer's draws.
  public init(model: LandmarkModel, config: TrainerConfig, perceptual: PerceptualLoss? = nil, seed: UInt64) throws {
    try config.validate()
    if config.perceptualOn && perceptual == nil {
      throw ModelConfigError.invalid(reason: "use_vgg is true but no perceptual feature network was given")
    }
    self.model = model
    self.config = config
    self.perceptual = config.perceptualOn ? perceptual : nil
    rng = SeededRNG(seed: seed ^ 0x7472_6169_6e65_72)
    optimizer = Adam(
      model.namedParameters(), lr: Float(config.learningRate), weightDecay: Float(config.weightDecay))
    if config.useGan {
      var drng = SeededRNG(seed: seed ^ 0x6469_7363)
      let d = MultiscaleDiscriminator(ndf: config.ndf, layers: config.nLayersD, numD: config.numD, rng: &drng)
      discriminator = d
      optimizerD = Adam(d.namedParameters(), lr: Float(config.learningRate), weightDecay: Float(config.weightDecay))
    } else {
      discriminator = nil
      optimizerD = nil
    }
    model.train()
  }

  /// What a step did.
  public struct Result {
    public var losses: StepLosses
    /// False when a loss was NaN or ±Inf: no parameter was changed and `step` did not advance.
    public var applied: Bool
    /// The forward output (for sample images); its graph is released.
    public var output: LandmarkOutput
  }

  private func adversarial(_ outputs: [Tensor], real: Bool) -> Tensor {
    config.noLsgan ? GANLoss.bce(outputs, real: real) : GANLoss.lsgan(outputs, real: real)
  }

  /// Sets both optimizers' rate for the next update of a run of `total` steps.
  public func scheduleLearningRate(total: Int) {
    let lr = Float(config.learningRate) * Float(config.schedule.factor(step: step, total: total))
    optimizer.lr = lr
    optimizerD?.lr = lr
  }

  /// One optimizer step on a batch ([B, 3, S, S] each, in [-1, 1]).
  public func step(pose: Tensor, appearance: Tensor, target: Tensor) -> Result {
    var losses = StepLosses()
    // The last step's gradients go before the forward pass, not after it: they would
    // otherwise sit beside the step's activations at its memory peak.
    optimizer.zeroGrad()
    optimizerD?.zeroGrad()
    let out = model(pose: pose, appearance: appearance)
    let recon = out.reconstruction
    var total = Tensor(scalar: 0)
    if config.mseLambda > 0 {
      let l = Tensor.mseLoss(recon, target)
      losses.mse = l.item
      total = total + l * Float(config.mseLambda)
    }
    if let vgg = perceptual, config.vggLambda > 0 {
      let l = vgg(recon, target)
      losses.vgg = l.item
      losses.perceptualSeries = vgg.seriesName
      total = total + l * Float(config.vggLambda)
    }
    if let d = discriminator, config.ganLambda > 0 {
      let l = adversarial(d(recon), real: true)
      losses.ganG = l.item
      total = total + l * Float(config.ganLambda)
    }
    if config.concentrationLambda > 0, let maps = out.pose.maps {
      let l = LandmarkTerms.concentration(maps: maps)
      losses.concentration = l.item
      total = total + l * Float(config.concentrationLambda)
    }
    if config.separationLambda > 0 {
      let l = LandmarkTerms.separation(mu: out.pose.mu, sigma: Float(config.separationSigma))
      losses.separation = l.item
      total = total + l * Float(config.separationLambda)
    }
    if config.equivarianceLambda > 0 {
      let warps = (0..<pose.shape[0]).map { _ in AffineWarp.random(config.equivarianceWarp, rng: &rng) }
      let warped = model.encode(AffineWarp.warp(pose, by: warps))
      let l = LandmarkTerms.equivariance(warpedMu: warped.mu, mu: out.pose.mu, warps: warps)
      losses.equivariance = l.item
      total = total + l * Float(config.equivarianceLambda)
    }
    if let inject = lossInjection { total = total + inject(step) }
    losses.total = total.item
    guard losses.isFinite else { return Result(losses: losses, applied: false, output: out) }

    total.backward()
    if let clip = config.gradClip { losses.gradNorm = clipGradNorm(model.parameters, maxNorm: clip) }
    optimizer.step()

    if let d = discriminator, let optD = optimizerD {
      // The generator's backward also reached D's parameters: start D's update from zero.
      optD.zeroGrad()
      let fake = recon.detached()
      let ld = (adversarial(d(target), real: true) + adversarial(d(fake), real: false)) * 0.5
      losses.ganD = ld.item
      if ld.item.isFinite {
        ld.backward()
        if let clip = config.gradClip { clipGradNorm(d.parameters, maxNorm: clip) }
        optD.step()
      }
    }
    step += 1
    return Result(losses: losses, applied: true, output: out)
  }
}
