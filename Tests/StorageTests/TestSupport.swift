// Storage test helpers: temporary folders, fixture paths, bit-pattern comparison and a runner
// for the python that has h5py (TestSupport: missing h5py skips, or fails under CI=true).
import Foundation
import InteropPython
import TensorEngine
import TestSupport
import XCTest

/// A fresh temporary folder, removed when the test ends.
func makeTempDir(_ test: XCTestCase) throws -> URL {
  let dir = FileManager.default.temporaryDirectory
    .appendingPathComponent("storage-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
  return dir
}

/// Path of a committed fixture (resources are copied as the folder `Fixtures`); missing is a failure.
func fixturePath(_ name: String) throws -> String {
  try committedFixture(name, in: Bundle.module, generator: "python3 Experiments/tools/make_engine_fixtures.py")
}

/// Asserts two tensors have the same shape and identical float32 bit patterns (so NaN
/// payloads, -0 and denormals count).
func assertBitIdentical(
  _ a: Tensor, _ b: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(a.shape, b.shape, "\(label): shape", file: file, line: line)
  guard a.shape == b.shape else { return }
  for i in 0..<a.count where a.data[i].bitPattern != b.data[i].bitPattern {
    XCTFail("\(label): element \(i) differs: \(a.data[i]) vs \(b.data[i])", file: file, line: line)
    return
  }
}

/// The repository root (three levels above this file: Tests/StorageTests/TestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// Runs the python that has h5py (see InteropPython) with `arguments` from the repository
/// root; returns (exit status, output). Call `requireH5py()` (TestSupport) first.
@discardableResult
func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
  guard let result = try InteropPython.run(arguments, in: repositoryRoot) else {
    throw componentMissing(.h5py, InteropPython.missingReason)
  }
  return result
}
