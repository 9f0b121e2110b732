// Reading the dynamics fixtures (Experiments/tools/make_dynamics_fixtures.py) and comparing
// with the scaled error: max |ours − reference| / max |reference| over a tensor.
import Foundation
import Storage
import TensorEngine
import XCTest

struct DynamicsFixture {
  let file: HDF5File
  let name: String

  init(_ family: String) throws {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(family)", withExtension: "h5") else {
      throw XCTSkip("fixture \(family).h5 missing: run python3 Experiments/tools/make_dynamics_fixtures.py")
    }
    file = try HDF5File(path: url.path)
    name = family
  }

  var cases: [String] { (try? file.members(of: "/").sorted()) ?? [] }
  func tensor(_ c: String, _ key: String) throws -> Tensor { try file.readTensor("\(c)/\(key)") }
  func has(_ c: String, _ key: String) -> Bool { file.contains("\(c)/\(key)") }
  func int(_ c: String, _ attr: String) throws -> Int { Int(try file.readInt64Attribute(attr, on: c)) }
  func double(_ c: String, _ attr: String) throws -> Double { try file.readDoubleAttribute(attr, on: c) }
}

func scaledError(_ a: Tensor, _ ref: Tensor) -> Double {
  var maxDiff = 0.0, maxRef = 0.0
  for i in 0..<ref.count {
    maxDiff = Swift.max(maxDiff, Swift.abs(Double(a.data[i]) - Double(ref.data[i])))
    maxRef = Swift.max(maxRef, Swift.abs(Double(ref.data[i])))
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff
}

func assertClose(_ a: Tensor?, _ ref: Tensor, tol: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
  guard let a else { return XCTFail("\(what): no value", file: file, line: line) }
  XCTAssertEqual(a.count, ref.count, "\(what): shape \(a.shape) vs \(ref.shape)", file: file, line: line)
  guard a.count == ref.count else { return }
  let e = scaledError(a, ref)
  XCTAssertLessThanOrEqual(e, tol, "\(what): scaled error \(e)", file: file, line: line)
}
