// Student's t distribution: the CDF through the regularized incomplete beta function and the
// quantile by bisection on it, for the 95% intervals of prediction curves (no table lookup, so
// any degrees of freedom work; checked against scipy.stats.t in the tests).
import Foundation

public enum StudentT {
  /// P(T ≤ t) for T ~ Student t with `degreesOfFreedom` ν > 0.
  public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
    precondition(nu > 0, "Student t needs ν > 0, got \(nu)")
    if t.isNaN { return .nan }
    if t == 0 { return 0.5 }
    let tail = upperTail(Swift.abs(t), nu)
    return t > 0 ? 1 - tail : tail
  }

  /// The t with P(T ≤ t) = p, p in (0, 1); ±∞ at p = 0 or 1.
  public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
    precondition(nu > 0, "Student t needs ν > 0, got \(nu)")
    precondition(p >= 0 && p <= 1, "probability \(p) outside [0, 1]")
    if p == 0.5 { return 0 }
    if p == 0 { return -.infinity }
    if p == 1 { return .infinity }
    // NOTE: solve on the smaller tail q so p close to 1 keeps its precision (1 − p is exact there).
    let q = Swift.min(p, 1 - p)
    var lo = 0.0
    var hi = 1.0
    while upperTail(hi, nu) > q {
      lo = hi
      hi *= 2
    }
    for _ in 0..<200 {
      let mid = 0.5 * (lo + hi)
      if mid <= lo || mid >= hi { break }
      if upperTail(mid, nu) > q { lo = mid } else { hi = mid }
    }
    let t = 0.5 * (lo + hi)
    return p > 0.5 ? t : -t
  }

  /// The two-sided critical value t_{(1+c)/2, ν}: 12.706 for c = 0.95 and ν = 1, 1.96 as ν → ∞.
  public static func criticalValue(confidence c: Double, degreesOfFreedom nu: Double) -> Double {
    precondition(c > 0 && c < 1, "confidence \(c) outside (0, 1)")
    return quantile(0.5 + 0.5 * c, degreesOfFreedom: nu)
  }

  /// P(T > t) for t ≥ 0: ½·I_x(ν/2, ½) with x = ν / (ν + t²).
  static func upperTail(_ t: Double, _ nu: Double) -> Double {
    if t.isInfinite { return 0 }
    let r = t * t / nu
    // x and 1 − x both formed from r, so neither loses digits when x is close to 1 (large ν).
    let logX = -Foundation.log1p(r)
    let logY = Foundation.log(r) - Foundation.log1p(r)
    return 0.5
      * regularizedBeta(
        x: 1 / (1 + r), oneMinusX: r / (1 + r), logX: logX, logOneMinusX: logY, a: nu / 2, b: 0.5)
  }

  /// I_x(a, b) by the continued fraction (modified Lentz), on whichever side converges fast:
  /// I_x(a, b) = 1 − I_{1−x}(b, a).
  static func regularizedBeta(
    x: Double, oneMinusX y: Double, logX: Double, logOneMinusX logY: Double, a: Double, b: Double
  ) -> Double {
    if x <= 0 { return 0 }
    if y <= 0 { return 1 }
    let front = Foundation.exp(a * logX + b * logY - logBeta(a, b))
    if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(x: x, a: a, b: b) / a }
    return 1 - front * betaContinuedFraction(x: y, a: b, b: a) / b
  }

  /// The continued fraction of I_x(a, b), without its front factor x^a (1−x)^b / (a B(a, b)).
  static func betaContinuedFraction(x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if Swift.abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    // Folds one term into the Lentz recurrence and returns the factor it changed h by.
    func apply(_ num: Double) -> Double {
      d = 1 + num * d
      if Swift.abs(d) < tiny { d = tiny }
      c = 1 + num / c
      if Swift.abs(c) < tiny { c = tiny }
      d = 1 / d
      h *= d * c
      return d * c
    }
    for m in 1...20_000 {
      let mm = Double(m)
      let m2 = 2 * mm
      // One even and one odd term of the fraction per m.
      let even = mm * (b - mm) * x / ((a + m2 - 1) * (a + m2))
      let odd = -(a + mm) * (a + b + mm) * x / ((a + m2) * (a + m2 + 1))
      _ = apply(even)
      if Swift.abs(apply(odd) - 1) < 1e-16 { break }
    }
    return h
  }

  /// log B(a, b). For b = ½ and large a, lgamma(a + ½) − lgamma(a) loses digits to
  /// cancellation (lgamma(5·10⁵) ≈ 6·10⁶), so that difference comes from Stirling's series.
  static func logBeta(_ a: Double, _ b: Double) -> Double {
    if b == 0.5 && a > 20 { return Foundation.lgamma(0.5) - logGammaHalfStep(a) }
    if a == 0.5 && b > 20 { return Foundation.lgamma(0.5) - logGammaHalfStep(b) }
    return Foundation.lgamma(a) + Foundation.lgamma(b) - Foundation.lgamma(a + b)
  }

  /// log Γ(a + ½) − log Γ(a) for a > 20, from the difference of Stirling's series.
  static func logGammaHalfStep(_ a: Double) -> Double {
    func series(_ z: Double) -> Double {
      let z2 = z * z
      return 1 / (12 * z) - 1 / (360 * z * z2) + 1 / (1260 * z * z2 * z2) - 1 / (1680 * z * z2 * z2 * z2)
    }
    // (a)·log(a + ½) − (a − ½)·log a − ½ = a·log1p(1/(2a)) + ½·log a − ½.
    return a * Foundation.log1p(0.5 / a) - 0.5 + 0.5 * Foundation.log(a) + series(a + 0.5) - series(a)
  }
}
