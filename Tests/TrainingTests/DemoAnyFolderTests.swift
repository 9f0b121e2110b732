// `lmlab demo` outside the checkout, as `make install` lays it out (PREFIX/bin/lmlab beside
// PREFIX/share/lmlab/Experiments, neither $LMLAB_EXPERIMENTS nor $LMLAB_REGISTRY set), on the
// tiny config of DemoPipelineTests: it finds the shipped configs, writes nothing in the working
// folder but its --out (the registry and run folders live there), and a second demo with another
// --out starts afresh there, reusing nothing of the first — this one with the installed configs
// removed, so it runs on the configs built into the binary.
import Foundation
import TestSupport
import XCTest

final class DemoAnyFolderTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("demo-any-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  /// PREFIX/bin/lmlab (a copy of the built binary) and PREFIX/share/lmlab/Experiments/*.yaml, as
  /// the Makefile's install target writes them.
  func install() throws -> String {
    let fm = FileManager.default
    let prefix = dir + "/prefix"
    try fm.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: prefix + "/share/lmlab/Experiments", withIntermediateDirectories: true)
    try fm.copyItem(atPath: try lmlabBinary(), toPath: prefix + "/bin/lmlab")
    for name in try fm.contentsOfDirectory(atPath: DemoPipelineTests.experiments)
    where name.hasSuffix(".yaml") {
      try fm.copyItem(
        atPath: DemoPipelineTests.experiments + "/" + name,
        toPath: prefix + "/share/lmlab/Experiments/" + name)
    }
    return prefix + "/bin/lmlab"
  }

  func testDemoFromAFolderOutsideTheCheckoutWritesOnlyUnderOut() throws {
    let binary = try install()
    let work = dir + "/work"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    var env = ProcessInfo.processInfo.environment
    env["LMLAB_EXPERIMENTS"] = nil
    env["LMLAB_REGISTRY"] = nil
    let sets =
      DemoPipelineTests.landmarkSets.flatMap { ["--set", $0] }
      + DemoPipelineTests.dynamicsSets.flatMap { ["--dyn-set", $0] }
    func demo(_ out: String) throws -> String {
      try runLmlab(
        ["demo", "--out", out, "--lpips-weights", "none"] + sets, in: work, binary: binary, environment: env,
        within: 900)
    }
    let fm = FileManager.default
    // A bad --set is refused before anything is created.
    let refused = Process()
    refused.executableURL = URL(fileURLWithPath: binary)
    refused.arguments = ["demo", "--out", "bad", "--set", "no_such_key=1"]
    refused.currentDirectoryURL = URL(fileURLWithPath: work)
    refused.environment = env
    refused.standardOutput = FileHandle.nullDevice
    refused.standardError = FileHandle.nullDevice
    try refused.run()
    try waitForExit(refused, within: 60, "lmlab demo --set no_such_key=1")
    XCTAssertNotEqual(refused.terminationStatus, 0)
    XCTAssertEqual(try fm.contentsOfDirectory(atPath: work), [], "a refused demo leaves nothing")
    let first = try demo("one")
    XCTAssertEqual(
      try fm.contentsOfDirectory(atPath: work), ["one"], "nothing written beside --out\n\(first)")
    for name in ["lmlab.sqlite", "runs-lmlab", "frames", "report"] {
      XCTAssertTrue(fm.fileExists(atPath: work + "/one/" + name), "one/\(name)")
    }
    let oneBefore = try fm.subpathsOfDirectory(atPath: work + "/one").filter { !$0.hasPrefix("lmlab.sqlite") }
      .sorted()

    try FileManager.default.removeItem(atPath: dir + "/prefix/share")
    let second = try demo("two")
    XCTAssertEqual(try fm.contentsOfDirectory(atPath: work).sorted(), ["one", "two"])
    XCTAssertFalse(second.contains("reused"), "a demo with a new --out reuses nothing:\n\(second)")
    for name in ["lmlab.sqlite", "runs-lmlab", "frames/predict-lstm", "report/index.html"] {
      XCTAssertTrue(fm.fileExists(atPath: work + "/two/" + name), "two/\(name)")
    }
    XCTAssertEqual(
      try fm.subpathsOfDirectory(atPath: work + "/one").filter { !$0.hasPrefix("lmlab.sqlite") }.sorted(),
      oneBefore,
      "the first demo's folder is left as it was")
  }
}
