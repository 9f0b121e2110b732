// DocumentedFormatsTests: every input format the README and DESIGN §4 document, written by hand
// exactly as they show it (HDF5 files through h5py, as another tool would), is read as
// documented; malformed files give one line naming the file and the field or line at fault.
import Datasets
import Foundation
import Imaging
import Registry
import Storage
import XCTest

@testable import Workbench

final class DocumentedFormatsTests: XCTestCase {
  var dir: String = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("formats-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  func write(_ text: String, _ path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }

  /// README's frame folder: DIR/<sequence>/<frame>.png (sorted by the last number in the name),
  /// DIR/keypoints.csv, DIR/manifest.json as `{"splits": {"train": [...], ...}}` (no `format`).
  /// Four sequences of `frames` 32×32 frames; every frame has keypoints `head` and `hand`.
  func makeReadmeFolder(frames: Int = 8, manifest: String? = nil) throws -> String {
    let root = dir + "/DIR"
    var csv = "sequence,frame,keypoint,x,y\n"
    for (q, name) in ["walk", "jump", "run", "sit"].enumerated() {
      try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
      for t in 0..<frames {
        let number = t == frames - 1 ? 100 : t + 1  // 1, 2, ..., 100: numeric, not text, order
        var im = RGBImage(width: 32, height: 32, fill: (0.2, 0.3, 0.4))
        im.fillCircle(cx: Float(8 + 2 * t), cy: Float(10 + 3 * q), radius: 3, color: .keypoint(q))
        try writePNG(im, to: root + "/\(name)/frame_\(String(format: "%04d", number)).png")
        csv += "\(name),\(number),head,\(8 + 2 * t),\(10 + 3 * q)\n\(name),\(number),hand,\(20 - t).5,\(24 - q)\n"
      }
    }
    try write(csv, root + "/keypoints.csv")
    try write(
      manifest ?? #"{"splits": {"train": ["walk", "jump"], "val": ["run"], "test": ["sit"]}}"#,
      root + "/manifest.json")
    return root
  }

  func testReadmeFrameFolderWithManifestAndKeypointsReads() throws {
    let root = try makeReadmeFolder()
    let ds = try FrameFolderDataset(root: root)
    XCTAssertEqual(ds.sequenceNames, ["jump", "run", "sit", "walk"])
    XCTAssertEqual(ds.splits?["train"], [3, 0])
    XCTAssertEqual(ds.splits?["val"], [1])
    XCTAssertEqual(ds.splits?["test"], [2])
    XCTAssertEqual(ds.manifest?.format, DatasetManifest.currentFormat, "a missing format means the current one")
    XCTAssertEqual(ds.frameNumbers[3], [1, 2, 3, 4, 5, 6, 7, 100])
    XCTAssertEqual(ds.keypoints?.names, ["head", "hand"])
    XCTAssertEqual(ds.keypoints?.keypoints(sequence: "walk", frame: 100), [SIMD2(22, 10), SIMD2(13.5, 24)])
    XCTAssertEqual(ds.width, 32)
  }

  /// `train landmarks --set dataset=frames --set dataset_path=DIR` on the README's layout, and
  /// the two manifest mistakes a user makes, each one line naming the file and the problem.
  func testTrainsOnReadmeFolderAndManifestMistakesAreOneLine() throws {
    let root = try makeReadmeFolder()
    let sets = [
      "dataset=frames", "dataset_path=\(root)", "img_size=32", "n_landmarks=4", "nsf=2", "ngc=4", "n_filters=4",
      "pose_decoder_channels=[8,8,8]", "spade_hidden=4", "batch_size=2", "use_vgg=false", "mse_lambda=1",
      "temporal_min_gap=1", "temporal_max_gap=4", "max_steps=2", "probe_frames=10", "save_path=\(dir)/runs",
    ]
    var quiet = TrainOptions()
    quiet.progressStyle = .silent
    quiet.print = { _ in }
    let registry = try Registry(path: dir + "/reg.sqlite")
    let s = try LandmarkTraining.start(try ConfigLoader.load(file: nil, overrides: sets), registry: registry, options: quiet)
    XCTAssertEqual(s.status, .finished)
    XCTAssertEqual(s.steps, 2)
    let acc = try XCTUnwrap(s.keypointAccuracy, "the README folder has keypoints and train/test splits: probed")
    XCTAssertTrue((0...1).contains(acc))

    let manifest = root + "/manifest.json"
    for (text, expected) in [
      (#"{"train": ["walk"]}"#, "missing field `splits` (expected {\"splits\": {\"train\": [...], \"val\": [...], \"test\": [...]}})"),
      (#"{"splits": {"train": ["walk", "crawl"], "test": ["sit"]}}"#, "split `train` names sequence `crawl`, which has no folder"),
      (#"{"splits": {"train": "walk"}}"#, "field `splits.train` must be a list of strings, got a string"),
      (#"{"splits": {"train": ["walk"]}, "format": "lmlab-frames/9"}"#, "field `format` is `lmlab-frames/9`; this build reads `lmlab-frames/1`"),
    ] {
      try write(text, manifest)
      XCTAssertThrowsError(try LandmarkTraining.start(try ConfigLoader.load(file: nil, overrides: sets), registry: registry, options: quiet)) {
        XCTAssertEqual("\($0)", "\(manifest): \(expected)")
      }
    }
    try write(#"{"splits": {"train": ["walk",]}"#, manifest)
    XCTAssertThrowsError(try FrameFolderDataset(root: root)) {
      let message = "\($0)"
      XCTAssertTrue(message.hasPrefix("\(manifest): invalid JSON: "), message)
      XCTAssertFalse(message.contains("\n") || message.contains("Error("), message)
    }
  }

  /// DESIGN §4 landmark file and README video arrays, written by h5py as other tools do.
  func testH5pyWrittenLandmarkFileAndVideoArraysRead() throws {
    let script = """
      import h5py, numpy as np, sys
      d = sys.argv[1]
      with h5py.File(d + "/landmarks.h5", "w") as f:   # mu float32 [N,K,2], covariance [N,K,2,2], sequence, frame [N]
          f["mu"] = np.array([[[0.5, -0.25]], [[0.0, 0.125]]], dtype=np.float32)
          f["covariance"] = np.array([[[[0.01, 0], [0, 0.02]]], [[[0.03, 0], [0, 0.04]]]], dtype=np.float32)
          f["sequence"] = np.array(["a", "b"], dtype=h5py.string_dtype())
          f["frame"] = np.array([4, 9])
      v = np.arange(2 * 3 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 3, 4, 5, 3)   # uint8 [N, T, H, W, C]
      with h5py.File(d + "/rgb.h5", "w") as f:
          f["videos"] = v
          f["sequence"] = np.array([b"clip_a", b"clip_b"])                      # optional [N] strings
      with h5py.File(d + "/gray.h5", "w") as f:
          f["videos"] = v[..., :1]                                              # C = 1, no names
      with h5py.File(d + "/numbered.h5", "w") as f:
          f["videos"] = v
          f["sequence"] = np.array([10, 11], dtype=np.int32)
      """
    try runH5pyScript(script, [dir])
    let lm = try LandmarkFile.read(from: dir + "/landmarks.h5")
    XCTAssertEqual(lm.mu.shape, [2, 1, 2])
    XCTAssertEqual(lm.mu.values, [0.5, -0.25, 0, 0.125])
    XCTAssertEqual(lm.covariance.values[7], 0.04, accuracy: 1e-7)
    XCTAssertEqual(lm.sequence, ["a", "b"])
    XCTAssertEqual(lm.frame, [4, 9])

    let rgb = try DataTools.open(dir + "/rgb.h5")
    XCTAssertEqual(rgb.sequenceNames, ["clip_a", "clip_b"])
    XCTAssertEqual([rgb.width, rgb.height, rgb.frameCount(sequence: 1)], [5, 4, 3])
    // Video 1, frame 2, pixel (x 1, y 0): byte offset ((1*3 + 2)*4*5 + 1)*3 = 303, 304, 305 → mod 256.
    let px = try rgb.frame(sequence: 1, index: 2)
    XCTAssertEqual(px.pixels[1] * 255, 47, accuracy: 1e-3)
    XCTAssertEqual(px.pixels[20 + 1] * 255, 48, accuracy: 1e-3)
    let gray = try DataTools.open(dir + "/gray.h5")
    XCTAssertEqual(gray.sequenceNames, ["video_00000", "video_00001"])
    XCTAssertEqual(try DataTools.open(dir + "/numbered.h5").sequenceNames, ["10", "11"])
  }

  /// Keypoint CSVs with a bad line, and YAML configs (Experiments/ style): one line naming the
  /// file and the line, never a Swift decoding dump.
  func testKeypointCsvAndConfigErrorsNameFileAndLine() throws {
    let csv = dir + "/keypoints.csv"
    try write("sequence,frame,keypoint,x,y\nwalk,1,head,3,4\nwalk,two,head,3,4\n", csv)
    XCTAssertThrowsError(try KeypointTable.read(csv)) {
      XCTAssertEqual("\($0)", "\(csv):3: frame `two` is not an integer")
    }
    let yaml = dir + "/exp.yaml"
    try write("data:\n  img_size: 64\nmodel:\n  n_landmarks: 10\n  use_identity_covariance: true\n", yaml)
    let loaded = try ConfigLoader.load(file: yaml)
    XCTAssertEqual([loaded.config.model.imgSize, loaded.config.model.nLandmarks], [64, 10])
    XCTAssertTrue(loaded.config.model.useIdentityCovariance)
    try write("n_landmarks: [10\n", yaml)
    XCTAssertThrowsError(try ConfigLoader.load(file: yaml)) {
      let message = "\($0)"
      XCTAssertTrue(message.hasPrefix("\(yaml):"), message)
      XCTAssertFalse(message.contains("\n"), message)
    }
  }
}
