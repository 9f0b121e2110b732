// Gaussian2D: one landmark's 2-D Gaussian (mean and symmetric covariance) in float64, with the
// small closed forms the interpolation schemes need (2×2 square roots, eigen-decomposition,
// Cholesky factor). Landmark coordinates are the model's: x, y in [-1, 1].
import Foundation

/// A symmetric 2×2 matrix [[a, b], [b, d]].
public struct Sym2: Equatable, Sendable {
  public var a: Double, b: Double, d: Double

  public init(a: Double, b: Double, d: Double) {
    self.a = a
    self.b = b
    self.d = d
  }

  public static let identity = Sym2(a: 1, b: 0, d: 1)

  public var trace: Double { a + d }
  public var determinant: Double { a * d - b * b }

  /// Positive definite: a > 0 and det > 0 (the leading minors).
  public var isPositiveDefinite: Bool { a > 0 && determinant > 0 && a.isFinite && d.isFinite && b.isFinite }

  /// Eigenvalues, larger first.
  public var eigenvalues: (Double, Double) {
    let m = (a + d) / 2
    let r = ((a - d) * (a - d) / 4 + b * b).squareRoot()
    return (m + r, m - r)
  }

  /// The principal square root of a positive semi-definite matrix, in closed form:
  /// √M = (M + √det·I) / √(tr M + 2√det).
  public var squareRoot: Sym2 {
    let s = Swift.max(determinant, 0).squareRoot()
    let t = (trace + 2 * s).squareRoot()
    return Sym2(a: (a + s) / t, b: b / t, d: (d + s) / t)
  }

  public var inverse: Sym2 {
    let det = determinant
    return Sym2(a: d / det, b: -b / det, d: a / det)
  }

  public static func + (l: Sym2, r: Sym2) -> Sym2 { Sym2(a: l.a + r.a, b: l.b + r.b, d: l.d + r.d) }
  public static func * (s: Double, m: Sym2) -> Sym2 { Sym2(a: s * m.a, b: s * m.b, d: s * m.d) }

  /// P·Q·P for symmetric P and Q (symmetric again).
  public func sandwich(_ q: Sym2) -> Sym2 {
    // P·Q first (not symmetric), then (P·Q)·P, keeping the lower triangle and symmetrising.
    let (p, m) = (self, q)
    let r00 = p.a * m.a + p.b * m.b, r01 = p.a * m.b + p.b * m.d
    let r10 = p.b * m.a + p.d * m.b, r11 = p.b * m.b + p.d * m.d
    let s00 = r00 * p.a + r01 * p.b
    let s01 = r00 * p.b + r01 * p.d
    let s10 = r10 * p.a + r11 * p.b
    let s11 = r10 * p.b + r11 * p.d
    return Sym2(a: s00, b: (s01 + s10) / 2, d: s11)
  }
}

/// A 2-D Gaussian: mean (x, y) and covariance.
public struct Gaussian2D: Equatable, Sendable {
  public var mx: Double, my: Double
  public var cov: Sym2

  public init(mx: Double, my: Double, cov: Sym2) {
    self.mx = mx
    self.my = my
    self.cov = cov
  }
}

/// Lower-triangular Cholesky factor L = [[l11, 0], [l21, l22]] with Σ = L·Lᵀ.
public struct Cholesky2: Equatable, Sendable {
  public var l11: Double, l21: Double, l22: Double

  public init(l11: Double, l21: Double, l22: Double) {
    self.l11 = l11
    self.l21 = l21
    self.l22 = l22
  }

  /// The factor of a covariance. Rounding on a nearly singular Σ can leave d − l21² slightly
  /// negative: it is clamped at 0 (the decoding floor then keeps L·Lᵀ definite).
  public init(_ s: Sym2) {
    let l11 = Swift.max(s.a, 0).squareRoot()
    let l21 = l11 > 0 ? s.b / l11 : 0
    self.init(l11: l11, l21: l21, l22: Swift.max(s.d - l21 * l21, 0).squareRoot())
  }

  /// L·Lᵀ with each diagonal entry of L raised to at least `floor` (> 0), so the result is
  /// positive definite whatever the factor: det = (l11·l22)² ≥ floor⁴.
  ///
  /// NOTE: in float32, where Σ is used, det = a·d − b² is lost to rounding (≈ 1e-7·l21²·l11²)
  /// unless l22 ≥ ~5e-4·|l21|; l22 is therefore also raised to at least 1e-3·|l21|. NaN
  /// entries stay NaN (validity checks count them).
  public func covariance(floor: Double) -> Sym2 {
    let p = l11.isNaN ? l11 : Swift.max(l11, floor)
    let q = l22.isNaN ? l22 : Swift.max(l22, floor, 1e-3 * Swift.abs(l21))
    return Sym2(a: p * p, b: p * l21, d: l21 * l21 + q * q)
  }
}
