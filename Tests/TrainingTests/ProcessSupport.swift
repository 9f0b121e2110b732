// The lmlab executable the tests start as a real process (built next to the test bundle by
// `swift build --build-tests`): missing is a failure, not a skip.
import Foundation
import TestSupport
import XCTest

func lmlabBinary() throws -> String {
  var dirs = [Bundle.main.bundleURL.deletingLastPathComponent(), URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
  if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
  for d in dirs {
    for c in [d, d.deletingLastPathComponent()] where FileManager.default.isExecutableFile(atPath: c.appendingPathComponent("lmlab").path) {
      return c.appendingPathComponent("lmlab").path
    }
  }
  throw ProcessFailure("lmlab is not built next to the tests (looked in \(dirs.map(\.path))): swift build --build-tests")
}
