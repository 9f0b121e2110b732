// Extra landmark terms (all off in the reference recipe): concentration of the softmax maps,
// separation of the landmark means, and equivariance of the means under a known affine warp.
// Coordinates are the model's: x, y in [-1, 1], 0 at the image centre.
import TensorEngine

public enum LandmarkTerms {
  /// Mean over B·K of tr Σ of the softmax maps [B, K, h, h] (computed from the maps, so it
  /// also acts when the model's Σ is fixed).
  public static func concentration(maps: Tensor) -> Tensor {
    let (b, k, h) = (maps.shape[0], maps.shape[1], maps.shape[2])
    let p = maps.reshaped([b, k, h * h])
    let g = LandmarkGeometry.grid(size: h, step: 2 / Float(h))
    let mx = (p * g.x).sum(axes: [2])
    let my = (p * g.y).sum(axes: [2])
    let second = (p * (g.x * g.x + g.y * g.y)).sum(axes: [2])
    return (second - mx * mx - my * my).mean()
  }

  /// Mean over images of Σ_{k≠l} exp(−|μ_k − μ_l|² / (2σ²)) / K for μ [B, K, 2].
  public static func separation(mu: Tensor, sigma: Float) -> Tensor {
    let (b, k) = (mu.shape[0], mu.shape[1])
    let x = mu.slice(axis: 2, start: 0, end: 1)  // [B, K, 1]
    let y = mu.slice(axis: 2, start: 1, end: 2)
    let dx = x - x.transposedLast2()  // [B, K, K]
    let dy = y - y.transposedLast2()
    let kernel = ((dx * dx + dy * dy) * (-1 / (2 * sigma * sigma))).exp()
    // The diagonal contributes exactly K·1 per image.
    return (kernel.sum() - Float(b * k)) * (1 / Float(b * k))
  }

  /// MSE between μ found in the warped images and the warp applied to μ of the originals.
  /// `warpedMu`, `mu` [B, K, 2]; the warp maps output coordinates l to source M·l + t, so a
  /// point q of the source appears at M⁻¹(q − t).
  public static func equivariance(warpedMu: Tensor, mu: Tensor, warps: [AffineWarp]) -> Tensor {
    let (b, k) = (mu.shape[0], mu.shape[1])
    precondition(warps.count == b && warpedMu.shape == mu.shape, "equivariance: \(warps.count) warps for \(mu.shape)")
    // Expected = (μ − t) · M⁻ᵀ per image: build M⁻ᵀ [B, 2, 2] and t [B, 1, 2] as constants.
    var inv = [Float](repeating: 0, count: b * 4)
    var shift = [Float](repeating: 0, count: b * 2)
    for (i, w) in warps.enumerated() {
      let m = w.inverseMatrix
      // Row vector q (1×2) times M⁻ᵀ gives (M⁻¹ qᵀ)ᵀ.
      inv[4 * i] = m[0]
      inv[4 * i + 1] = m[2]
      inv[4 * i + 2] = m[1]
      inv[4 * i + 3] = m[3]
      shift[2 * i] = w.tx
      shift[2 * i + 1] = w.ty
    }
    let expected = (mu - Tensor(shift, shape: [b, 1, 2])).matmul(Tensor(inv, shape: [b, 2, 2]))
    _ = k
    return Tensor.mseLoss(warpedMu, expected)
  }
}
