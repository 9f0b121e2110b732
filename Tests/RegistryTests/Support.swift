// Test helpers: temporary registries, file digests, the registry-stress helper binary, and the
// backends every registry test runs on (SQLite always, PostgreSQL when the server is there:
// otherwise a skip naming it, or a failure under CI=true; see TestSupport.Components).
import Foundation
import TestSupport
import XCTest

@testable import Registry

func temporaryDirectory(_ name: String = #function) -> String {
  let dir = NSTemporaryDirectory() + "lmlab-registry-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
  try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}

func fileDigest(_ path: String) -> String {
  (try? SHA256.hexAndSize(ofFile: path).0) ?? "missing"
}

/// The `registry-stress` executable built next to the test bundle.
func stressBinary() throws -> String {
  var candidates: [URL] = []
  if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
  candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
  candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
  for dir in candidates {
    for d in [dir, dir.deletingLastPathComponent()] {
      let p = d.appendingPathComponent("registry-stress").path
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
  }
  // Built with the tests (`swift build --build-tests` builds every product): missing is a failure.
  throw ProcessFailure(
    "registry-stress is not built next to the tests (looked in \(candidates.map(\.path))): swift build --build-tests")
}

/// Starts `registry-stress` with `args`; stdout is piped.
func spawnStress(_ args: [String], env: [String: String] = [:]) throws -> (Process, Pipe) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: try stressBinary())
  p.arguments = args
  var e = ProcessInfo.processInfo.environment
  for (k, v) in env { e[k] = v }
  p.environment = e
  let out = Pipe()
  p.standardOutput = out
  try p.run()
  return (p, out)
}

/// Reads one line from a child's stdout within `seconds` (a child that never prints fails the
/// test instead of hanging it).
func readLine(_ pipe: Pipe, within seconds: Double = 60, _ what: String = "registry-stress") throws -> String {
  guard let line = try LineReader(pipe).nextLine(within: seconds, what) else {
    throw DeadlineExceeded(description: "\(what): output ended before a line")
  }
  return line
}

/// A registry with a few runs of varied configs and metrics.
func seededRegistry(_ path: String) throws -> Registry {
  let r = try Registry(path: path)
  for (i, k) in [10, 20, 30, 30, 40].enumerated() {
    let spec = RunSpec(
      name: "run\(i + 1)", kind: "train-landmarks", experiment: i < 3 ? "sweep-k" : "other",
      configJSON: "{\"n_landmarks\":\(k)}",
      params: [
        .int("n_landmarks", k), .float("learning_rate", 1e-4), .bool("use_gan", i % 2 == 0),
        .string("dataset", "synthetic"), .list("pose_decoder_channels", ["512", "256", "128"]),
      ], seed: Int64(i))
    let h = try r.startRun(spec)
    for s in 0..<10 {
      try h.log("loss", step: Int64(s), value: Double(10 - s) + Double(i))
    }
    try h.log("keypoint_acc", step: 10, value: 0.5 + 0.1 * Double(i))
    try h.finish(i == 4 ? .failed : .finished, error: i == 4 ? "diverged" : nil)
  }
  return r
}

// MARK: backends

/// The engines every registry test runs on.
enum TestBackend: String, CaseIterable {
  case sqlite, postgres
}

/// SQLite always; PostgreSQL when `$LMLAB_TEST_POSTGRES` names a server (TestSupport).
func testBackends() -> [TestBackend] { testPostgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

/// Runs `body` on SQLite, then on PostgreSQL, printing "[registry backend: NAME] TEST" before
/// each (scripts/run-tests.sh counts these lines per backend for its summary). Without a
/// PostgreSQL server the test ends, after its SQLite half passed, as a skip naming PostgreSQL
/// (counted as skipped, never as passed) or, under CI=true, as a failure.
func forEachBackend(_ test: String = #function, _ body: (TestBackend) throws -> Void) throws {
  print("[registry backend: sqlite] \(test)")
  try body(.sqlite)
  if let reason = postgresMissingReason {
    throw componentMissing(.postgres, reason + "; \(test) ran on SQLite only")
  }
  print("[registry backend: postgres] \(test)")
  try body(.postgres)
}

/// A new, empty registry location: a file in a new folder, or a new schema of the test
/// database (`?schema=`), dropped when the test process ends.
func freshLocation(_ backend: TestBackend, _ name: String = "r") -> String {
  switch backend {
  case .sqlite:
    return temporaryDirectory() + "/\(name).sqlite"
  case .postgres:
    let schema = "lmlab_test_\(name.lowercased().filter { $0.isLetter || $0.isNumber })_\(UUID().uuidString.prefix(8).lowercased())"
    TestSchemas.shared.add(schema)
    return testPostgresURL! + (testPostgresURL!.contains("?") ? "&" : "?") + "schema=" + schema
  }
}

/// Schemas made by `freshLocation`, dropped at exit so repeated runs do not pile them up.
final class TestSchemas: @unchecked Sendable {
  static let shared = TestSchemas()
  private var names: [String] = []
  private let lock = NSLock()
  private init() {
    atexit {
      TestSchemas.shared.dropAll()
    }
  }
  func add(_ s: String) { lock.withLock { names.append(s) } }
  func dropAll() {
    let all = lock.withLock { names }
    guard !all.isEmpty, let url = testPostgresURL, let db = try? PostgresDatabase(url: url) else { return }
    for s in all { _ = try? db.write { c in try c.execute("DROP SCHEMA IF EXISTS \(s) CASCADE") } }
    try? db.close()
  }
}
