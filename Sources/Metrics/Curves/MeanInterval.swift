// MeanInterval: the mean of a sample with its Student-t confidence interval, the statistic each
// point of a prediction curve carries.
import Foundation

/// Mean, sample standard deviation and the interval mean ± t_{(1+c)/2, n−1}·sd/√n.
public struct MeanInterval: Sendable, Equatable {
  /// Values used (NaN values are left out).
  public let n: Int
  /// NaN when n = 0; ±∞ when an infinite value was used (e.g. PSNR of identical frames).
  public let mean: Double
  /// Standard deviation with n − 1 in the denominator; 0 when n = 1, NaN when n = 0.
  public let sd: Double
  /// Interval bounds: equal to the mean when n = 1 (one value gives no spread to speak of);
  /// NaN when n = 0 or the spread is not finite.
  public let low: Double
  public let high: Double

  /// - Parameter confidence: coverage of the interval, 0.95 for the curves of DESIGN §3.
  public init(values: [Double], confidence: Double = 0.95) {
    self.init(values: values, confidence: confidence, critical: nil)
  }

  /// `critical` lets a caller reuse t_{(1+c)/2, n−1} computed for the same n.
  init(values: [Double], confidence: Double, critical: ((Int) -> Double)?) {
    let used = values.filter { !$0.isNaN }
    n = used.count
    guard n > 0 else {
      mean = .nan
      sd = .nan
      low = .nan
      high = .nan
      return
    }
    let m = used.reduce(0, +) / Double(n)
    mean = m
    guard n > 1 else {
      sd = 0
      low = m
      high = m
      return
    }
    let ss = used.reduce(0) { $0 + ($1 - m) * ($1 - m) }
    sd = (ss / Double(n - 1)).squareRoot()
    guard sd.isFinite else {
      low = .nan
      high = .nan
      return
    }
    let t = critical?(n) ?? StudentT.criticalValue(confidence: confidence, degreesOfFreedom: Double(n - 1))
    let half = t * sd / Double(n).squareRoot()
    low = m - half
    high = m + half
  }
}
