// effnet-lite0-dist (DESIGN §3): LPIPS's recipe without calibration — the LPIPS paper's
// uncalibrated ImageNet-feature baseline — over EfficientNet-Lite0's features (stem and the end of
// each resolution stage): each layer unit-normalised over channels (eps 1e-10), squared
// difference summed over channels, spatial mean, uniform layer weights, summed over layers.
// Never labelled "lpips". Chunks of frames run on all cores (one BLAS and engine thread each).
import FeatureNetworks
import TensorEngine

/// The value range of the frames handed to a metric (stated at every call).
public enum PixelRange: String, Sendable {
  /// Values in [−1, 1] (the model's images, x·2 − 1).
  case minusOneToOne = "[-1, 1]"
  /// Values in [0, 1].
  case zeroToOne = "[0, 1]"
}

/// Name and version of the metric.
public enum EffNetDistance {
  public static let metricName = "effnet-lite0-dist"
  /// The name when the network's weights are not ImageNet-trained (tests, speed runs).
  public static let randomBackboneName = "effnet-lite0-dist-randombackbone"
  /// Taps stem, block0, block2, block4, block10, block15; unit-normalised (eps 1e-10), squared
  /// differences summed over channels, spatial mean, weight 1 per layer, summed.
  public static let version = "effnet-lite0-dist-v1"
}

/// effnet-lite0-dist of each frame pair; lower is better (0 = identical). `reference` and
/// `predicted` are [N, 3, H, W] with values in `range`; they are converted to the network's input
/// ((p − 127) / 128 for pixels p in [0, 255]) inside. Any size works (features at H/2 … H/32).
/// Named "effnet-lite0-dist" only when `network` holds ImageNet weights.
public func effnetLite0Distance(
  reference: Tensor, predicted: Tensor, range: PixelRange, network: EfficientNetLite0
) -> FrameScores {
  precondSameFrames(reference.shape, predicted.shape, EffNetDistance.metricName)
  precondition(reference.shape[1] == 3, "\(EffNetDistance.metricName): frames must have 3 channels, got \(reference.shape)")
  let n = reference.shape[0]
  let chunk = Swift.max(1, Swift.min(16, (n + metricWorkers - 1) / metricWorkers))
  let values = scoreInChunks(n, chunk: chunk) { frames, out in
    effnetChunk(reference, predicted, frames, range, network, into: out)
  }
  let name = network.isPretrained ? EffNetDistance.metricName : EffNetDistance.randomBackboneName
  return FrameScores(metric: name, version: EffNetDistance.version, direction: .lowerIsBetter, values: values)
}

/// Scores frames `frames`, one value each into `out`.
private func effnetChunk(
  _ reference: Tensor, _ predicted: Tensor, _ frames: Range<Int>, _ range: PixelRange, _ network: EfficientNetLite0,
  into out: UnsafeMutablePointer<Double>
) {
  let b = frames.count
  let (h, w) = (reference.shape[2], reference.shape[3])
  let frameSize = 3 * h * w
  // Input [2b, 3, H, W]: the b reference frames, then the b predicted ones, in the network's range.
  let (scale, shift) =
    range == .minusOneToOne ? EfficientNetLite0.inputFromMinusOneToOne : EfficientNetLite0.inputFromZeroToOne
  let x = Tensor(zeros: [2 * b, 3, h, w])
  for (half, src) in [reference, predicted].enumerated() {
    let s = src.data + frames.lowerBound * frameSize
    let d = x.data + half * b * frameSize
    for i in 0..<(b * frameSize) { d[i] = s[i] * scale + shift }
  }
  for f in 0..<b { out[f] = 0 }
  for tap in network.features(x) { addLayerDistance(tap, frames: b, lin: nil, into: out) }  // uniform weights
}
