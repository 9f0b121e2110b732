// Issue 24, silent wrong results and unclear messages: `~` is a literal "contains"; NaN in a
// checkpoint's weights or a landmark file is refused naming the file and the tensor (and a NaN
// reaching the keypoint fit is named as NaN, not as rank deficiency); overlapping splits are
// refused; a read-only registry can be listed and says "read-only" when written; `--set` is
// blamed for its own bad value; a 100,000-deep YAML list says it is too deep.
import Foundation
import Landmarks
import SafeIO
import Storage
import TensorEngine
import TestSupport
import XCTest

@testable import EvalMetrics
@testable import Registry
@testable import Workbench

#if canImport(Glibc)
  import Glibc
#endif

final class ResultsAndMessagesTests: XCTestCase {
  var box: Sandbox!

  override func setUpWithError() throws { box = try Sandbox(name) }
  override func tearDown() { box?.remove() }

  // Finding: `--where "name ~ 'p_ain'"` matched "plain" (`_` and `%` were LIKE wildcards).
  func testContainsIsLiteralText() throws {
    let r = try Registry(path: box.registry)
    for name in ["plain", "p_ain", "100%", "back\\slash", "PLAIN_X"] {
      try r.startRun(RunSpec(name: name, kind: "k")).finish(.finished)
    }
    func names(_ w: String) throws -> [String] {
      try r.listRuns(filter: WhereExpr.parse(w), limit: 0).runs.map(\.name).sorted()
    }
    XCTAssertEqual(try names("name ~ 'p_ain'"), ["p_ain"])
    XCTAssertEqual(try names("name ~ '%'"), ["100%"])
    XCTAssertEqual(try names("name ~ '\\'"), ["back\\slash"])
    XCTAssertEqual(try names("name ~ 'plain'"), ["PLAIN_X", "plain"], "ignoring ASCII case, as documented")
    XCTAssertEqual(try names("name !~ '_'"), ["100%", "back\\slash", "plain"])
    let list = try box.run(["runs", "list", "--where", "name ~ 'p_ain'"])
    XCTAssertEqual(list.status, 0, "\(list)")
    XCTAssertTrue(list.stdout.contains("p_ain") && !list.stdout.contains(" plain"), list.stdout)
    let help = try box.run(["runs", "list", "--help"])
    XCTAssertTrue(help.stdout.contains("literal text (no wildcards), ignoring ASCII case"), help.stdout)
  }

  /// A tiny landmark model's checkpoint (K 2, 16 px), optionally with its first tensor all NaN.
  func tinyCheckpoint(_ path: String, poison: Bool) throws -> String {
    var c = ModelConfig()
    (c.nLandmarks, c.imgSize, c.nsf, c.naf, c.ngc, c.nFilters, c.poseDecoderChannels, c.spadeHidden) = (
      2, 16, 2, 2, 4, 2, [4, 4, 4], 4
    )
    var rng = SeededRNG(seed: 1)
    let model = try LandmarkModel(config: c, rng: &rng)
    let (name, t) = model.stateDict().first { $0.1.count > 1 }!
    if poison { for i in 0..<t.count { t.data[i] = .nan } }
    try model.save(to: path, config: c.jsonString(), step: 0)
    return name
  }

  // Finding: a checkpoint whose first conv weight is all NaN encoded without a word.
  func testNaNWeightsAreRefusedNamingTheTensor() throws {
    try box.frames("frames", sequences: ["a"], frames: 2)
    _ = try tinyCheckpoint(box.path("good.h5"), poison: false)
    let tensor = try tinyCheckpoint(box.path("nan.h5"), poison: true)
    let before = box.snapshot()
    assertRefused(
      try box.run(["encode", "--checkpoint", "nan.h5", "--frames", "frames", "--out", "o.h5"]),
      mentions: ["nan.h5", "'\(tensor)'", "NaN value"], within: 20)
    box.assertUnchanged(since: before)
    let ok = try box.run(["encode", "--checkpoint", "good.h5", "--frames", "frames", "--out", "o.h5"])
    XCTAssertEqual(ok.status, 0, "\(ok)")
    box.assertUnchanged(since: before, except: ["o.h5"])
  }

  func landmarkFile(_ path: String, frames n: Int, nan: Bool) throws {
    var mu: [Float] = []
    for i in 0..<n { mu += [Float(i) / Float(n) - 0.5, 0.1, -0.2, Float(i % 3) / 5] }
    if nan { mu = mu.map { _ in .nan } }
    var cov: [Float] = []
    for _ in 0..<(n * 2) { cov += [0.01, 0, 0, 0.01] }
    try LandmarkFile(
      mu: Tensor(mu, shape: [n, 2, 2]), covariance: Tensor(cov, shape: [n, 2, 2, 2]),
      sequence: [String](repeating: "s", count: n), frame: (0..<n).map(Int64.init)
    ).write(to: path)
  }

  func keypointCSV(_ rel: String, frames n: Int) throws {
    var csv = "sequence,frame,keypoint,x,y\n"
    for i in 0..<n { csv += "s,\(i),head,\(4 + i % 5),\(3 + i % 7)\n" }
    try box.write(rel, csv)
  }

  // Finding: `eval keypoints` on an all-NaN landmark file printed accuracy 0.0000 and wrote
  // `nan` to its CSV; NaN training landmarks were reported as a rank-deficient design.
  func testNaNLandmarksAreRefusedNamedAsNaN() throws {
    try landmarkFile(box.path("train.h5"), frames: 12, nan: false)
    try landmarkFile(box.path("nan.h5"), frames: 12, nan: true)
    try keypointCSV("kp.csv", frames: 12)
    let before = box.snapshot()
    for (train, test) in [("nan.h5", "train.h5"), ("train.h5", "nan.h5")] {
      let r = try box.run(
        [
          "eval", "keypoints", "--train-landmarks", train, "--train-keypoints", "kp.csv", "--test-landmarks",
          test,
          "--test-keypoints", "kp.csv", "--image-size", "16", "--csv", "out.csv",
        ])
      assertRefused(r, mentions: ["nan.h5", "'mu'", "48 NaN values", "frame 0 of sequence `s`"], within: 20)
      XCTAssertFalse(r.output.contains("rank"), "\(r)")
    }
    box.assertUnchanged(since: before)
    // In process, a NaN reaching the fit is named as NaN.
    XCTAssertThrowsError(
      try KeypointRegressor.fit(
        means: [.nan, 0, 0, 0], keypoints: [1, 1, 1, 1], frames: 2, landmarks: 1, keypointCount: 1,
        imageSize: 16)
    ) { e in XCTAssertTrue("\(e)".contains("NaN") && !"\(e)".contains("rank"), "\(e)") }
  }

  // Finding: a manifest listing one sequence in train, val and test passed `inspect --verify`.
  func testOverlappingSplitsAreRefused() throws {
    try box.frames("d", sequences: ["a", "b"], frames: 2)
    try box.write("d/manifest.json", #"{"splits": {"train": ["a", "b"], "val": ["a"], "test": ["a"]}}"#)
    let before = box.snapshot()
    assertRefused(
      try box.run(["data", "inspect", "d", "--verify"]),
      mentions: [
        "d/manifest.json", "sequence `a` is in split `test` and in split `train`", "must not overlap",
      ], within: 10)
    try box.write("d/manifest.json", #"{"splits": {"train": ["a", "a"], "test": ["b"]}}"#)
    assertRefused(
      try box.run(["data", "inspect", "d", "--verify"]), mentions: ["split `train` names sequence `a` twice"],
      within: 10)
    box.assertUnchanged(since: before, except: ["d/manifest.json"])
  }

  // Finding: a read-only registry was called "not a SQLite database" (and could not be listed).
  func testAReadOnlyRegistryIsListedAndNamedReadOnly() throws {
    var options = RegistryOptions()
    options.reapOnOpen = false
    let r = try Registry(path: box.registry, options: options)
    try r.startRun(RunSpec(name: "kept", kind: "k")).finish(.finished)
    try r.startRun(RunSpec(name: "dead", kind: "k")).finish(.finished)
    // A run whose process is gone: opening would mark it interrupted, a write a read-only
    // registry cannot take; listing goes on without it.
    _ = try r.write { c in
      try c.execute(
        "UPDATE runs SET status = 'running', pid = 2147483000, heartbeat_at = 0 WHERE name = 'dead'", [])
    }
    try r.close()  // checkpoints the WAL: the main file alone holds everything
    let ro = box.path("ro")
    try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
    // A copy made the way a user would (cp): the main file only.
    try FileManager.default.copyItem(atPath: box.registry, toPath: ro + "/reg.sqlite")
    chmod(ro + "/reg.sqlite", 0o444)
    chmod(ro, 0o555)
    defer { chmod(ro, 0o755) }
    let before = box.snapshot()
    // Root ignores permissions: the commands run as `nobody` then.
    let user = getuid() == 0 ? "nobody" : nil
    let list = try box.run(["runs", "list", "--registry", "ro/reg.sqlite"], user: user)
    XCTAssertEqual(list.status, 0, "\(list)")
    XCTAssertTrue(list.stdout.contains("kept") && list.stdout.contains("dead"), list.stdout)
    let show = try box.run(["runs", "show", "1", "--registry", "ro/reg.sqlite"], user: user)
    XCTAssertEqual(show.status, 0, "\(show)")
    let delete = try box.run(["runs", "delete", "1", "--yes", "--registry", "ro/reg.sqlite"], user: user)
    assertRefused(delete, mentions: ["ro/reg.sqlite", "read-only"], within: 20)
    XCTAssertFalse(delete.output.contains("not a SQLite database"), "\(delete)")
    box.assertUnchanged(since: before)
  }

  // Finding: `--set img_size=24` was blamed on the YAML file (fixed on main: kept here).
  func testSetIsBlamedForItsOwnValue() throws {
    try box.write("c.yaml", "n_landmarks: 10\n")
    let before = box.snapshot()
    assertRefused(
      try box.run(["config", "show", "c.yaml", "--set", "img_size=24"]),
      mentions: ["--set: img_size must be divisible by 16, got 24"], within: 10)
    let r = try box.run(["config", "show", "c.yaml", "--set", "img_size=24"])
    XCTAssertFalse(r.stderr.contains("c.yaml"), "\(r)")
    box.assertUnchanged(since: before)
  }

  // Finding: a 100,000-deep YAML list gave only a parser position.
  func testADeeplyNestedYAMLSaysItIsTooDeep() throws {
    try box.write(
      "deep.yaml",
      "n_landmarks: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
    )
    try box.write(
      "deepblock.yaml",
      "n_landmarks:\n"
        + (0..<2000).map { String(repeating: " ", count: $0 + 1) + "- " }.joined(separator: "\n") + "x\n")
    try box.write(
      "deep.sweep.yaml",
      "trainer: landmarks\nrank: metric.x\ngrid: " + String(repeating: "{a: ", count: 50_000) + "1"
        + String(repeating: "}", count: 50_000) + "\n")
    let before = box.snapshot()
    assertRefused(
      try box.run(["config", "show", "deep.yaml"]),
      mentions: ["deep.yaml", "nested more than 64 levels deep"], within: 10)
    assertRefused(
      try box.run(["config", "show", "deepblock.yaml"]),
      mentions: ["deepblock.yaml", "nested more than 64 levels deep"], within: 10)
    assertRefused(
      try box.run(["sweep", "deep.sweep.yaml", "--dry-run"]),
      mentions: ["deep.sweep.yaml", "nested more than 64 levels deep"], within: 10)
    box.assertUnchanged(since: before)
  }
}
