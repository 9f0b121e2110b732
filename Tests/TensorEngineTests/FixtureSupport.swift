// Reading the PyTorch fixtures (Experiments/tools/make_engine_fixtures.py) and comparing.
//
// Tolerance: "relative" here is max |ours − reference| / max |reference| over a tensor: the
// error measured against the tensor's own scale, so entries near zero (where elementwise
// relative error is meaningless) neither hide nor fake a failure. References are float64.
import Foundation
import Storage
import XCTest

@testable import TensorEngine

struct FixtureFile {
  let file: HDF5File
  let name: String

  init(_ family: String) throws {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(family)", withExtension: "h5") else {
      throw XCTSkip("fixture \(family).h5 missing: run python3 Experiments/tools/make_engine_fixtures.py")
    }
    file = try HDF5File(path: url.path)
    name = family
  }

  var cases: [String] { (try? file.members(of: "/").sorted()) ?? [] }

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

/// max |a − ref| / max |ref| (or the absolute error when ref is all zeros); +∞ when either holds
/// a NaN or an infinity, so a non-finite value always fails a tolerance.
func scaledError(_ a: Tensor, _ ref: Tensor) -> Double {
  var maxDiff = 0.0
  var maxRef = 0.0
  for i in 0..<ref.count {
    guard a.data[i].isFinite, ref.data[i].isFinite else { return .infinity }
    maxDiff = Swift.max(maxDiff, Swift.abs(Double(a.data[i]) - Double(ref.data[i])))
    maxRef = Swift.max(maxRef, Swift.abs(Double(ref.data[i])))
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff
}

func assertClose(
  _ a: Tensor?, _ ref: Tensor, tol: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
  guard let a else {
    XCTFail("\(what): no value", file: file, line: line)
    return
  }
  XCTAssertEqual(a.shape.reduce(1, *), ref.shape.reduce(1, *), "\(what): shape \(a.shape) vs \(ref.shape)", file: file, line: line)
  guard a.count == ref.count else { return }
  let e = scaledError(a, ref)
  XCTAssertLessThanOrEqual(e, tol, "\(what): scaled error \(e)", file: file, line: line)
}
