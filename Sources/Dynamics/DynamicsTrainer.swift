// DynamicsTrainer: one optimizer step of the residual LSTM on a batch of state windows
// [B, n + m, D] with the "n inputs, m future" schedule — loss, a non-finite check before any
// update, backward, optional clipping, Adam — and its state as a checkpoint (DESIGN §4: the
// model's tensors, Adam state under optimizer/, config JSON, step, state/ words) for an exact resume.
import Storage
import TensorEngine

public final class DynamicsTrainer {
  public let model: ResidualLSTM
  public let config: DynamicsConfig
  public let optimizer: Adam
  /// Steps completed (optimizer updates).
  public internal(set) var step = 0
  /// Test hook: added to the loss before the finite check (return .nan to inject one).
  public var lossInjection: ((Int) -> Float)?

  public init(model: ResidualLSTM, config: DynamicsConfig) throws {
    guard config.nInputs >= 1 else { throw DynamicsError.badValue(key: "n_inputs", value: "\(config.nInputs)", expected: "≥ 1") }
    guard config.windowLength >= 2 else {
      throw DynamicsError.badValue(
        key: "n_inputs + n_future", value: "\(config.windowLength)", expected: "≥ 2 (one supervised step at least)")
    }
    self.model = model
    self.config = config
    optimizer = Adam(model.namedParameters(), lr: Float(config.dynLearningRate))
    model.train()
  }

  public struct Result {
    public var loss: Float
    public var gradNorm: Float?
    /// False when the loss was NaN or ±Inf: nothing changed and `step` did not advance.
    public var applied: Bool
  }

  /// One update on windows [B, n + m, D].
  public func step(windows: Tensor) -> Result {
    precondition(windows.rank == 3 && windows.shape[1] == config.windowLength, "dynamics step: windows \(windows.shape)")
    var loss = model.scheduleLoss(windows, nInputs: config.nInputs)
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
