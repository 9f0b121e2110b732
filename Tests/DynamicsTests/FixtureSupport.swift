// Reading the dynamics fixtures (Experiments/tools/make_dynamics_fixtures.py). Comparisons go
// through TestSupport's `assertClose` (NaN or ±Inf on either side fails, naming the index);
// `.scaled(t)` is max |ours − reference| / max |reference| over a tensor.
import Foundation
import Storage
import TensorEngine
import TestSupport
import XCTest

struct DynamicsFixture {
  let file: HDF5File
  let name: String
  /// The cases (top-level groups), sorted; a fixture without any is a failure (thrown).
  let cases: [String]

  init(_ family: String) throws {
    let path = try committedFixture(
      "\(family).h5", in: Bundle.module, generator: "python3 Experiments/tools/make_dynamics_fixtures.py")
    file = try HDF5File(path: path)
    name = family
    cases = try file.members(of: "/").sorted()
    guard !cases.isEmpty else { throw FixtureError(description: "fixture \(path) holds no cases") }
  }

  func tensor(_ c: String, _ key: String) throws -> Tensor { try file.readTensor("\(c)/\(key)") }
  /// A dataset as float64 (the Gaussian references are stored in float64; float32 rounding of
  /// a near-degenerate covariance would move its small eigenvalue by up to 1 %).
  func doubles(_ c: String, _ key: String) throws -> [Double] { try file.readDoubles("\(c)/\(key)").values }
  func has(_ c: String, _ key: String) -> Bool { file.contains("\(c)/\(key)") }
  func int(_ c: String, _ attr: String) throws -> Int { Int(try file.readInt64Attribute(attr, on: c)) }
  func double(_ c: String, _ attr: String) throws -> Double { try file.readDoubleAttribute(attr, on: c) }
}
