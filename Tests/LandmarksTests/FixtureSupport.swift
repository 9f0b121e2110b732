// Reading the landmark fixtures (Experiments/tools/make_landmark_fixtures.py) and comparing.
//
// Tolerances: "scaled error" is max |ours − reference| / max(1, max |reference|) for forward
// values (an absolute bound for values of order one, relative for larger ones) and
// max |ours − reference| / max |reference| ("relative", per tensor) for gradients. References
// are float64 PyTorch results from the same float32 weights and inputs.
import Foundation
import Storage
import TensorEngine
import XCTest

@testable import Landmarks

struct LandmarkFixture {
  let file: HDF5File
  let name: String

  init(_ name: String) throws {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "h5") else {
      throw XCTSkip("fixture \(name).h5 missing: run python3 Experiments/tools/make_landmark_fixtures.py")
    }
    file = try HDF5File(path: url.path)
    self.name = name
  }

  static func path(_ name: String) -> String? {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "h5")?.path
  }

  func tensor(_ key: String) throws -> Tensor { try file.readTensor(key) }

  /// Every dataset under `group`, keyed by its path relative to the group.
  func group(_ group: String) throws -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for path in try file.datasetPaths(under: group) {
      let rel = path.split(separator: "/").last.map(String.init) ?? path
      out[rel] = try file.readTensor(path)
    }
    return out
  }

  var config: String { (try? file.readStringAttribute("config")) ?? "{}" }
}

/// max |a − ref| / max(floor, max |ref|).
func scaledError(_ a: Tensor, _ ref: Tensor, floor: Double) -> Double {
  precondition(a.count == ref.count, "scaledError: \(a.shape) vs \(ref.shape)")
  var maxDiff = 0.0
  var maxRef = 0.0
  for i in 0..<ref.count {
    maxDiff = Swift.max(maxDiff, Swift.abs(Double(a.data[i]) - Double(ref.data[i])))
    maxRef = Swift.max(maxRef, Swift.abs(Double(ref.data[i])))
  }
  let d = Swift.max(floor, maxRef)
  return d > 0 ? maxDiff / d : maxDiff
}

func assertClose(
  _ a: Tensor?, _ ref: Tensor, tol: Double, floor: Double, _ what: String, file: StaticString = #filePath,
  line: UInt = #line
) {
  guard let a else { return XCTFail("\(what): no value", file: file, line: line) }
  guard a.count == ref.count else {
    return XCTFail("\(what): shape \(a.shape) vs reference \(ref.shape)", file: file, line: line)
  }
  let e = scaledError(a, ref, floor: floor)
  XCTAssertLessThanOrEqual(e, tol, "\(what): scaled error \(e)", file: file, line: line)
}
