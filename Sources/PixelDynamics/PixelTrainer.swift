// PixelTrainer: one optimizer step of the pixel predictor on a batch of frame windows
// [B, n + m, 3, H, W] with the "n inputs, m future" schedule — loss, a non-finite check before
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

  public init(model: PixelPredictor, config: PixelConfig, nInputs: Int, nFuture: Int) throws {
    guard nInputs >= 1 else { throw PixelError.badValue(key: "n_inputs", value: "\(nInputs)", expected: "≥ 1") }
    guard nInputs + nFuture >= 2 else {
      throw PixelError.badValue(
        key: "n_inputs + n_future", value: "\(nInputs + nFuture)", expected: "≥ 2 (one supervised step at least)")
    }
    self.model = model
    self.config = config
    self.nInputs = nInputs
    windowLength = nInputs + nFuture
    optimizer = Adam(model.namedParameters(), lr: Float(config.pixelLearningRate))
    model.train()
  }

  public struct Result {
    public var loss: Float
    public var gradNorm: Float?
    /// False when the loss was NaN or ±Inf: nothing changed and `step` did not advance.
    public var applied: Bool
  }

  /// One update on windows [B, n + m, 3, H, W].
  public func step(windows: Tensor) -> Result {
    precondition(windows.rank == 5 && windows.shape[1] == windowLength, "pixel step: windows \(windows.shape)")
    var loss = model.scheduleLoss(windows, nInputs: nInputs, mse: config.pixelLoss == "mse")
    if let inject = lossInjection { loss = loss + inject(step) }
    let value = loss.item
    guard value.isFinite else { return Result(loss: value, gradNorm: nil, applied: false) }
    optimizer.zeroGrad()
    loss.backward()
    let norm = config.gradClip.map { clipGradNorm(model.parameters, maxNorm: $0) }
    optimizer.step()
    step += 1
    return Result(loss: value, gradNorm: norm, applied: true)
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
