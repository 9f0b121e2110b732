// Gaussian landmarks (DESIGN §2): softmax maps from the pose encoder's logits, their mean μ and
// covariance Σ (or a fixed isotropic Σ), and the heatmaps of report eq. 5.
import TensorEngine

/// K Gaussians per image.
public struct GaussianLandmarks {
  /// Landmark means (x, y) in [-1, 1]: [B, K, 2].
  public let mu: Tensor
  /// Covariances: [B, K, 2, 2].
  public let covariance: Tensor
  /// The softmax maps they were fitted to, [B, K, S/2, S/2] (nil when given from outside).
  public let maps: Tensor?

  public init(mu: Tensor, covariance: Tensor, maps: Tensor? = nil) {
    self.mu = mu
    self.covariance = covariance
    self.maps = maps
  }
}

public enum LandmarkGeometry {
  /// Coordinates on an n×n grid, row-major (column fastest): x = -1 + step·j, y = -1 + step·i.
  /// Returns two [1, 1, n·n] constants.
  public static func grid(size n: Int, step: Float) -> (x: Tensor, y: Tensor) {
    var xs = [Float](repeating: 0, count: n * n)
    var ys = [Float](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n {
        xs[i * n + j] = -1 + step * Float(j)
        ys[i * n + j] = -1 + step * Float(i)
      }
    }
    return (Tensor(xs, shape: [1, 1, n * n]), Tensor(ys, shape: [1, 1, n * n]))
  }

  /// Fits K Gaussians to logits [B, K, h, w] (h = w = S/2).
  ///
  /// p = softmax over the h·w positions; on the grid x = -1 + 4j/S, y = -1 + 4i/S:
  /// μ = Σ p·(x, y),  Σ = Σ p·(x, y)(x, y)ᵀ − μμᵀ, or `fixedCovariance`·I when given.
  public static func fit(logits: Tensor, fixedCovariance: Float? = nil) -> GaussianLandmarks {
    precondition(
      logits.rank == 4 && logits.shape[2] == logits.shape[3], "fit: logits \(logits.shape) not [B,K,h,h]")
    let (b, k, h) = (logits.shape[0], logits.shape[1], logits.shape[2])
    let p = logits.reshaped([b, k, h * h]).softmax(axis: 2)  // [B, K, hh]
    let g = grid(size: h, step: 2 / Float(h))
    let mx = (p * g.x).sum(axes: [2], keepDims: true)  // [B, K, 1]
    let my = (p * g.y).sum(axes: [2], keepDims: true)
    let mu = Tensor.concat([mx, my], axis: 2)  // [B, K, 2]
    let cov: Tensor
    if let c = fixedCovariance {
      cov = identityCovariance(batch: b, landmarks: k, value: c)
    } else {
      let sxx = (p * (g.x * g.x)).sum(axes: [2], keepDims: true) - mx * mx
      let sxy = (p * (g.x * g.y)).sum(axes: [2], keepDims: true) - mx * my
      let syy = (p * (g.y * g.y)).sum(axes: [2], keepDims: true) - my * my
      cov = Tensor.concat([sxx, sxy, sxy, syy], axis: 2).reshaped([b, k, 2, 2])
    }
    return GaussianLandmarks(mu: mu, covariance: cov, maps: p.reshaped([b, k, h, h]))
  }

  /// value·I for every landmark: [B, K, 2, 2], no gradient.
  public static func identityCovariance(batch: Int, landmarks: Int, value: Float) -> Tensor {
    var v = [Float](repeating: 0, count: batch * landmarks * 4)
    for i in 0..<(batch * landmarks) {
      v[4 * i] = value
      v[4 * i + 3] = value
    }
    return Tensor(v, shape: [batch, landmarks, 2, 2])
  }

  /// Report eq. 5 on the full grid x = -1 + 2j/S, y = -1 + 2i/S:
  /// s_k(l) = 1 / (1 + (l − μ_k)ᵀ Σ_k⁻¹ (l − μ_k)). μ [B, K, 2], Σ [B, K, 2, 2] → [B, K, S, S].
  public static func heatmaps(mu: Tensor, covariance: Tensor, size s: Int) -> Tensor {
    let (b, k) = (mu.shape[0], mu.shape[1])
    precondition(
      mu.shape == [b, k, 2] && covariance.shape == [b, k, 2, 2],
      "heatmaps: μ \(mu.shape), Σ \(covariance.shape)")
    let g = grid(size: s, step: 2 / Float(s))
    let inv = covariance.inverse2x2().reshaped([b, k, 4])
    let i00 = inv.slice(axis: 2, start: 0, end: 1)  // [B, K, 1]
    let iOff = inv.slice(axis: 2, start: 1, end: 2) + inv.slice(axis: 2, start: 2, end: 3)
    let i11 = inv.slice(axis: 2, start: 3, end: 4)
    let dx = g.x - mu.slice(axis: 2, start: 0, end: 1)  // [B, K, SS]
    let dy = g.y - mu.slice(axis: 2, start: 1, end: 2)
    let q = dx * dx * i00 + dx * dy * iOff + dy * dy * i11
    return (q + 1).pow(-1).reshaped([b, k, s, s])
  }
}
