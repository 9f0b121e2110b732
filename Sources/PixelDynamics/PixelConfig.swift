// PixelConfig: the pixel predictor's config section — the widths of its convolutional LSTMs,
// its CDNA kernels, the loss, the optimizer, the training run's length and checkpoint cadence.
// The schedule (n_inputs / n_future for training, n_context / n_rollout at inference) is the
// dynamics section's: the pixel predictor trains and predicts on the same windows as the
// landmark LSTM, so the two families are compared on the same "n in, m out" task.
import ConfigSchema

public struct PixelConfig: ConfigSection {
  /// Widths of the ConvLSTMs at H/2 (also the decoder's) and at H/4 (the bottleneck).
  public var pixelChannels = [16, 32]
  /// N: CDNA kernels, each applied to the previous and to the first context frame.
  public var pixelKernels = 4
  /// k: the CDNA kernels' size (odd).
  public var pixelKernelSize = 5
  /// MSE by default: under L1 the predictor settles on holding the last frame (on mostly static
  /// frames the median of the futures is the frame itself) and does not leave it; measured on
  /// PixelPredictorTests' squares: L1 stays at hold-state's 0.024, MSE reaches L1 0.005 in 200 steps.
  public var pixelLoss = "mse"
  /// Weight of the perceptual term added to the loss (0: off): the decoder's perceptual loss over
  /// the network `perceptual_net` names, on every predicted frame against the truth. Off by
  /// default: the demo's effnet-lite0-dist scores the same features (README "The pixel-space predictor").
  public var pixelPerceptualWeight = 0.0
  public var pixelLearningRate = 1e-3
  public var pixelBatchSize = 8
  public var pixelSteps = 2000
  public var pixelCheckpointEvery = 500
  /// Max global gradient norm (0: no clipping).
  public var pixelGradClip = 0.0

  public init() {}

  public static let sectionName = "pixel"
  public static let reader = "PixelDynamics (PixelPredictor, PixelTrainer); the perceptual network from Landmarks"
  public static let fields: [ConfigField<PixelConfig>] = [
    .intList(
      "pixel_channels", \.pixelChannels, count: 2, 1...1024,
      "pixel predictor ConvLSTM widths at H/2 (and its decoder) and at H/4 (the bottleneck the CDNA kernels come from)"),
    .int("pixel_kernels", \.pixelKernels, 1...64, "N: CDNA kernels, each applied to the previous and the first context frame"),
    .int("pixel_kernel_size", \.pixelKernelSize, 1...31, "k: the CDNA kernels' size (odd)"),
    .string("pixel_loss", \.pixelLoss, allowed: ["l1", "mse"], "pixel predictor loss on the predicted frames: l1 or mse"),
    .double(
      "pixel_perceptual_weight", \.pixelPerceptualWeight, 0...1e4,
      "weight of a perceptual term on the predicted frames (perceptual_net's features, vgg_weights, reduced_w; 0 = off)"),
    .double("pixel_learning_rate", \.pixelLearningRate, 1e-8...1, "pixel predictor Adam learning rate"),
    .int("pixel_batch_size", \.pixelBatchSize, 1...4096, "pixel predictor batch size (windows of n_inputs + n_future frames)"),
    .int("pixel_steps", \.pixelSteps, 1...100_000_000, "pixel predictor training steps"),
    .int(
      "pixel_checkpoint_every", \.pixelCheckpointEvery, 1...100_000_000,
      "pixel predictor checkpoint (and validation) every this many steps"),
    .double("pixel_grad_clip", \.pixelGradClip, 0...1e6, "max pixel predictor gradient norm (0 = no clipping)"),
  ]

  public func problems() -> [String] {
    pixelKernelSize % 2 == 1 ? [] : ["pixel_kernel_size is \(pixelKernelSize); CDNA kernels need an odd size (a centre tap)"]
  }

  /// The clipping norm, nil when off.
  public var gradClip: Float? { pixelGradClip > 0 ? Float(pixelGradClip) : nil }
}
