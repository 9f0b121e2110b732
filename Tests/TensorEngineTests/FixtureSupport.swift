// Reading the PyTorch fixtures (Experiments/tools/make_engine_fixtures.py). Comparisons go
// through TestSupport's `assertClose` (NaN or ±Inf on either side fails, naming the index).
//
// Tolerance: `.scaled(t)` is max |ours − reference| / max |reference| over a tensor: the
// error measured against the tensor's own scale, so entries near zero (where elementwise
// relative error is meaningless) neither hide nor fake a failure. References are float64.
import Foundation
import Storage
import TestSupport
import XCTest

@testable import TensorEngine

struct FixtureFile {
  let file: HDF5File
  let name: String
  /// The cases (top-level groups), sorted. A committed fixture that is missing, unreadable or
  /// has no cases is a failure (thrown), never an empty loop.
  let cases: [String]

  init(_ family: String) throws {
    let path = try committedFixture(
      "\(family).h5", in: Bundle.module, generator: "python3 Experiments/tools/make_engine_fixtures.py")
    file = try HDF5File(path: path)
    name = family
    cases = try file.members(of: "/").sorted()
    guard !cases.isEmpty else { throw FixtureError(description: "fixture \(path) holds no cases") }
  }

  func tensor(_ c: String, _ key: String, requiresGrad: Bool = false) throws -> Tensor {
    let t = try file.readTensor("\(c)/\(key)")
    t.requiresGrad = requiresGrad
    return t
  }

  func has(_ c: String, _ key: String) -> Bool { file.contains("\(c)/\(key)") }

  func int(_ c: String, _ attr: String) throws -> Int { Int(try file.readInt64Attribute(attr, on: c)) }
  func ints(_ c: String, _ attr: String) throws -> [Int] { try file.readInt64ArrayAttribute(attr, on: c).map(Int.init) }
  func double(_ c: String, _ attr: String) throws -> Double { try file.readDoubleAttribute(attr, on: c) }
}
