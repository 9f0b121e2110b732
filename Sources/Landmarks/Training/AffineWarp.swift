// AffineWarp: a known random similarity warp of images [B, 3, S, S] (bilinear, border
// replicate, no autograd: it only transforms inputs), for the equivariance term. Sampling
// maps each output position l (in [-1, 1] coordinates, pixel j at -1 + 2j/S) to the source
// position M·l + t.
import Foundation
import TensorEngine

public struct AffineWarp: Equatable, Sendable {
  /// M row-major [m00, m01, m10, m11] and t.
  public var matrix: [Float]
  public var tx: Float
  public var ty: Float

  /// Rotation θ, scale s and translation: M = s·R(θ).
  public init(rotation: Float, scale: Float, tx: Float, ty: Float) {
    let c = Float(Foundation.cos(Double(rotation))) * scale
    let s = Float(Foundation.sin(Double(rotation))) * scale
    matrix = [c, -s, s, c]
    self.tx = tx
    self.ty = ty
  }

  /// A draw from `range`.
  public static func random(_ range: AffineWarpRange, rng: inout SeededRNG) -> AffineWarp {
    AffineWarp(
      rotation: rng.uniform(-range.maxRotation, range.maxRotation),
      scale: 1 + rng.uniform(-range.maxScaleOffset, range.maxScaleOffset),
      tx: rng.uniform(-range.maxTranslation, range.maxTranslation),
      ty: rng.uniform(-range.maxTranslation, range.maxTranslation))
  }

  /// M⁻¹ row-major.
  public var inverseMatrix: [Float] {
    let det = matrix[0] * matrix[3] - matrix[1] * matrix[2]
    return [matrix[3] / det, -matrix[1] / det, -matrix[2] / det, matrix[0] / det]
  }

  /// Warps image `index` of `src` [B, C, S, S] into `dst` (same layout).
  func apply(src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, channels: Int, size s: Int) {
    let half = Float(s) / 2
    let plane = s * s
    for i in 0..<s {
      for j in 0..<s {
        let u = -1 + 2 * Float(j) / Float(s)
        let v = -1 + 2 * Float(i) / Float(s)
        let su = matrix[0] * u + matrix[1] * v + tx
        let sv = matrix[2] * u + matrix[3] * v + ty
        let fx = Swift.min(Swift.max((su + 1) * half, 0), Float(s - 1))
        let fy = Swift.min(Swift.max((sv + 1) * half, 0), Float(s - 1))
        let x0 = Int(fx), y0 = Int(fy)
        let x1 = Swift.min(x0 + 1, s - 1), y1 = Swift.min(y0 + 1, s - 1)
        let ax = fx - Float(x0), ay = fy - Float(y0)
        for c in 0..<channels {
          let p = src + c * plane
          let top = p[y0 * s + x0] * (1 - ax) + p[y0 * s + x1] * ax
          let bottom = p[y1 * s + x0] * (1 - ax) + p[y1 * s + x1] * ax
          dst[c * plane + i * s + j] = top * (1 - ay) + bottom * ay
        }
      }
    }
  }

  /// Warps every image of `images` [B, C, S, S] by its own warp; returns a new tensor (no graph).
  public static func warp(_ images: Tensor, by warps: [AffineWarp]) -> Tensor {
    let (b, c, s) = (images.shape[0], images.shape[1], images.shape[2])
    precondition(images.rank == 4 && images.shape[3] == s && warps.count == b, "warp: \(images.shape), \(warps.count) warps")
    let out = Tensor(zeros: images.shape)
    let per = c * s * s
    for n in 0..<b { warps[n].apply(src: images.data + n * per, dst: out.data + n * per, channels: c, size: s) }
    return out
  }
}
