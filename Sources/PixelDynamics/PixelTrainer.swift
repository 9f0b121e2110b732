// PixelTrainer: one optimizer step of the pixel predictor on a batch of frame windows
// [B, n + m, 3, H, W] with the "n inputs, m future" schedule — loss (L1 or MSE, plus an optional
// perceptual term over every predicted frame), a non-finite check before
// any update, backward, optional clipping, Adam — and its state as a checkpoint (DESIGN §4: the
// model's tensors, Adam state under optimizer/, config JSON, step, state/ words) for an exact resume.
import Storage
import TensorEngine

public final class PixelTrainer {
  public let model: PixelPredictor
  public let config: PixelConfig
  /// n: ground-truth frames fed per window; L = n + m frames per window.
  public let nInputs: Int, windowLength: Int
  public let optimizer: Adam
  /// Steps completed (optimizer updates).
  public internal(set) var step = 0
  /// Test hook: added to the loss before the finite check (return .nan to inject one).
  public var lossInjection: ((Int) -> Float)?
  /// The perceptual term (images [N, 3, H, W] in [-1, 1]: prediction carrying the graph, truth)
  /// and the series it is logged as, when `pixel_perceptual_weight` > 0. The network comes from
  /// the caller: PixelDynamics does not import the feature networks.
  public struct PerceptualTerm {
    public var series: String
    public var loss: (Tensor, Tensor) -> Tensor
    public init(series: String, loss: @escaping (Tensor, Tensor) -> Tensor) {
      self.series = series
      self.loss = loss
    }
  }
  public let perceptual: PerceptualTerm?

  public init(model: PixelPredictor, config: PixelConfig, nInputs: Int, nFuture: Int, perceptual: PerceptualTerm? = nil)
    throws
  {
    guard nInputs >= 1 else { throw PixelError.badValue(key: "n_inputs", value: "\(nInputs)", expected: "≥ 1") }
    guard nInputs + nFuture >= 2 else {
      throw PixelError.badValue(
        key: "n_inputs + n_future", value: "\(nInputs + nFuture)", expected: "≥ 2 (one supervised step at least)")
    }
    guard (config.pixelPerceptualWeight > 0) == (perceptual != nil) else {
      throw PixelError.badValue(
        key: "pixel_perceptual_weight", value: "\(config.pixelPerceptualWeight)",
        expected: perceptual == nil ? "0 without a perceptual network" : "> 0 with a perceptual network")
    }
    self.model = model
    self.config = config
    self.perceptual = perceptual
    self.nInputs = nInputs
    windowLength = nInputs + nFuture
    optimizer = Adam(model.namedParameters(), lr: Float(config.pixelLearningRate))
    model.train()
  }

  public struct Result {
    /// The total loss, and its terms by series name when there are several.
    public var loss: Float
    public var terms: [(String, Float)] = []
    public var gradNorm: Float?
    /// False when the loss was NaN or ±Inf: nothing changed and `step` did not advance.
    public var applied: Bool
  }

  /// One update on windows [B, n + m, 3, H, W].
  public func step(windows: Tensor) -> Result {
    precondition(windows.rank == 5 && windows.shape[1] == windowLength, "pixel step: windows \(windows.shape)")
    let (predicted, target) = model.schedulePrediction(windows, nInputs: nInputs)
    let pixelLoss = config.pixelLoss == "mse" ? Tensor.mseLoss(predicted, target) : Tensor.l1Loss(predicted, target)
    var loss = pixelLoss
    var terms: [(String, Float)] = []
    if let p = perceptual {
      let shape = [predicted.shape[0] * predicted.shape[1]] + Array(predicted.shape[2...])
      let term = p.loss(predicted.reshaped(shape), target.reshaped(shape))
      loss = loss + term * Float(config.pixelPerceptualWeight)
      terms = [("loss_pixel", pixelLoss.item), (p.series, term.item)]
    }
    if let inject = lossInjection { loss = loss + inject(step) }
    let value = loss.item
    guard value.isFinite else { return Result(loss: value, terms: terms, gradNorm: nil, applied: false) }
    optimizer.zeroGrad()
    loss.backward()
    let norm = config.gradClip.map { clipGradNorm(model.parameters, maxNorm: $0) }
    optimizer.step()
    step += 1
    return Result(loss: value, terms: terms, gradNorm: norm, applied: true)
  }

  /// Writes model, Adam state, config, step and `extraState` (sampler words, ...) atomically.
  public func save(to path: String, configJSON: String, extraState: [(String, [Int64])] = []) throws {
    try Checkpoint(module: model, adam: optimizer, config: configJSON, step: step, state: extraState).write(to: path)
  }

  /// Restores model, Adam state and step from `path` (strict). Returns the checkpoint.
  @discardableResult
  public func restore(from path: String) throws -> Checkpoint {
    let ckpt = try model.load(from: path)
    try ckpt.restoreOptimizer(into: optimizer)
    step = ckpt.step
    return ckpt
  }
}
