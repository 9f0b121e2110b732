// Test helpers: temporary registries, file digests, and the registry-stress helper binary.
import Foundation
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
  throw XCTSkip("registry-stress not built next to the tests (swift build --product registry-stress)")
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

/// Reads one line from a pipe (blocking).
func readLine(_ pipe: Pipe) -> String {
  var bytes: [UInt8] = []
  let fh = pipe.fileHandleForReading
  while true {
    let d = fh.readData(ofLength: 1)
    if d.isEmpty || d[0] == 10 { break }
    bytes.append(d[0])
  }
  return String(decoding: bytes, as: UTF8.self)
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

/// `$LMLAB_TEST_POSTGRES`: a PostgreSQL URL the tests may create schemas in (`make test` starts
/// the server with scripts/dev-cluster.sh and sets it).
let testPostgresURL: String? = {
  let v = ProcessInfo.processInfo.environment["LMLAB_TEST_POSTGRES"] ?? ""
  return v.isEmpty ? nil : v
}()

/// SQLite always; PostgreSQL too when `$LMLAB_TEST_POSTGRES` is set (PostgresBackendTests
/// says so, as a skip, when it is not).
func testBackends() -> [TestBackend] { testPostgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

/// Runs `body` once per backend, printing which one so a failure can be placed.
func forEachBackend(_ body: (TestBackend) throws -> Void) throws {
  for b in testBackends() {
    print("[registry backend: \(b.rawValue)]")
    try body(b)
  }
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
