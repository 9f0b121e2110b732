// NiceTicks: axis tick values on 1-2-5 steps (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …) covering a data
// range, and labels with as many decimals as the step needs.
import Foundation

public struct NiceTicks: Sendable, Equatable {
  /// The axis range, widened to whole steps around the data.
  public let lower: Double
  public let upper: Double
  public let step: Double
  /// lower, lower + step, …, upper.
  public let values: [Double]

  /// Ticks for [lo, hi] with about `target` intervals; `integerSteps` keeps the step ≥ 1
  /// (frame indices). A degenerate or empty range is widened first.
  public init(lo: Double, hi: Double, target: Int, integerSteps: Bool = false) {
    var a = Swift.min(lo, hi)
    var b = Swift.max(lo, hi)
    if !a.isFinite || !b.isFinite { (a, b) = (0, 1) }
    if a == b {
      let pad = integerSteps ? 1 : Swift.max(Swift.abs(a) * 0.1, 0.5)
      (a, b) = (a - pad, b + pad)
    }
    var s = NiceTicks.niceStep((b - a) / Double(Swift.max(target, 1)))
    if integerSteps { s = Swift.max(s, 1) }
    // Snap to the step grid, tolerating rounding noise so 0.30000000000000004 is not a new step.
    let first = (a / s + 1e-9).rounded(.down)
    let last = (b / s - 1e-9).rounded(.up)
    step = s
    lower = first * s
    upper = last * s
    values = (0...Int(last - first)).map { (first + Double($0)) * s }
  }

  /// The smallest 1, 2 or 5 × 10^k that is ≥ `raw`.
  static func niceStep(_ raw: Double) -> Double {
    guard raw > 0, raw.isFinite else { return 1 }
    let mag = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
    let f = raw / mag
    let m: Double = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10
    return m * mag
  }

  /// Decimals the step needs: 0 for 1, 2, 5, 10…; 1 for 0.1, 0.2, 0.5; 2 for 0.05; ….
  public var decimals: Int { Swift.max(0, Int((-Foundation.log10(step) - 1e-9).rounded(.up))) }

  /// The label of `v` ("0.25", "10", never "-0").
  public func label(_ v: Double) -> String {
    let s = String(format: "%.\(decimals)f", v)
    return Double(s) == 0 ? String(format: "%.\(decimals)f", 0.0) : s
  }
}
