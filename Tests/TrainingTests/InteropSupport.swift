// InteropSupport: writing files the way other tools do (python3 + h5py, see InteropPython) for
// the documented-format tests; skipped only when no python with h5py exists.
import Foundation
import InteropPython
import XCTest

/// Runs `script` with the python that has h5py, passing `arguments` as sys.argv[1...].
func runH5pyScript(_ script: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
  guard let (status, output) = try InteropPython.run(["-c", script] + arguments) else {
    throw XCTSkip(InteropPython.missingReason)
  }
  XCTAssertEqual(status, 0, output, file: file, line: line)
  if status != 0 { throw XCTSkip("the h5py script failed (see the failure above)") }
}
