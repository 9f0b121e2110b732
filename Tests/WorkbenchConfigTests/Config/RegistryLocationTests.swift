// Registry path precedence and config → run records.
import Foundation
import Registry
import XCTest

@testable import Workbench

final class RegistryLocationTests: XCTestCase {
  func testPathPrecedence() {
    XCTAssertEqual(
      RegistryLocation.resolve(flag: "a.sqlite", environment: ["LMLAB_REGISTRY": "b.sqlite"]), "a.sqlite")
    XCTAssertEqual(
      RegistryLocation.resolve(flag: nil, environment: ["LMLAB_REGISTRY": "b.sqlite"]), "b.sqlite")
    XCTAssertEqual(RegistryLocation.resolve(flag: nil, environment: ["LMLAB_REGISTRY": ""]), "lmlab.sqlite")
    XCTAssertEqual(RegistryLocation.resolve(flag: nil, environment: [:]), "lmlab.sqlite")
  }

  func testMissingRegistryIsAnErrorForReaders() {
    let path = NSTemporaryDirectory() + "lmlab-missing-\(UUID().uuidString).sqlite"
    XCTAssertThrowsError(try RegistryLocation.open(flag: path, mustExist: true, environment: [:])) {
      XCTAssertEqual("\($0)", "registry \(path): no such file (give --registry PATH or set LMLAB_REGISTRY)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: path))
  }

  func testConfigBecomesAQueryableRun() throws {
    let path = NSTemporaryDirectory() + "lmlab-spec-\(UUID().uuidString).sqlite"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let registry = try RegistryLocation.open(flag: path, environment: [:])
    var loaded = try ConfigLoader.load(
      file: nil, overrides: ["n_landmarks=40", "lr=3e-4"])
    let run = try registry.createRun(
      loaded.runSpec(name: "k40", kind: "train-landmarks", experiment: "sweep"))
    XCTAssertEqual(run.configHash, loaded.config.hash)
    XCTAssertEqual(run.configJSON, loaded.config.canonicalJSON())
    loaded.config.model.nLandmarks = 30
    try registry.createRun(loaded.runSpec(name: "k30", kind: "train-landmarks", experiment: "sweep"))
    let l = try registry.listRuns(
      filter: WhereExpr.parse(
        "n_landmarks>=40 and learning_rate=0.0003 and pose_decoder_channels='[512,256,128]'"))
    XCTAssertEqual(l.runs.map(\.name), ["k40"])
    XCTAssertEqual(try registry.compare([1, 2], onlyChanged: true).split(separator: "\n").count, 2)
  }
}
