// Interpolation between two frames' landmarks (report eq. 7 and the alternatives it names),
// per landmark, in four parameterizations:
//   cholesky     linear in (μ, L), Σ = L·Lᵀ (the report's choice; extrapolates)
//   covariance   linear in (μ, Σ) (a convex combination of SPD matrices; no extrapolation,
//                since past α = 1 it can turn indefinite)
//   axes         linear in μ, in the major axis' angle (shortest turn, modulo π) and in both
//                axis lengths √λ (extrapolates; lengths floored)
//   wasserstein  the Wasserstein-2 geodesic: μ linear, Σ(α) = M Σa M with
//                M = (1−α) I + α T and T = Σa^-½ (Σa^½ Σb Σa^½)^½ Σa^-½ (closed form for 2×2;
//                extrapolates: M Σa M stays positive semi-definite, the floor makes it definite)
// Endpoints: α = 0 and α = 1 return the endpoint states themselves, bit for bit.
import Foundation
import TensorEngine

public enum InterpolationScheme: String, CaseIterable, Sendable {
  case cholesky, covariance, axes, wasserstein

  /// Whether α outside [0, 1] is defined.
  public var extrapolates: Bool { self != .covariance }

  /// The Gaussian at `alpha` between `a` (α = 0) and `b` (α = 1). `floor` bounds axis lengths
  /// of extrapolated `axes` results from below (the other schemes need none).
  public func interpolate(_ a: Gaussian2D, _ b: Gaussian2D, alpha t: Double, floor: Double) -> Gaussian2D {
    let mx = (1 - t) * a.mx + t * b.mx, my = (1 - t) * a.my + t * b.my
    let cov: Sym2
    switch self {
    case .cholesky:
      let la = Cholesky2(a.cov), lb = Cholesky2(b.cov)
      let l = Cholesky2(
        l11: (1 - t) * la.l11 + t * lb.l11, l21: (1 - t) * la.l21 + t * lb.l21, l22: (1 - t) * la.l22 + t * lb.l22)
      // No floor here: between two valid factors the diagonal stays positive.
      cov = Sym2(a: l.l11 * l.l11, b: l.l11 * l.l21, d: l.l21 * l.l21 + l.l22 * l.l22)
    case .covariance:
      cov = (1 - t) * a.cov + t * b.cov
    case .axes:
      cov = Self.axesInterpolation(a.cov, b.cov, t, floor: floor)
    case .wasserstein:
      cov = Self.wassersteinGeodesic(a.cov, b.cov, t)
    }
    return Gaussian2D(mx: mx, my: my, cov: cov)
  }

  /// Major-axis angle θ ∈ (−π/2, π/2] and axis lengths (√λ1 ≥ √λ2) of a covariance.
  static func axes(_ s: Sym2) -> (theta: Double, major: Double, minor: Double) {
    let (l1, l2) = s.eigenvalues
    return (0.5 * atan2(2 * s.b, s.a - s.d), Swift.max(l1, 0).squareRoot(), Swift.max(l2, 0).squareRoot())
  }

  static func axesInterpolation(_ a: Sym2, _ b: Sym2, _ t: Double, floor: Double) -> Sym2 {
    let (ta, pa, qa) = axes(a), (tb, pb, qb) = axes(b)
    // The major axis is a line: turn by the shorter way, modulo π.
    var dt = (tb - ta).truncatingRemainder(dividingBy: .pi)
    if dt > .pi / 2 { dt -= .pi } else if dt <= -.pi / 2 { dt += .pi }
    let theta = ta + t * dt
    let p = Swift.max((1 - t) * pa + t * pb, floor), q = Swift.max((1 - t) * qa + t * qb, floor)
    let (c, s) = (cos(theta), sin(theta))
    let (p2, q2) = (p * p, q * q)
    return Sym2(a: p2 * c * c + q2 * s * s, b: (p2 - q2) * c * s, d: p2 * s * s + q2 * c * c)
  }

  /// The optimal-transport map's matrix T from N(0, a) to N(0, b).
  static func transportMatrix(_ a: Sym2, _ b: Sym2) -> Sym2 {
    let r = a.squareRoot
    let ri = r.inverse
    return ri.sandwich(r.sandwich(b).squareRoot)
  }

  static func wassersteinGeodesic(_ a: Sym2, _ b: Sym2, _ t: Double) -> Sym2 {
    let m = (1 - t) * Sym2.identity + t * transportMatrix(a, b)
    return m.sandwich(a)
  }

  /// States [T, K·5] between state rows `a` and `b` ([K·5] each) at each α. The endpoints'
  /// covariances are read with L's diagonal floored at `floor`.
  /// - Throws: `DynamicsError.badValue` for α outside [0, 1] with a scheme that does not extrapolate.
  public func states(from a: Tensor, to b: Tensor, alphas: [Double], floor: Double) throws -> Tensor {
    precondition(a.shape == b.shape && a.rank == 1 && a.count % PoseState.width == 0, "interpolate: \(a.shape) vs \(b.shape)")
    if !extrapolates, let bad = alphas.first(where: { $0 < 0 || $0 > 1 }) {
      throw DynamicsError.badValue(
        key: "alpha", value: "\(bad)", expected: "within [0, 1] for the \(rawValue) scheme (it does not extrapolate)")
    }
    let d = a.count, k = d / PoseState.width
    let out = Tensor(zeros: [alphas.count, d])
    for (i, t) in alphas.enumerated() {
      let row = out.data + i * d
      if t == 0 || t == 1 {
        row.update(from: (t == 0 ? a : b).data, count: d)
        continue
      }
      if self == .cholesky {
        // Eq. 7 on the state itself: linear in every number.
        for j in 0..<d { row[j] = Float((1 - t) * Double(a.data[j]) + t * Double(b.data[j])) }
        continue
      }
      for j in 0..<k {
        let g = interpolate(
          PoseState.gaussian(a, row: 0, landmark: j, floor: floor), PoseState.gaussian(b, row: 0, landmark: j, floor: floor),
          alpha: t, floor: floor)
        let l = Cholesky2(g.cov)
        let p = row + j * PoseState.width
        p[0] = Float(g.mx)
        p[1] = Float(g.my)
        p[2] = Float(l.l11)
        p[3] = Float(l.l21)
        p[4] = Float(l.l22)
      }
    }
    return out
  }
}

/// The pixel baseline: (1 − α)·first + α·last, frames [N, 3, S, S] in any range.
public enum PixelCrossfade {
  public static func frames(from a: Tensor, to b: Tensor, alphas: [Double]) -> Tensor {
    precondition(a.shape == b.shape, "crossfade: \(a.shape) vs \(b.shape)")
    let n = a.count
    let out = Tensor(zeros: [alphas.count] + a.shape)
    for (i, t) in alphas.enumerated() {
      let o = out.data + i * n
      let (wa, wb) = (Float(1 - t), Float(t))
      for j in 0..<n { o[j] = wa * a.data[j] + wb * b.data[j] }
    }
    return out
  }
}
