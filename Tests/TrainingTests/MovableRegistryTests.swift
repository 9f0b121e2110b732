// A registry that can move, end to end on a tiny config: runs trained with the default run
// folders, the registry's folder renamed, then `predict --run`, `encode --run` and `report` (with
// its filmstrips) from another working folder through the moved registry; two registries in one
// folder keep their run folders apart.
import Foundation
import Registry
import TestSupport
import XCTest

@testable import Workbench

final class MovableRegistryTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("move-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  func quiet() -> TrainOptions { TinyRuns.quiet() }

  /// A finished 3-step landmarks run (32 px, K 3) in the registry's default run folder.
  func landmarksRun(_ registry: Registry) throws -> Int64 { try TinyRuns.landmarksRun(registry) }

  func testRegistryOpenedFromAnotherFolderPredictsEncodesAndReports() throws {
    let home = dir + "/home"
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    let registry = try Registry(path: home + "/reg.sqlite")
    let lm = try landmarksRun(registry)
    let dyn = try DynamicsTraining.start(
      landmarksRun: lm, configFile: nil,
      overrides: [
        "n_inputs=2", "n_future=3", "lstm_layers=1", "lstm_hidden=8", "dyn_batch_size=4", "dyn_steps=3",
        "dyn_checkpoint_every=3", "n_context=2",
        "n_rollout=4",
      ],
      registry: registry, options: quiet())
    XCTAssertEqual(dyn.status, .finished)
    // A prediction whose frames are inside the registry's folder: recorded relative, they move too.
    var q = PredictRequest(runId: dyn.runId, out: home + "/pred")
    q.horizon = 4
    let first = try Prediction.run(q, registry: registry, print: { _ in }).runId
    let stored = try registry.read { c in
      try c.strings("SELECT path FROM checkpoints UNION ALL SELECT path FROM artifacts")
    }
    XCTAssertFalse(stored.isEmpty)
    XCTAssertTrue(
      stored.allSatisfy { !$0.hasPrefix("/") }, "every file is inside the registry's folder: \(stored)")
    XCTAssertTrue(FileManager.default.fileExists(atPath: home + "/runs-reg/\(lm)"), "the default run folder")
    try registry.close()

    try FileManager.default.moveItem(atPath: home, toPath: dir + "/moved")
    let elsewhere = dir + "/elsewhere"
    try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
    let reg = ["--registry", "../moved/reg.sqlite"]
    try runLmlab(
      ["predict", "--run", String(dyn.runId), "--horizon", "4", "--out", "p2", "--lpips-weights", "none"]
        + reg, in: elsewhere)
    let encoded = try runLmlab(
      ["encode", "--run", String(lm), "--frames", "../moved/pred/truth", "--out", "lm.h5"] + reg,
      in: elsewhere)
    XCTAssertTrue(encoded.contains("../moved/runs-reg/\(lm)/"), encoded)
    XCTAssertTrue(FileManager.default.fileExists(atPath: elsewhere + "/lm.h5"))
    let moved = try Registry(path: dir + "/moved/reg.sqlite")
    let second = try XCTUnwrap(try moved.listRuns().runs.map(\.id).max())
    XCTAssertEqual(try moved.run(second).kind, Prediction.runKind)
    // Frames made outside the registry's folder are recorded by their absolute path.
    let p2 = try moved.read { c in try c.strings("SELECT path FROM artifacts WHERE run_id = ?", second) }
    XCTAssertTrue(
      p2.count == 1 && p2[0].hasPrefix("/") && p2[0].hasSuffix("/elsewhere/p2/scores.csv"), "\(p2)")
    try moved.close()
    // The report on the run made before the move: its frames are found in the moved folder.
    try runLmlab(["report", "--runs", String(first), "--out", "rep"] + reg, in: elsewhere)
    let html = try String(contentsOfFile: elsewhere + "/rep/index.html", encoding: .utf8)
    let strips = html.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
      .filter { $0.hasPrefix("worst-") }
    XCTAssertFalse(strips.isEmpty, "filmstrips drawn from the moved frames")
    XCTAssertFalse(html.contains("no frame PNGs found"), "every worst sequence has its filmstrip")
    for strip in strips {
      XCTAssertTrue(FileManager.default.fileExists(atPath: elsewhere + "/rep/" + strip), strip)
    }
  }

  /// A run's own data given relative to the folder it was trained in (beside the registry, as the
  /// README's own-data section does): opened from another folder after a move, predict finds the
  /// data under the registry's folder, and a dynamics run built there records its absolute path.
  func testRelativeDataPathIsFoundFromAnotherFolder() throws {
    let home = dir + "/home"
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    try runLmlab(["data", "synth", "--out", "data", "--sequences", "6", "--frames", "12", "--size", "32"], in: home)
    let sets = [
      "dataset=frames", "dataset_path=data", "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4",
      "pose_decoder_channels=[8,8,8]", "spade_hidden=4", "batch_size=2", "use_vgg=false", "mse_lambda=1",
      "temporal_min_gap=1", "temporal_max_gap=4", "max_steps=2", "checkpoint_every=2", "sample_every=100",
      "probe_every=0", "decoder_skip=none",
    ]
    try runLmlab(["train", "landmarks", "--registry", "reg.sqlite"] + sets.flatMap { ["--set", $0] }, in: home)
    try FileManager.default.moveItem(atPath: home, toPath: dir + "/moved")
    let elsewhere = dir + "/elsewhere"
    try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
    let reg = ["--registry", "../moved/reg.sqlite"]
    try runLmlab(
      ["predict", "--run", "1", "--method", "copy-last", "--horizon", "4", "--out", "p", "--lpips-weights", "none"] + reg,
      in: elsewhere)
    XCTAssertTrue(FileManager.default.fileExists(atPath: elsewhere + "/p/scores.csv"))
    try runLmlab(
      ["train", "dynamics", "--landmarks-run", "1"] + reg
        + ["n_inputs=2", "n_future=3", "lstm_layers=1", "lstm_hidden=8", "dyn_batch_size=4", "dyn_steps=2",
           "dyn_checkpoint_every=2", "n_context=2", "n_rollout=4"].flatMap { ["--set", $0] },
      in: elsewhere)
    let moved = try Registry(path: dir + "/moved/reg.sqlite")
    defer { try? moved.close() }
    let dynamics = try XCTUnwrap(try moved.listRuns().runs.first { $0.kind == DynamicsTraining.runKind })
    let recorded = try ConfigLoader.recorded(dynamics.configJSON, runId: dynamics.id)
    XCTAssertEqual(
      URL(fileURLWithPath: recorded.data.datasetPath).resolvingSymlinksInPath().path,
      URL(fileURLWithPath: dir + "/moved/data").resolvingSymlinksInPath().path, "the data it read, absolute")
  }

  /// Two registries in one folder, each with its run 1 in the default run folder: no collision.
  func testSecondRegistryInTheSameFolderGetsItsOwnRunFolders() throws {
    let a = try Registry(path: dir + "/a.sqlite")
    let b = try Registry(path: dir + "/b.sqlite")
    XCTAssertEqual(try landmarksRun(a), 1)
    XCTAssertEqual(try landmarksRun(b), 1)
    for (r, name) in [(a, "a"), (b, "b")] {
      XCTAssertEqual(try r.detail(1).checkpoints.map(\.path), [dir + "/runs-\(name)/1/step_0000003.h5"])
      XCTAssertEqual(
        try r.read { c in try c.strings("SELECT path FROM checkpoints") }, ["runs-\(name)/1/step_0000003.h5"])
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/runs-a/1/step_0000003.h5"))
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/runs-b/1/step_0000003.h5"))
  }
}
