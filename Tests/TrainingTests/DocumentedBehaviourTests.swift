// DocumentedBehaviourTests: behaviours the README documents that once did otherwise (issue 25,
// "Documented but not so"): `runs delete` of a run others were built on, `--set dataset=`
// checked against the allowed names, `runs show` naming a frame-folder run's data, sweep-spec
// errors found while loading trials naming file:line and key, and
// Experiments/tools/video_to_frame_folders.sh on a video smaller than its tile.
import Datasets
import EvalMetrics
import Foundation
import Registry
import TestSupport
import XCTest

@testable import Workbench

/// The checkout this test was built from (Tests/TrainingTests/ is two levels below it).
let checkoutRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

final class DocumentedBehaviourTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("documented-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  // MARK: runs delete

  /// A landmarks run with a dynamics child, which has a predict child: deleting the landmarks run
  /// is refused naming both descendants, and changes nothing; `--with-children` deletes all three
  /// and their files; a leaf is deleted alone as before.
  func testRunsDeleteRefusesARunWithChildrenUnlessWithChildren() throws {
    let path = dir + "/reg.sqlite"
    let registry = try Registry(path: path)
    func run(_ name: String, _ kind: String, parent: Int64? = nil) throws -> Int64 {
      try registry.createRun(RunSpec(name: name, kind: kind, parentId: parent), status: .finished).id
    }
    let lm = try run("lm", "landmarks"), dyn = try run("dyn", "dynamics", parent: lm), pred = try run("pred", "predict", parent: dyn)
    let other = try run("other", "landmarks"), leafChild = try run("leaf", "predict", parent: other)
    let checkpoint = dir + "/dyn.h5"
    try Data("x".utf8).write(to: URL(fileURLWithPath: checkpoint))
    try registry.addCheckpoint(runId: dyn, step: 1, path: checkpoint)
    try registry.close()
    let exe = try lmlabBinary()

    var (code, text) = try runToEnd(exe, ["runs", "delete", "\(lm)", "--yes", "--registry", path])
    XCTAssertNotEqual(code, 0, text)
    XCTAssertTrue(text.contains("runs delete \(lm)"), text)
    XCTAssertTrue(text.contains("\(dyn) (dynamics dyn, finished)") && text.contains("\(pred) (predict pred, finished)"), text)
    XCTAssertTrue(text.contains("--with-children"), text)
    var r = try Registry(path: path)
    XCTAssertEqual(try r.listRuns().totalMatching, 5, "a refused delete deletes nothing")
    XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))
    try r.close()

    (code, text) = try runToEnd(exe, ["runs", "delete", "\(leafChild)", "--yes", "--registry", path])
    XCTAssertEqual(code, 0, text)
    (code, text) = try runToEnd(exe, ["runs", "delete", "\(lm)", "--with-children", "--yes", "--registry", path])
    XCTAssertEqual(code, 0, text)
    XCTAssertTrue(text.contains("deleted run \(lm), its descendant run(s) \(dyn), \(pred) and 1 file(s)"), text)
    r = try Registry(path: path)
    XCTAssertEqual(try r.listRuns().runs.map(\.id), [other])
    XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint), "the child's checkpoint went with it")
    try r.close()
  }

  // MARK: config values

  /// `--set dataset=foo` is refused naming the allowed values; the documented names are accepted.
  func testSetDatasetMustBeAnAllowedName() throws {
    var c = ExperimentConfig()
    XCTAssertThrowsError(try ConfigLoader.apply(override: "dataset=foo", to: &c)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("--set dataset=foo"), text)
      for name in ["synthetic", "frames", "videos", "bbc_pose", "bair", "kth"] { XCTAssertTrue(text.contains(name), text) }
    }
    for name in ["synthetic", "frames", "videos"] { XCTAssertNoThrow(try ConfigLoader.apply(override: "dataset=\(name)", to: &c)) }
    let (code, text) = try runToEnd(
      try lmlabBinary(), ["train", "landmarks", "--set", "dataset=foo", "--registry", dir + "/reg.sqlite"], cwd: dir)
    XCTAssertNotEqual(code, 0, text)
    XCTAssertTrue(text.contains("dataset must be"), text)
    if FileManager.default.fileExists(atPath: dir + "/reg.sqlite") {
      XCTAssertEqual(try Registry(path: dir + "/reg.sqlite").listRuns().totalMatching, 0, "nothing registered")
    }
  }

  // MARK: runs show

  /// `runs show` names what a run read: the dataset and its folder (from the run's params).
  func testRunsShowNamesTheFramesFolder() throws {
    let path = dir + "/reg.sqlite"
    let registry = try Registry(path: path)
    let loaded = try ConfigLoader.load(file: nil, overrides: ["dataset=frames", "dataset_path=/data/street-frames"])
    let frames = try registry.createRun(loaded.runSpec(name: "street", kind: "landmarks", experiment: nil)).id
    let synthetic = try registry.createRun(try ConfigLoader.load(file: nil).runSpec(name: "synth", kind: "landmarks", experiment: nil)).id
    try registry.close()
    var (code, text) = try runToEnd(try lmlabBinary(), ["runs", "show", "\(frames)", "--registry", path])
    XCTAssertEqual(code, 0, text)
    XCTAssertTrue(text.contains("dataset      frames /data/street-frames"), text)
    (code, text) = try runToEnd(try lmlabBinary(), ["runs", "show", "\(synthetic)", "--registry", path])
    XCTAssertTrue(text.contains("dataset      synthetic\n"), text)
  }

  // MARK: sweep specs

  /// Errors found only when the trials are loaded (a value combination the config refuses, a
  /// missing dataset folder, a landmark run that is not there) name the spec's file:line and key.
  func testSweepErrorsFoundAtTrialLoadingNameLineAndKey() throws {
    try "img_size: 32\nmax_steps: 2\n".write(toFile: dir + "/tiny.yaml", atomically: true, encoding: .utf8)
    let registry = dir + "/reg.sqlite"
    try Registry(path: registry).close()
    let head = "trainer: landmarks\nbase: tiny.yaml\nrank: metric.keypoint_acc\n"
    let cases: [(String, String, [String])] = [
      ("inconsistent", head + "grid:\n  n_landmarks: [3, 4]\n  img_size: [32, 40]\n", [
        ".sweep.yaml:6:3 img_size, trial 2 (n_landmarks=3,img_size=40)", "img_size must be divisible by 16",
      ]),
      ("dataset", head + "set:\n  dataset: frames\n  dataset_path: /nonexistent/frames\n", [
        ".sweep.yaml:6:3 dataset_path:", "/nonexistent/frames",
      ]),
      ("landmarks-run", "trainer: dynamics\nrank: min.val_mu_error_px\nlandmarks_run: 99\n", [
        ".sweep.yaml:3:16 landmarks_run:", "no run with id 99",
      ]),
    ]
    for (name, body, expected) in cases {
      let path = "\(dir)/\(name).sweep.yaml"
      try body.write(toFile: path, atomically: true, encoding: .utf8)
      let (code, text) = try runToEnd(try lmlabBinary(), ["sweep", path, "--registry", registry, "--workers", "0"], cwd: dir)
      XCTAssertNotEqual(code, 0, "\(name): \(text)")
      for e in expected { XCTAssertTrue(text.contains(e), "\(name): expected '\(e)' in: \(text)") }
    }
  }

  // MARK: LPIPS without weights

  /// Without LPIPS weights every frame stage of the demo notes the same thing: the demo passes
  /// each distinct note on once, every other line as it comes.
  func testDemoSaysEachNoteOnce() {
    var lines: [String] = []
    let once = NotesOnce { lines.append($0) }
    for line in ["note: LPIPS (lpips-alex) not scored: x", "stage 1", "note: LPIPS (lpips-alex) not scored: x", "stage 1", "note: other"] {
      once.print(line)
    }
    XCTAssertEqual(lines, ["note: LPIPS (lpips-alex) not scored: x", "stage 1", "stage 1", "note: other"])
  }

  /// The frame commands' rule: no weights file → LPIPS left out with one note naming the places.
  func testFrameCommandsSkipLPIPSNamingWhereTheyLooked() throws {
    let (metrics, note) = try dynamicsMetrics(EvalConfig(), lpipsWeights: nil)
    guard !FileManager.default.fileExists(atPath: "weights/lpips_alex.h5"), ProcessInfo.processInfo.environment["LMLAB_LPIPS_WEIGHTS"] == nil else {
      throw XCTSkip("LPIPS weights are in the usual places here (weights/lpips_alex.h5 or $LMLAB_LPIPS_WEIGHTS): nothing to skip")
    }
    XCTAssertFalse(metrics.contains { $0.rawValue.hasPrefix("lpips") }, "\(metrics)")
    XCTAssertTrue(note?.contains("$LMLAB_LPIPS_WEIGHTS (not set)") ?? false, note ?? "no note")
    XCTAssertTrue(note?.contains("weights/lpips_alex.h5 in the working folder") ?? false, note ?? "no note")
  }

  /// `--lpips-weights` given: a path must hold weights (an error naming it, in the frame commands
  /// and in the demo before anything is written), `none` skips LPIPS by choice, a real file scores it.
  func testLPIPSWeightsGivenMustBeThereOrNone() throws {
    let missing = dir + "/no-such-weights.h5"
    XCTAssertThrowsError(try dynamicsMetrics(EvalConfig(), lpipsWeights: missing)) { e in
      XCTAssertTrue("\(e)".contains(missing), "\(e)")
    }
    let (skipped, note) = try dynamicsMetrics(EvalConfig(), lpipsWeights: "none")
    XCTAssertFalse(skipped.contains { $0.rawValue.hasPrefix("lpips") }, "\(skipped)")
    XCTAssertEqual(note?.contains("--lpips-weights none"), true, note ?? "no note")
    let fixture = checkoutRoot + "/Tests/MetricsTests/Fixtures/lpips_alex.h5"
    let (scored, _) = try dynamicsMetrics(EvalConfig(), lpipsWeights: fixture)
    XCTAssertTrue(scored.contains { $0.rawValue.hasPrefix("lpips-alex") }, "\(scored)")

    var r = DemoRequest(
      landmarksConfig: checkoutRoot + "/Experiments/landmarks-learn.yaml", dynamicsConfig: checkoutRoot + "/Experiments/dynamics-demo.yaml",
      pixelConfig: checkoutRoot + "/Experiments/pixel-demo.yaml")
    r.out = dir + "/demo-out"
    r.lpipsWeights = missing
    XCTAssertThrowsError(try DemoPipeline.configs(r)) { e in XCTAssertTrue("\(e)".contains(missing), "\(e)") }
    XCTAssertFalse(FileManager.default.fileExists(atPath: r.out), "nothing written")
  }

  // MARK: video_to_frame_folders.sh

  /// ffmpeg, or a skip (a failure under CI=true: make test installs it).
  func requireFFmpeg() throws {
    let found = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
      .contains { FileManager.default.isExecutableFile(atPath: "\($0)/ffmpeg") }
    if !found {
      if isCI { throw ComponentMissing(description: "ffmpeg missing under CI=true (scripts/setup-deps.sh test installs it)") }
      throw XCTSkip("ffmpeg missing: not on PATH (apt-get install ffmpeg; scripts/setup-deps.sh test installs it)")
    }
  }

  /// A 160×120 video with the default 256-px tile: tiles clamp to the frame's 120-px side (two
  /// overlapping tiles), every frame is --size px, the manifest splits the sequences; a failure
  /// (too short for one sequence) leaves no OUT folder and no staging folder, so the rerun works;
  /// an existing non-empty OUT is refused untouched; `--tile 0` is one centre crop.
  func testVideoSmallerThanTheTileBecomesFrameFolders() throws {
    try requireFFmpeg()
    let script = checkoutRoot + "/Experiments/tools/video_to_frame_folders.sh"
    let video = dir + "/small.mp4"
    var (code, text) = try runToEnd(
      "/bin/sh", ["-c", "ffmpeg -v error -nostdin -f lavfi -i testsrc=size=160x120:rate=10 -t 7 -pix_fmt yuv420p \"$0\"", video])
    XCTAssertEqual(code, 0, text)

    (code, text) = try runToEnd("/bin/bash", [script, video, dir + "/out", "--length", "100"])
    XCTAssertNotEqual(code, 0, "70 frames hold no 100-frame sequence: \(text)")
    XCTAssertTrue(text.contains("fewer than one sequence"), text)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["small.mp4"], "nothing left behind")

    (code, text) = try runToEnd("/bin/bash", [script, video, dir + "/out", "--length", "10", "--size", "32"])
    XCTAssertEqual(code, 0, text)
    XCTAssertTrue(text.contains("tiles of 120 px"), text)
    let out = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted()
    XCTAssertEqual(out.filter { $0.hasPrefix("tile_0_0_") }.count, 7)
    XCTAssertEqual(out.filter { $0.hasPrefix("tile_40_0_") }.count, 7)
    XCTAssertTrue(out.contains("manifest.json"))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["out", "small.mp4"])
    let frames = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/tile_0_0_c00").sorted()
    XCTAssertEqual(frames.count, 10)
    let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/tile_0_0_c00/0001.png"))
    XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 32, 0, 0, 0, 32], "32×32 frames")
    let source = try DataConfig.open(path: dir + "/out")
    XCTAssertEqual(source.sequenceCount, 14)
    XCTAssertEqual(try source.sequences(inSplit: "test").count, 4)

    (code, text) = try runToEnd("/bin/bash", [script, video, dir + "/out"])
    XCTAssertNotEqual(code, 0, text)
    XCTAssertTrue(text.contains("not an empty folder"), text)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/out").count, 15, "left as it was")

    (code, text) = try runToEnd("/bin/bash", [script, video, dir + "/centre", "--tile", "0", "--length", "35"])
    XCTAssertEqual(code, 0, text)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/centre").sorted(), ["manifest.json", "tile_20_0_c00", "tile_20_0_c01"])
  }
}
