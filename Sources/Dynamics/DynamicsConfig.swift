// DynamicsConfig: the dynamics config section (DESIGN §2 "Extrapolation") — the residual LSTM's
// shape, its "n inputs, m future" training schedule and optimizer, the training run's length and
// checkpoint cadence, and inference (context, rollout length, the Cholesky floor used when a
// pose state is decoded).
import ConfigSchema

public struct DynamicsConfig: ConfigSection {
  /// n: ground-truth frames fed per window; m: frames the model feeds itself.
  public var nInputs = 10
  public var nFuture = 10
  public var lstmLayers = 3
  public var lstmHidden = 256
  public var dynLearningRate = 1e-3
  public var dynBatchSize = 32
  public var dynSteps = 20_000
  public var dynCheckpointEvery = 500
  /// c: the LSTM reads c·velocity and predicts c·residual.
  public var dynResidualScale = 1.0
  /// Max global gradient norm (0: no clipping).
  public var dynGradClip = 0.0
  public var nContext = 2
  public var nRollout = 98
  /// Floor on L's diagonal when a pose state is decoded.
  public var choleskyFloor = 1e-3
  /// Which checkpoint predictions use: the last, or the one with the lowest validation error.
  public var dynSelect = "last"
  /// The output layer's initial weight: PyTorch's uniform, or zero (the untrained LSTM is hold-state).
  public var dynOutputInit = "uniform"

  public init() {}

  public static let sectionName = "dynamics"
  public static let reader = "Dynamics (ResidualLSTM, DynamicsTrainer, rollout)"
  public static let fields: [ConfigField<DynamicsConfig>] = [
    .int("n_inputs", \.nInputs, 1...1000, "frames of ground truth fed to the LSTM"),
    .int("n_future", \.nFuture, 0...1000, "frames the LSTM feeds itself during training"),
    .int("lstm_layers", \.lstmLayers, 1...16, "LSTM layers"),
    .int("lstm_hidden", \.lstmHidden, 1...8192, "LSTM hidden units"),
    .double("dyn_learning_rate", \.dynLearningRate, 1e-8...1, "LSTM Adam learning rate"),
    .int("dyn_batch_size", \.dynBatchSize, 1...4096, "LSTM batch size (windows)"),
    .int("dyn_steps", \.dynSteps, 1...100_000_000, "LSTM training steps"),
    .int("dyn_checkpoint_every", \.dynCheckpointEvery, 1...100_000_000, "LSTM checkpoint (and validation) every this many steps"),
    .double(
      "dyn_residual_scale", \.dynResidualScale, 1e-3...1e6,
      "c: the LSTM reads c·(s_t − s_t−1) and its output is divided by c (1 = report)"),
    .double("dyn_grad_clip", \.dynGradClip, 0...1e6, "max LSTM gradient norm (0 = no clipping)"),
    .int("n_context", \.nContext, 1...1000, "context frames at inference"),
    .int("n_rollout", \.nRollout, 1...10_000, "frames rolled out at inference"),
    .string(
      "dyn_select", \.dynSelect, allowed: ["last", "best_val"],
      "checkpoint predictions use: last, or best_val (lowest val_mu_error_px among the checkpoints; recorded as selected_checkpoint_step)"),
    .string(
      "dyn_output_init", \.dynOutputInit, allowed: ["uniform", "zero"],
      "the LSTM output layer's initial weight: uniform ±1/√H (PyTorch's), or zero (the untrained LSTM predicts exactly hold-state)"),
    .double(
      "cholesky_floor", \.choleskyFloor, 1e-6...1,
      "floor on the Cholesky factor's diagonal when a pose state is decoded (keeps Σ positive definite)"),
  ]

  public func problems() -> [String] {
    nInputs + nFuture >= 2 ? [] : ["n_inputs + n_future is \(nInputs + nFuture); the schedule needs at least 2 frames"]
  }

  /// True when the output layer starts at zero.
  public var zeroOutputInit: Bool { dynOutputInit == "zero" }

  /// Frames per training window.
  public var windowLength: Int { nInputs + nFuture }
  /// The clipping norm, nil when off.
  public var gradClip: Float? { dynGradClip > 0 ? Float(dynGradClip) : nil }
}
