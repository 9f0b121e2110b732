// FrameScores: what every frame metric returns — one value per frame, the metric's name,
// its version, and which direction is better.

/// Whether larger or smaller values are better.
public enum MetricDirection: String, Sendable {
  case higherIsBetter = "higher is better"
  case lowerIsBetter = "lower is better"
}

/// Per-frame values of one metric over a batch of frame pairs.
public struct FrameScores: Sendable, Equatable {
  /// The name used in CSVs and reports ("psnr", "ssim", "ssim-uniform", "lpips-alex", ...).
  public let metric: String
  /// The exact definition the values follow (changes whenever the numbers could change).
  public let version: String
  public let direction: MetricDirection
  /// One value per frame, in the order of the input batch.
  public let values: [Double]

  public init(metric: String, version: String, direction: MetricDirection, values: [Double]) {
    self.metric = metric
    self.version = version
    self.direction = direction
    self.values = values
  }

  /// Mean over frames (NaN for an empty batch; +∞ propagates, e.g. PSNR of identical frames).
  public var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
}
