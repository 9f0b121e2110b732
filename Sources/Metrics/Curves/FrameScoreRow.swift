// FrameScoreRow: one per-frame value in the DESIGN §4 long form (method, sequence, frame,
// metric, value), the input of prediction curves and worst-case rankings.

/// One metric value of one predicted frame of one sequence by one method.
public struct FrameScoreRow: Sendable, Equatable {
  public var method: String
  public var sequence: String
  /// The frame's index on the curve (1-based prediction horizon or interpolation frame index).
  public var index: Int
  public var metric: String
  public var value: Double

  public init(method: String, sequence: String, index: Int, metric: String, value: Double) {
    self.method = method
    self.sequence = sequence
    self.index = index
    self.metric = metric
    self.value = value
  }
}

extension MetricDirection {
  /// The direction of a metric known by name: `psnr*`, `ssim*` higher is better; `lpips*`,
  /// `mse*`, `*error*` and feature distances (`*-dist`, `effnet-lite0-dist-randombackbone`) lower
  /// is better; nil for anything else (the caller must say).
  public init?(metricName name: String) {
    let n = name.lowercased()
    if n.hasPrefix("psnr") || n.hasPrefix("ssim") {
      self = .higherIsBetter
    } else if n.hasPrefix("lpips") || n.hasPrefix("mse") || n.contains("error") || n.hasSuffix("-dist") || n.contains("-dist-") {
      self = .lowerIsBetter
    } else {
      return nil
    }
  }
}
