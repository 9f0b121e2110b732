// InteropSupport: writing files the way other tools do (python3 + h5py, see InteropPython) for
// the documented-format tests; without a python that has h5py a skip naming h5py (a failure
// under CI=true), and a script that fails is a failure.
import Foundation
import InteropPython
import TestSupport
import XCTest

/// Runs `script` with the python that has h5py, passing `arguments` as sys.argv[1...].
func runH5pyScript(_ script: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
  guard let (status, output) = try InteropPython.run(["-c", script] + arguments) else {
    throw componentMissing(.h5py, InteropPython.missingReason)
  }
  if status != 0 { throw ProcessFailure("the h5py script exited with \(status):\n\(output)") }
}
