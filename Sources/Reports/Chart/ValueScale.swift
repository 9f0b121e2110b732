// ValueScale: how the sweep charts place a parameter's recorded values (text) along an axis —
// numbers on a 1-2-5 linear scale (NiceTicks), positive numbers spanning two decades or more
// (learning rates) on a log scale with a tick per decade, anything else (booleans, names, lists)
// on a discrete axis with one evenly spaced slot per distinct value.
import Foundation

public struct ValueScale: Sendable, Equatable {
  public enum Kind: Sendable, Equatable { case linear, log, categorical }

  public let kind: Kind
  /// The distinct values of a categorical scale, in axis order.
  public let categories: [String]
  /// Linear: the axis range and ticks. Log: ticks are whole powers of ten (`lower…upper` in log10).
  public let ticks: NiceTicks

  /// The scale for `values` (texts as recorded); `target` is about how many tick intervals fit.
  public init(values: [String], target: Int = 5) {
    let numbers = values.map { Double($0.trimmingCharacters(in: .whitespaces)) }
    if !values.isEmpty, numbers.allSatisfy({ $0?.isFinite == true }) {
      self.init(numbers: numbers.map { $0! }, target: target)
    } else {
      var seen = Set<String>()
      self.init(
        kind: .categorical,
        categories: values.filter { seen.insert($0).inserted }.sorted {
          $0.localizedStandardCompare($1) == .orderedAscending
        },
        ticks: NiceTicks(lo: 0, hi: 1, target: 1))
    }
  }

  init(kind: Kind, categories: [String], ticks: NiceTicks) {
    (self.kind, self.categories, self.ticks) = (kind, categories, ticks)
  }

  /// A numeric scale: log when every value is positive and they span ≥ 2 decades (unless
  /// `linear`), else linear.
  public init(numbers: [Double], target: Int = 5, linear: Bool = false) {
    let finite = numbers.filter(\.isFinite)
    let lo = finite.min() ?? 0
    let hi = finite.max() ?? 1
    if !linear, lo > 0, hi / lo >= 100 {
      self.init(
        kind: .log, categories: [],
        ticks: NiceTicks(
          lo: Foundation.log10(lo), hi: Foundation.log10(hi), target: target, integerSteps: true))
    } else {
      self.init(kind: .linear, categories: [], ticks: NiceTicks(lo: lo, hi: hi, target: target))
    }
  }

  /// Where `text` sits along the axis, 0 at its start and 1 at its end; nil for a value the
  /// scale cannot place (not a number on a numeric scale, not one of the categories).
  public func fraction(_ text: String) -> Double? {
    switch kind {
    case .categorical:
      return categories.firstIndex(of: text).map { (Double($0) + 0.5) / Double(categories.count) }
    case .linear, .log:
      return Double(text.trimmingCharacters(in: .whitespaces)).flatMap(fraction(number:))
    }
  }

  /// Where number `v` sits (nil when not finite, or not positive on a log scale).
  public func fraction(number v: Double) -> Double? {
    guard v.isFinite else { return nil }
    switch kind {
    case .categorical: return fraction(Markup.value(v))
    case .linear: return (v - ticks.lower) / (ticks.upper - ticks.lower)
    case .log: return v > 0 ? (Foundation.log10(v) - ticks.lower) / (ticks.upper - ticks.lower) : nil
    }
  }

  /// Tick positions (fractions) and their labels.
  public var tickMarks: [(fraction: Double, label: String)] {
    switch kind {
    case .categorical:
      return categories.enumerated().map {
        ((Double($0.offset) + 0.5) / Double(categories.count), $0.element)
      }
    case .linear:
      return ticks.values.map { (fraction(number: $0)!, ticks.label($0)) }
    case .log:
      return ticks.values.map { e in
        ((e - ticks.lower) / (ticks.upper - ticks.lower), String(format: "%g", Foundation.pow(10, e)))
      }
    }
  }

  /// What the axis title adds: " (log scale)" for a log axis.
  public var titleSuffix: String { kind == .log ? " (log scale)" : "" }
}
