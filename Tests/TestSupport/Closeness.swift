// Closeness: the one comparison every test target uses for numbers against a reference.
//
// A check counts only if it can fail (STYLE 14): NaN or ±Inf on either side is a failure at
// once, named by its index and both values, before any error is measured (`max(m, .nan)` is
// `m`, and `x > tol` is false for NaN, so folding or comparing would let a NaN through).
// Tolerances are stated per check:
//   .absolute(t)             |a − e| ≤ t at every index
//   .relative(t)             |a − e| ≤ t·|e| at every index
//   .scaled(t, floor: f)     max |a − e| ≤ t·max(f, max |e|): the error on the reference's own
//                            scale (entries near zero neither hide nor fake a failure)
//   .ofScale(t, s, "what")   |a − e| ≤ t·s at every index, s a scale named by the caller
//                            (e.g. a covariance's smallest eigenvalue)
import Foundation
import TensorEngine
import XCTest

public enum Tolerance: CustomStringConvertible, Sendable {
  case absolute(Double)
  case relative(Double)
  case scaled(Double, floor: Double = 0)
  case ofScale(Double, scale: Double, what: String)

  public var description: String {
    switch self {
    case .absolute(let t): return "absolute \(t)"
    case .relative(let t): return "relative \(t)"
    case .scaled(let t, let f): return f > 0 ? "\(t) of max(\(f), max|reference|)" : "\(t) of max|reference|"
    case .ofScale(let t, let s, let what): return "\(t) of \(what) (\(s))"
    }
  }
}

/// The outcome of one comparison: how many values were compared, the worst error (in the
/// tolerance's units: the quantity compared with its bound) and, on failure, why.
public struct Closeness: CustomStringConvertible, Sendable {
  public var count: Int
  /// Worst error measured in the tolerance's units (NaN when a value was not finite).
  public var worst: Double
  /// Index of the worst element (or of the first non-finite one).
  public var worstIndex: Int
  /// nil when every element is within the tolerance.
  public var failure: String?
  public var passed: Bool { failure == nil }
  public var description: String { failure ?? "\(count) values, worst error \(worst) at index \(worstIndex)" }
}

/// Compares `actual` with `expected` element by element (see the file header for the tolerances).
public func closeness(_ actual: [Double], _ expected: [Double], _ tolerance: Tolerance) -> Closeness {
  guard actual.count == expected.count else {
    return Closeness(
      count: 0, worst: .nan, worstIndex: -1,
      failure: "\(actual.count) values against \(expected.count) reference values")
  }
  for i in 0..<actual.count where !actual[i].isFinite || !expected[i].isFinite {
    let side = !expected[i].isFinite ? (actual[i].isFinite ? "the reference" : "both") : "ours"
    return Closeness(
      count: actual.count, worst: .nan, worstIndex: i,
      failure: "index \(i): ours \(actual[i]), reference \(expected[i]) (\(side) not finite)")
  }
  var scale = 1.0
  switch tolerance {
  case .scaled(_, let floor):
    var m = floor
    for e in expected { m = Swift.max(m, Swift.abs(e)) }
    scale = m > 0 ? m : 1
  case .ofScale(_, let s, _):
    scale = s
  default: break
  }
  let bound: Double
  switch tolerance {
  case .absolute(let t), .scaled(let t, _), .ofScale(let t, _, _): bound = t
  case .relative(let t): bound = t
  }
  guard scale.isFinite && scale > 0 else {
    return Closeness(
      count: actual.count, worst: .nan, worstIndex: -1,
      failure: "the scale \(scale) of \(tolerance) is not a positive number")
  }
  var worst = 0.0
  var at = 0
  for i in 0..<actual.count {
    let diff = Swift.abs(actual[i] - expected[i])
    let err: Double
    switch tolerance {
    case .absolute: err = diff
    case .relative: err = expected[i] == 0 ? (diff == 0 ? 0 : .infinity) : diff / Swift.abs(expected[i])
    case .scaled, .ofScale: err = diff / scale
    }
    if i == 0 || err > worst {
      worst = err
      at = i
    }
  }
  var c = Closeness(count: actual.count, worst: worst, worstIndex: at, failure: nil)
  if !(worst <= bound) {
    c.failure =
      "index \(at): ours \(actual[at]), reference \(expected[at]): error \(worst) > \(tolerance)"
      + " (\(actual.count) values compared)"
  }
  return c
}

public func closeness(_ actual: [Float], _ expected: [Float], _ tolerance: Tolerance) -> Closeness {
  closeness(actual.map(Double.init), expected.map(Double.init), tolerance)
}

public func closeness(_ actual: [Float], _ expected: [Double], _ tolerance: Tolerance) -> Closeness {
  closeness(actual.map(Double.init), expected, tolerance)
}

/// Element counts must agree (a fixture may store [1] where we hold []), values compared flat.
public func closeness(_ actual: Tensor, _ expected: Tensor, _ tolerance: Tolerance) -> Closeness {
  guard actual.count == expected.count else {
    return Closeness(
      count: 0, worst: .nan, worstIndex: -1,
      failure: "shape \(actual.shape) against reference shape \(expected.shape)")
  }
  return closeness(actual.values, expected.values, tolerance)
}

/// Fails the test (naming `label`, the index and both values) unless every element is within
/// `tolerance`; returns the comparison so callers can print the worst error.
@discardableResult
public func assertClose(
  _ actual: [Double], _ expected: [Double], _ tolerance: Tolerance, _ label: String,
  file: StaticString = #filePath, line: UInt = #line
) -> Closeness {
  report(closeness(actual, expected, tolerance), label, file: file, line: line)
}

@discardableResult
public func assertClose(
  _ actual: [Float], _ expected: [Float], _ tolerance: Tolerance, _ label: String,
  file: StaticString = #filePath, line: UInt = #line
) -> Closeness {
  report(closeness(actual, expected, tolerance), label, file: file, line: line)
}

@discardableResult
public func assertClose(
  _ actual: [Float], _ expected: [Double], _ tolerance: Tolerance, _ label: String,
  file: StaticString = #filePath, line: UInt = #line
) -> Closeness {
  report(closeness(actual, expected, tolerance), label, file: file, line: line)
}

/// A missing tensor (a gradient never computed) is a failure too.
@discardableResult
public func assertClose(
  _ actual: Tensor?, _ expected: Tensor, _ tolerance: Tolerance, _ label: String,
  file: StaticString = #filePath, line: UInt = #line
) -> Closeness {
  guard let actual else {
    let c = Closeness(count: 0, worst: .nan, worstIndex: -1, failure: "no value (nil)")
    return report(c, label, file: file, line: line)
  }
  return report(closeness(actual, expected, tolerance), label, file: file, line: line)
}

/// One scalar against its reference.
@discardableResult
public func assertClose(
  _ actual: Double, _ expected: Double, _ tolerance: Tolerance, _ label: String,
  file: StaticString = #filePath, line: UInt = #line
) -> Closeness {
  report(closeness([actual], [expected], tolerance), label, file: file, line: line)
}

/// Fails unless every value is finite, naming the first that is not.
public func assertAllFinite<C: Collection>(
  _ values: C, _ label: String, file: StaticString = #filePath, line: UInt = #line
) where C.Element: BinaryFloatingPoint {
  for (i, v) in values.enumerated() where !v.isFinite {
    XCTFail("\(label): index \(i) is \(v)", file: file, line: line)
    return
  }
}

/// max |a − e| / max(floor, max |e|) for printing; NaN when any value on either side is not
/// finite, so a printed error never hides one (assert with `assertClose`, not with this).
public func scaledError(_ actual: Tensor, _ expected: Tensor, floor: Double = 0) -> Double {
  let c = closeness(actual, expected, .scaled(.infinity, floor: floor))
  return c.worst
}

@discardableResult
private func report(_ c: Closeness, _ label: String, file: StaticString, line: UInt) -> Closeness {
  if let failure = c.failure { XCTFail("\(label): \(failure)", file: file, line: line) }
  return c
}
