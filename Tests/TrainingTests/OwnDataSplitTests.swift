// One's own data, the silent cases of issue 25 items 1-2, through the library the commands call:
// a split the source lacks is an error naming the source and its splits (predict, interpolate,
// encode, eval keypoints); training on a source without splits says so (printed, and the run's
// `train_split: all`), predict/interpolate on it need `--split all` and record `held_out: false`,
// and the report repeats the note; `--test-data` (or `test_data_path`) scores a separate file;
// `encode` reads an .h5 video array and one split; `eval keypoints` splits whole-dataset files
// itself; a non-PNG file in a sequence folder is the same error in every reader.
import Datasets
import Foundation
import Registry
import Storage
import TestSupport
import XCTest

@testable import Workbench

final class OwnDataSplitTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("own-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  /// A synthetic frame folder (32 px, 6 sequences of 12 frames) with or without its manifest.
  func frameFolder(_ name: String, splits: Bool) throws -> String {
    let root = dir + "/" + name
    _ = try DataTools.synthesize(sequences: 6, frames: 12, size: 32, seed: 3, to: root)
    if !splits {
      try FileManager.default.removeItem(atPath: root + "/manifest.json")
      try FileManager.default.removeItem(atPath: root + "/keypoints.csv")
    }
    return root
  }

  /// A [3, 12, 32, 32, 3] video array, optionally with a `split` dataset.
  func videoArray(_ name: String, split: [String]? = nil) throws -> String {
    let path = dir + "/" + name
    var bytes = [UInt8](repeating: 0, count: 3 * 12 * 32 * 32 * 3)
    for i in bytes.indices { bytes[i] = UInt8((i * 7) % 251) }
    let f = try HDF5File(path: path, mode: .create)
    try f.write("videos", uint8s: bytes, shape: [3, 12, 32, 32, 3])
    if let split { try f.write("split", strings: split) }
    try f.close()
    return path
  }

  static let tiny = [
    "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]", "spade_hidden=4",
    "batch_size=2", "use_vgg=false", "mse_lambda=1", "temporal_min_gap=1", "temporal_max_gap=4", "max_steps=2",
    "checkpoint_every=2", "sample_every=2", "probe_every=0", "probe_frames=16", "seed=2",
  ]

  /// A finished 2-step landmarks run on `data` (extra overrides after), and the lines it printed.
  func train(_ registry: Registry, data: String, _ extra: [String] = []) throws -> (Int64, [String]) {
    var lines: [String] = []
    var o = TrainOptions()
    o.progressStyle = .silent
    o.print = { lines.append($0) }
    let sets = Self.tiny + ["dataset=frames", "dataset_path=\(data)", "save_path=\(dir)/runs"] + extra
    let s = try LandmarkTraining.start(try ConfigLoader.load(file: nil, overrides: sets), registry: registry, options: o)
    XCTAssertEqual(s.status, .finished)
    return (s.runId, lines)
  }

  func param(_ registry: Registry, _ run: Int64, _ key: String) throws -> String? {
    try registry.params(runId: run).first { $0.key == key }?.text
  }

  func message(_ body: () throws -> Any) -> String {
    do {
      _ = try body()
      return "no error"
    } catch { return "\(error)" }
  }

  func predict(_ registry: Registry, run: Int64, out: String, split: String? = nil, testData: String? = nil) throws -> PredictSummary {
    var r = PredictRequest(runId: run, out: dir + "/" + out)
    r.method = .copyLast
    r.context = 2
    r.horizon = 3
    r.target.split = split
    r.target.testData = testData
    return try Prediction.run(r, registry: registry, print: { _ in })
  }

  func testASourceWithoutSplitsIsSaidInTrainingPredictAndTheReport() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let data = try frameFolder("nosplit", splits: false)
    let (lm, lines) = try train(registry, data: data)
    XCTAssertTrue(
      lines.contains("note: \(data) defines no splits: training on all 6 sequences; no held-out split: scores on this source are on training sequences (add \(data)/manifest.json like {\"splits\": {\"train\": [...], \"test\": [...]}})"),
      lines.joined(separator: "\n"))
    XCTAssertEqual(try param(registry, lm, "train_split"), "all")
    // A dynamics run on it says the same.
    var dynLines: [String] = []
    var o = TrainOptions()
    o.progressStyle = .silent
    o.print = { dynLines.append($0) }
    let dynSets = ["n_inputs=2", "n_future=2", "lstm_layers=1", "lstm_hidden=8", "dyn_batch_size=2", "dyn_steps=1", "dyn_checkpoint_every=1"]
    let dyn = try DynamicsTraining.start(landmarksRun: lm, configFile: nil, overrides: dynSets, registry: registry, options: o)
    XCTAssertEqual(try param(registry, dyn.runId, "train_split"), "all")
    XCTAssertTrue(dynLines.contains { $0.hasPrefix("note: \(data) defines no splits: training on all 6 sequences") }, dynLines.joined(separator: "\n"))

    // The default split (test), and any other name, is an error naming the source; nothing is registered.
    let before = try registry.listRuns().totalMatching
    for split in [nil, "whatever"] as [String?] {
      let m = message { try predict(registry, run: lm, out: "p-\(split ?? "default")", split: split) }
      XCTAssertTrue(m.hasPrefix("\(data): no split '\(split ?? "test")': it defines no splits; add \(data)/manifest.json"), m)
      var r = InterpolateRequest(runId: lm, out: dir + "/i-\(split ?? "default")")
      r.target.split = split
      let i = message { try InterpolationRun.run(r, registry: registry, print: { _ in }) }
      XCTAssertTrue(i.hasPrefix("\(data): no split '\(split ?? "test")'"), i)
    }
    XCTAssertEqual(try registry.listRuns().totalMatching, before, "a refused split registers no run")
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/p-default"))

    // --split all scores anyway, and says so: printed, recorded, and in the report.
    let s = try predict(registry, run: lm, out: "p-all", split: "all")
    XCTAssertTrue(s.notes.contains { $0.hasPrefix("no held-out split: scores are on training sequences (\(data) defines no splits") }, "\(s.notes)")
    XCTAssertEqual(try param(registry, s.runId, "held_out"), "false")
    XCTAssertEqual(try param(registry, s.runId, "predict_split"), "all")
    let report = try ReportInputs.load(.runs([lm, s.runId]), registry: registry, title: "t")
    XCTAssertTrue(report.notes.contains { $0.hasPrefix("Runs \(s.runId): no held-out split: scores are on training sequences") }, "\(report.notes)")
  }

  func testASourceWithSplitsTrainsOnTrainAndScoresHeldOut() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let data = try frameFolder("split", splits: true)
    let (lm, lines) = try train(registry, data: data)
    XCTAssertFalse(lines.contains { $0.contains("no held-out split") }, lines.joined(separator: "\n"))
    XCTAssertEqual(try param(registry, lm, "train_split"), "train")
    let s = try predict(registry, run: lm, out: "p")
    XCTAssertEqual(try param(registry, s.runId, "held_out"), "true")
    let test = try FrameFolderDataset(root: data)
    XCTAssertEqual(Set(s.evaluation.pairs.map(\.sequence)), Set(test.splits!["test"]!.map { test.sequenceNames[$0] }))
    // A split the manifest lacks: the error names the source, its splits and the manifest.
    XCTAssertEqual(
      message { try predict(registry, run: lm, out: "q", split: "holdout") },
      "\(data): no split 'holdout' (splits: test, train, val); \(data)/manifest.json defines the splits")
    // --split train scores training sequences: recorded as not held out.
    let t = try predict(registry, run: lm, out: "t", split: "train")
    XCTAssertEqual(try param(registry, t.runId, "held_out"), "false")
    // Training on a manifest without a `train` split is refused, naming the splits it has.
    try #"{"splits": {"test": ["seq_000"]}}"#.write(toFile: data + "/manifest.json", atomically: true, encoding: .utf8)
    XCTAssertTrue(
      message { try train(registry, data: data) }.contains(
        "\(data): no split 'train' (splits: test); \(data)/manifest.json defines the splits; training reads the `train` split"))
  }

  func testTestDataScoresASeparateFileOrTheConfigsTestDataPath() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let data = try frameFolder("split", splits: true)
    let testFile = try videoArray("test.h5")
    let (lm, _) = try train(registry, data: data)
    // Every sequence of the separate file, held out.
    let s = try predict(registry, run: lm, out: "p", testData: testFile)
    XCTAssertEqual(Set(s.evaluation.pairs.map(\.sequence)), ["video_00000", "video_00001", "video_00002"])
    XCTAssertEqual(try param(registry, s.runId, "held_out"), "true")
    XCTAssertEqual(try param(registry, s.runId, "predict_data"), testFile)
    // A split the separate file lacks is refused naming it.
    XCTAssertTrue(message { try predict(registry, run: lm, out: "q", split: "test", testData: testFile) }.hasPrefix("\(testFile): no split 'test'"))
    // Only the separate file is read: the training folder may be gone.
    try FileManager.default.moveItem(atPath: data, toPath: data + "-moved")
    XCTAssertEqual(Set(try predict(registry, run: lm, out: "gone", testData: testFile).evaluation.pairs.map(\.sequence)).count, 3)
    try FileManager.default.moveItem(atPath: data + "-moved", toPath: data)
    // The config key does the same without the option.
    let (lm2, _) = try train(registry, data: data, ["test_data_path=\(testFile)"])
    let c = try predict(registry, run: lm2, out: "c")
    XCTAssertEqual(Set(c.evaluation.pairs.map(\.sequence)), ["video_00000", "video_00001", "video_00002"])
  }

  func testEncodeReadsAVideoArrayAndOneSplit() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let (lm, _) = try train(registry, data: try frameFolder("split", splits: true))
    let model = try LandmarkEncoding.loadModel(checkpoint: try LandmarkEncoding.latestCheckpoint(runId: lm, registry: registry))
    let file = try videoArray("clips.h5", split: ["train", "test", "train"])
    let all = try LandmarkEncoding.encode(model: model, framesDir: file, out: dir + "/all.h5")
    XCTAssertEqual(all.frames, 36)
    _ = try LandmarkEncoding.encode(model: model, framesDir: file, split: "test", out: dir + "/test.h5")
    let test = try LandmarkFile.read(from: dir + "/test.h5")
    XCTAssertEqual(Set(test.sequence), ["video_00001"])
    XCTAssertEqual(test.count, 12)
    XCTAssertEqual(
      message { try LandmarkEncoding.encode(model: model, framesDir: file, split: "val", out: dir + "/val.h5") },
      "\(file): no split 'val' (splits: test, train); \(file)'s `split` dataset defines the splits")
  }

  func testEvalKeypointsSplitsWholeDatasetFilesItself() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let data = try frameFolder("split", splits: true)
    let (lm, _) = try train(registry, data: data)
    let model = try LandmarkEncoding.loadModel(checkpoint: try LandmarkEncoding.latestCheckpoint(runId: lm, registry: registry))
    _ = try LandmarkEncoding.encode(model: model, framesDir: data, out: dir + "/all.h5")
    let ds = try FrameFolderDataset(root: data)
    func names(_ split: String) -> Set<String> { Set(ds.splits![split]!.map { ds.sequenceNames[$0] }) }
    let e = try evaluateKeypoints(
      landmarks: dir + "/all.h5", keypoints: data + "/keypoints.csv", splits: try KeypointSplits.besideKeypoints(data + "/keypoints.csv"),
      imageSize: 32, threshold: 3)
    XCTAssertEqual(e.trainFrames, 12 * names("train").count)
    XCTAssertEqual(Set(e.sequence), names("test"))
    XCTAssertEqual(e.sequence.count, 12 * names("test").count)
    // The same numbers as per-split files encoded with --split (the old way, by hand).
    _ = try LandmarkEncoding.encode(model: model, framesDir: data, split: "train", out: dir + "/train.h5")
    _ = try LandmarkEncoding.encode(model: model, framesDir: data, split: "test", out: dir + "/test.h5")
    let table = try KeypointTable.read(data + "/keypoints.csv")
    for split in ["train", "test"] {
      var csv = "sequence,frame,keypoint,x,y\n"
      for s in names(split).sorted() {
        for (f, points) in table.points[s]!.sorted(by: { $0.key < $1.key }) {
          for (k, p) in points.enumerated() { csv += "\(s),\(f),\(table.names[k]),\(p.x),\(p.y)\n" }
        }
      }
      try csv.write(toFile: dir + "/\(split).csv", atomically: true, encoding: .utf8)
    }
    let byHand = try evaluateKeypoints(
      trainLandmarks: dir + "/train.h5", trainKeypoints: dir + "/train.csv", testLandmarks: dir + "/test.h5",
      testKeypoints: dir + "/test.csv", imageSize: 32, threshold: 3)
    XCTAssertEqual(e.distances.count, byHand.distances.count)
    XCTAssertEqual(e.accuracy.overall, byHand.accuracy.overall, accuracy: 1e-12)
    // A split the manifest lacks is refused naming it.
    XCTAssertEqual(
      message {
        try evaluateKeypoints(
          landmarks: dir + "/all.h5", keypoints: data + "/keypoints.csv", splits: data + "/manifest.json", testSplit: "holdout",
          imageSize: 32)
      },
      "\(data)/manifest.json: no split 'holdout' (splits: test, train, val); \(data)/manifest.json defines the splits")
    // Fitting and scoring one split, and a CSV with no manifest beside it, are refused.
    XCTAssertTrue(
      message {
        try evaluateKeypoints(
          landmarks: dir + "/all.h5", keypoints: data + "/keypoints.csv", splits: data + "/manifest.json", testSplit: "train", imageSize: 32)
      }.contains("train and test split are both 'train': nothing is held out"))
    try FileManager.default.copyItem(atPath: data + "/keypoints.csv", toPath: dir + "/keypoints.csv")
    XCTAssertTrue(message { try KeypointSplits.besideKeypoints(dir + "/keypoints.csv") }.contains("no manifest.json beside it (\(dir)/manifest.json)"))
  }

  /// Frames 5-9 of one sequence as .jpg: every reader refuses the folder with the same message,
  /// naming the first of them.
  func testANonPNGFileInASequenceIsTheSameErrorInEveryReader() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let good = try frameFolder("good", splits: false)
    let bad = try frameFolder("bad", splits: false)
    let seq = bad + "/seq_000"
    let frames = try FileManager.default.contentsOfDirectory(atPath: seq).sorted()
    for f in frames[5...9] {
      try FileManager.default.moveItem(atPath: seq + "/" + f, toPath: seq + "/" + f.replacingOccurrences(of: ".png", with: ".jpg"))
    }
    let first = seq + "/" + frames[5].replacingOccurrences(of: ".png", with: ".jpg")
    let expected = "\(first): not a PNG frame in a sequence folder (every file there must be <frame>.png)"
    let (lm, _) = try train(registry, data: good)
    let readers: [(String, () throws -> Any)] = [
      ("data inspect", { try DataTools.inspect(try DataTools.open(bad), verify: true) }),
      ("train", { try self.train(registry, data: bad) }),
      ("predict --test-data", { try self.predict(registry, run: lm, out: "p", testData: bad) }),
      ("encode", { try LandmarkEncoding.encode(model: try LandmarkEncoding.loadModel(checkpoint: try LandmarkEncoding.latestCheckpoint(runId: lm, registry: registry)), framesDir: bad, out: self.dir + "/e.h5") }),
      ("eval frames", { try evaluateFrames(reference: good, predicted: bad, method: "m", metrics: [.psnr]) }),
      ("import predictions", { try PredictionImport.run(ImportRequest(method: "other", dir: bad, reference: good), registry: registry, print: { _ in }) }),
      ("import reference", { try PredictionImport.run(ImportRequest(method: "other", dir: good, reference: bad), registry: registry, print: { _ in }) }),
    ]
    for (what, body) in readers { XCTAssertEqual(message(body), expected, what) }
  }

  /// The commands as a user types them: `data inspect --split`, `encode --frames FILE.h5 --split`,
  /// `eval keypoints --landmarks --keypoints` (splits from the manifest beside the CSV).
  func testTheCommandsTakeSplitsVideoArraysAndWholeDatasetFiles() throws {
    let lmlab = try lmlabBinary()
    let registry = try Registry(path: dir + "/reg.sqlite")
    let data = try frameFolder("split", splits: true)
    let (lm, _) = try train(registry, data: data)
    try registry.close()
    func run(_ args: [String]) throws -> BoundedRun {
      try runBounded(lmlab, args + (["encode", "predict"].contains(args[0]) ? ["--registry", dir + "/reg.sqlite"] : []), in: dir, seconds: 120)
    }
    let inspect = try run(["data", "inspect", data, "--split", "holdout", "--sheet", dir + "/sheet.png"])
    XCTAssertNotEqual(inspect.status, 0)
    XCTAssertTrue(inspect.stderr.contains("\(data): no split 'holdout' (splits: test, train, val); \(data)/manifest.json defines the splits"), inspect.stderr)
    let test = try run(["data", "inspect", data, "--split", "test", "--sheet", dir + "/sheet.png"])
    XCTAssertEqual(test.status, 0, test.stderr)
    XCTAssertTrue(test.stdout.contains("sequences:  6, 2 in split 'test' (below)\nframes:     24 total"), test.stdout)

    let file = try videoArray("clips.h5", split: ["train", "test", "train"])
    let h5 = try run(["data", "inspect", file, "--sheet", dir + "/sheet.png"])
    XCTAssertTrue(h5.stdout.contains("splits:     test 1 seq / 12 frames, train 2 seq / 24 frames (from \(file)'s `split` dataset)"), h5.stdout)
    let encode = try run(["encode", "--run", "\(lm)", "--frames", file, "--split", "train", "--out", dir + "/train.h5"])
    XCTAssertEqual(encode.status, 0, encode.stderr)
    XCTAssertTrue(encode.stdout.hasPrefix("encoded 24 frames (K 3)"), encode.stdout)

    let all = try run(["encode", "--run", "\(lm)", "--frames", data, "--out", dir + "/all.h5"])
    XCTAssertEqual(all.status, 0, all.stderr)
    let eval = try run([
      "eval", "keypoints", "--landmarks", dir + "/all.h5", "--keypoints", data + "/keypoints.csv", "--image-size", "32", "--threshold", "3",
    ])
    XCTAssertEqual(eval.status, 0, eval.stderr)
    XCTAssertTrue(eval.stdout.hasPrefix("fitted on 24 train frames, scored 24 test frames × 7 keypoints"), eval.stdout)
  }
}
