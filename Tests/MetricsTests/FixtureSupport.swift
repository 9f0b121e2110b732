// Fixture access for the metrics tests: paths inside the test bundle and HDF5 readers.
import Foundation
import Storage
import TensorEngine
import XCTest

/// Path of a committed fixture (resources are copied as the folder `Fixtures`).
func metricsFixture(_ name: String) throws -> String {
  guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
    throw XCTSkip("fixture \(name) missing from the test bundle (run Experiments/tools/make_metrics_fixtures.py)")
  }
  return url.path
}

/// One image-size group of images.h5: frame pairs and the Python reference values.
struct ImageFixture {
  let size: Int
  let reference: Tensor  // [M, 3, S, S] in [0, 1]
  let distorted: Tensor  // [M, 3, S, S] in [0, 1]
  let file: HDF5File

  init(size: Int) throws {
    self.size = size
    file = try HDF5File(path: try metricsFixture("images.h5"))
    reference = try file.readTensor("s\(size)/reference")
    distorted = try file.readTensor("s\(size)/distorted")
  }

  /// A float64 reference vector (`psnr`, `ssim_gaussian`, `lpips_alex`, ...).
  func expected(_ name: String) throws -> [Double] { try file.readDoubles("s\(size)/\(name)").values }
}

/// Asserts |a − e| ≤ tol for each element, reporting the worst one.
func assertClose(
  _ actual: [Double], _ expected: [Double], abs tol: Double, _ label: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
  let worst = zip(actual, expected).map { Swift.abs($0 - $1) }.max() ?? 0
  XCTAssertLessThanOrEqual(worst, tol, "\(label): worst |Δ| \(worst)", file: file, line: line)
}

/// Asserts |a − e| ≤ tol·|e| for each element, reporting the worst one.
func assertRelClose(
  _ actual: [Double], _ expected: [Double], rel tol: Double, _ label: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
  let worst = zip(actual, expected).map { Swift.abs($0 - $1) / Swift.abs($1) }.max() ?? 0
  XCTAssertLessThanOrEqual(worst, tol, "\(label): worst relative Δ \(worst)", file: file, line: line)
}
