// SSIM (DESIGN §3): Wang et al. as scikit-image's structural_similarity computes it, per
// channel then averaged. Default: gaussian_weights=True, sigma=1.5 (truncate 3.5 → 11 taps),
// use_sample_covariance=False, data_range=1. Option: scikit-image's defaults (7×7 uniform
// window, sample covariance). K1 = 0.01, K2 = 0.03 in both.
import Foundation
import TensorEngine

/// Which SSIM definition to compute.
public enum SSIMWindow: Sendable, Equatable {
  /// Gaussian window of this sigma, without sample-covariance correction (the default).
  case gaussian(sigma: Double)
  /// size×size uniform window with sample covariance (scikit-image's defaults: 7).
  case uniform(size: Int)

  /// The Wang et al. setup the design names.
  public static let wang = SSIMWindow.gaussian(sigma: 1.5)
  /// scikit-image's structural_similarity defaults.
  public static let skimageDefault = SSIMWindow.uniform(size: 7)

  /// Metric name in CSVs: "ssim" for the default, "ssim-uniform" for the 7×7 option.
  public var metricName: String {
    switch self {
    case .gaussian(let s): return s == 1.5 ? "ssim" : "ssim-gaussian\(s)"
    case .uniform(let n): return n == 7 ? "ssim-uniform" : "ssim-uniform\(n)"
    }
  }

  /// Exact definition, for the results' version field.
  public var version: String {
    switch self {
    case .gaussian(let s): return "ssim-v1 skimage gaussian sigma=\(s) truncate=3.5 population-cov K1=0.01 K2=0.03"
    case .uniform(let n): return "ssim-v1 skimage uniform \(n)x\(n) sample-cov K1=0.01 K2=0.03"
    }
  }

  func kernelConfig(dataRange: Double) -> SSIMKernelConfig {
    let c1 = Float((0.01 * dataRange) * (0.01 * dataRange))
    let c2 = Float((0.03 * dataRange) * (0.03 * dataRange))
    switch self {
    case .gaussian(let sigma):
      // scipy.ndimage's radius: int(truncate·sigma + 0.5), truncate = 3.5 in scikit-image.
      let r = Int(3.5 * sigma + 0.5)
      var w = (-r...r).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
      let s = w.reduce(0, +)
      w = w.map { $0 / s }
      return SSIMKernelConfig(
        weights: w.map { Float($0) }, radius: r, covNorm: 1, c1: c1, c2: c2, shift: Float(dataRange / 2))
    case .uniform(let n):
      precondition(n % 2 == 1 && n >= 3, "ssim: uniform window size \(n) must be odd and ≥ 3")
      let np = Double(n * n)
      return SSIMKernelConfig(
        weights: [Float](repeating: Float(1 / Double(n)), count: n), radius: n / 2, covNorm: Float(np / (np - 1)),
        c1: c1, c2: c2, shift: Float(dataRange / 2))
    }
  }
}

/// Structural similarity of each frame pair, channels averaged; higher is better (1 = equal).
/// Frames are [N, C, H, W] with values in [0, `dataRange`]; H and W at least the window size.
public func ssimSimilarity(
  reference: Tensor, predicted: Tensor, window: SSIMWindow = .wang, dataRange: Double = 1
) -> FrameScores {
  precondSameFrames(reference.shape, predicted.shape, "ssim")
  let (n, c, h, w) = (reference.shape[0], reference.shape[1], reference.shape[2], reference.shape[3])
  let cfg = window.kernelConfig(dataRange: dataRange)
  let plane = h * w
  var values = [Double](repeating: 0, count: n)
  let a = reference.data, b = predicted.data
  cfg.weights.withUnsafeBufferPointer { wts in
    values.withUnsafeMutableBufferPointer { out in
      let dst = out.baseAddress!
      forEachFrameRange(n) { range, _ in
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * w)
        defer { scratch.deallocate() }
        for i in range {
          var s: Double = 0
          for ch in 0..<c {
            let off = (i * c + ch) * plane
            s += ssimPlaneMean(a + off, b + off, h: h, w: w, cfg, weights: wts.baseAddress!, scratch: scratch)
          }
          dst[i] = s / Double(c)
        }
      }
    }
  }
  return FrameScores(metric: window.metricName, version: window.version, direction: .higherIsBetter, values: values)
}
