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

/// Runs `lmlab args` (or `binary`) in working folder `cwd` to its end: its output (stdout and
/// stderr), and a failure naming the command when it does not exit 0.
@discardableResult
func runLmlab(
  _ args: [String], in cwd: String, binary: String? = nil, environment: [String: String]? = nil, within seconds: Double = 300,
  file: StaticString = #filePath, line: UInt = #line
) throws -> String {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: try binary ?? lmlabBinary())
  p.arguments = args
  p.currentDirectoryURL = URL(fileURLWithPath: cwd)
  if let environment { p.environment = environment }
  let pipe = Pipe()
  p.standardOutput = pipe
  p.standardError = pipe
  try p.run()
  let what = "lmlab " + args.joined(separator: " ") + " (in \(cwd))"
  let text = try LineReader(pipe).readToEnd(within: seconds, what)
  try waitForExit(p, within: 30, what)
  assertExitedCleanly(p, what, output: text, file: file, line: line)
  return text
}

/// Runs `exe` to its end within `seconds` (in `cwd` when given), output and errors together; a
/// process killed by a signal is a failure.
func runToEnd(
  _ exe: String, _ args: [String], cwd: String? = nil, environment: [String: String]? = nil, within seconds: Double = 120
) throws -> (Int32, String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: exe)
  p.arguments = args
  if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
  if let environment { p.environment = environment }
  let pipe = Pipe()
  p.standardOutput = pipe
  p.standardError = pipe
  p.standardInput = FileHandle.nullDevice
  try p.run()
  let what = ([(exe as NSString).lastPathComponent] + args).joined(separator: " ")
  let text = try LineReader(pipe).readToEnd(within: seconds, what)
  try waitForExit(p, within: 10, what)
  if p.terminationReason != .exit { XCTFail("\(what) ended with \(exitDescription(p))\n\(text)") }
  return (p.terminationStatus, text)
}
