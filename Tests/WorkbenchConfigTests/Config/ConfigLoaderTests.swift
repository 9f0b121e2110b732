// Configs: defaults file equals built-in defaults, example files load, overrides, and every
// bad input is a one-line error naming the file/line or --set, the key and the valid range.
import Foundation
import XCTest

@testable import Workbench

let experimentsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Experiments").path

final class ConfigLoaderTests: XCTestCase {
  func load(_ yaml: String, overrides: [String] = []) throws -> ExperimentConfig {
    var c = ExperimentConfig()
    try ConfigLoader.apply(yaml: yaml, source: "test.yaml", to: &c)
    for o in overrides { try ConfigLoader.apply(override: o, to: &c) }
    try ConfigLoader.validate(c, at: "test.yaml")
    return c
  }

  func assertError(
    _ yaml: String, overrides: [String] = [], _ expected: String, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertThrowsError(try load(yaml, overrides: overrides), file: file, line: line) { error in
      XCTAssertEqual("\(error)", expected, file: file, line: line)
      XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
    }
  }

  /// `lmlab config defaults` (what `make build` writes to Experiments/defaults.yaml) reads back
  /// to the defaults and names every key.
  func testDefaultsListingReadsBackToTheDefaults() throws {
    let text = ConfigListing.defaultsYAML()
    var c = ExperimentConfig()
    c.model.nLandmarks = 7  // the listing must set it back
    try ConfigLoader.apply(yaml: text, source: "defaults listing", to: &c)
    XCTAssertEqual(c.changedKeys(from: ExperimentConfig()), [])
    for k in ConfigKeys.all { XCTAssertTrue(text.contains("  \(k.name): "), "the listing lacks \(k.name)") }
  }

  func testReferenceValuesAsDefaults() {
    let c = ExperimentConfig()
    XCTAssertEqual(c.model.nLandmarks, 30)
    XCTAssertEqual(c.model.imgSize, 128)
    XCTAssertEqual(c.model.nsf, 6)
    XCTAssertEqual(c.model.ngc, 64)
    XCTAssertEqual(c.model.nFilters, 32)
    XCTAssertEqual(c.model.poseDecoderChannels, [512, 256, 128])
    XCTAssertEqual(c.model.spadeHidden, 128)
    XCTAssertEqual(c.trainer.learningRate, 1e-4, accuracy: 1e-15)
    XCTAssertEqual(c.trainer.weightDecay, 5e-6, accuracy: 1e-15)
    XCTAssertEqual(c.dynamics.lstmLayers, 3)
    XCTAssertEqual(c.dynamics.lstmHidden, 256)
    XCTAssertEqual(c.pairs.rotUb, Double.pi / 8, accuracy: 1e-15)
  }

  func testEveryExampleFileLoads() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: experimentsDir).filter {
      $0.hasSuffix(".yaml")
    }
    XCTAssertGreaterThanOrEqual(files.count, 4)
    for f in files where f.hasSuffix(".sweep.yaml") {
      // Sweep specs parse; those on the synthetic set also expand into loadable trials (the
      // others need their dataset folder, dynamics ones a registry with their landmark run).
      let spec = try SweepSpec.load(path: experimentsDir + "/" + f)
      if f.hasSuffix("-demo.sweep.yaml") && spec.trainer == .landmarks {
        XCTAssertFalse(try spec.plan(registry: nil).trials.isEmpty, f)
      }
    }
    for f in files where !f.hasSuffix(".sweep.yaml") {
      XCTAssertNoThrow(try ConfigLoader.load(file: experimentsDir + "/" + f), f)
    }
    let demo = try ConfigLoader.load(file: experimentsDir + "/demo.yaml")
    XCTAssertEqual(demo.config.model.imgSize, 64)
    XCTAssertEqual(demo.config.model.poseDecoderChannels, [128, 64, 32])
    XCTAssertEqual(demo.sources, ["defaults", experimentsDir + "/demo.yaml"])
  }

  func testFlatAndSectionedKeysAndOverrides() throws {
    let c = try load(
      """
      n_landmarks: 40
      model:
        nsf: 4
      use_gan: True
      dataset_path:
      """,
      overrides: [
        "lr=3e-4", "pose_decoder_channels=[128, 64, 32]", "lpips_net=vgg", "seed=7", "dataset='frames'",
      ])
    XCTAssertEqual(c.model.nLandmarks, 40)
    XCTAssertEqual(c.model.nsf, 4)
    XCTAssertTrue(c.trainer.useGan)
    XCTAssertEqual(c.data.datasetPath, "")
    XCTAssertEqual(c.trainer.learningRate, 3e-4, accuracy: 1e-15)
    XCTAssertEqual(c.model.poseDecoderChannels, [128, 64, 32])
    XCTAssertEqual(c.eval.lpipsNet, "vgg")
    XCTAssertEqual(c.run.seed, 7)
    XCTAssertEqual(c.data.dataset, "frames")
    XCTAssertEqual(try load("", overrides: ["pose_decoder_channels=16,8,4"]).model.poseDecoderChannels, [16, 8, 4])
  }

  func testReferenceOnlyKeysAreIgnored() throws {
    XCTAssertEqual(try load("use_DDP: False\nnum_workers: 8\nn_landmarks: 20\n").model.nLandmarks, 20)
  }

  func testUnknownKeyNamesTheNearestValidKey() {
    assertError(
      "n_landmarks: 30\nn_landmark: 30\n",
      "test.yaml:2:1: unknown config key 'n_landmark' (did you mean 'n_landmarks'?)")
    assertError(
      "model:\n  spade_hiden: 32\n",
      "test.yaml:2:3: unknown config key 'spade_hiden' (did you mean 'spade_hidden'?)")
    assertError(
      "", overrides: ["vgg_lamda=2"],
      "--set vgg_lamda=2: unknown config key 'vgg_lamda' (did you mean 'vgg_lambda'?)")
    assertError("", overrides: ["zzzzzzzzzzzz=1"], "--set zzzzzzzzzzzz=1: unknown config key 'zzzzzzzzzzzz'")
  }

  func testRemovedKeysSayWhatReplacedThem() {
    assertError("save_freq: 2\n", "test.yaml:1:1: config key 'save_freq' was removed; use checkpoint_every (in steps)")
    assertError(
      "data:\n  val_frac: 0.5\n",
      "test.yaml:2:3: config key 'val_frac' was removed; use probe_frames (frames per split the keypoint probe encodes)")
    assertError(
      "", overrides: ["resume_ckpt=runs/1/step_0000100.h5"],
      "--set resume_ckpt=runs/1/step_0000100.h5: config key 'resume_ckpt' was removed; use `lmlab runs resume ID` "
        + "(a run continues from its own latest checkpoint)")
  }

  /// A run recorded before keys were removed still reads (they were never read, so skipping
  /// them changes nothing the run computed); a config file naming one is refused.
  func testRecordedConfigsWithRemovedKeysStillRead() throws {
    let json = #"{"n_landmarks":16,"resume_ckpt":"","save_freq":2,"val_frac":0.01,"val_freq":2}"#
    XCTAssertEqual(try ConfigLoader.recorded(json, runId: 7).model.nLandmarks, 16)
    XCTAssertThrowsError(try load(json)) { XCTAssertTrue("\($0)".contains("was removed"), "\($0)") }
  }

  /// A rule spanning keys is blamed on `--set` when overrides were given, not on the file.
  func testRulesBrokenByASetNameTheFlag() throws {
    let file = NSTemporaryDirectory() + "cfg-\(UUID().uuidString).yaml"
    try "n_landmarks: 10\n".write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    XCTAssertThrowsError(try ConfigLoader.load(file: file, overrides: ["img_size=24"])) {
      XCTAssertEqual("\($0)", "--set: img_size must be divisible by 16, got 24")
    }
    XCTAssertThrowsError(try ConfigLoader.load(file: file, overrides: ["batch_size=two"])) {
      XCTAssertEqual("\($0)", "--set batch_size=two: batch_size must be an integer in 1...4096, got 'two'")
    }
  }

  func testBadValueNamesTheAllowedRange() {
    assertError("n_landmarks: 0\n", "test.yaml:1:14: n_landmarks must be an integer in 1...512, got '0'")
    assertError(
      "n_landmarks: many\n", "test.yaml:1:14: n_landmarks must be an integer in 1...512, got 'many'")
    assertError("hue: 0.9\n", "test.yaml:1:6: hue must be a number in 0.0...0.5, got '0.9'")
    assertError("use_gan: maybe\n", "test.yaml:1:10: use_gan must be true or false, got 'maybe'")
    assertError(
      "", overrides: ["lpips_net=resnet"],
      "--set lpips_net=resnet: lpips_net must be one of alex, vgg, squeeze, got 'resnet'")
    assertError(
      "pose_decoder_channels: [1, 2]\n",
      "test.yaml:1:24: pose_decoder_channels must be a list of 3 integers in 1...4096, got '[1, 2]'")
    assertError("n_landmarks: [1]\n", "test.yaml:1:14: n_landmarks must be an integer in 1...512, got '[1]'")
    assertError("", overrides: ["seed"], "--set seed: expected key=value")
  }

  func testCrossKeyRulesAndSyntaxErrors() {
    assertError("img_size: 100\n", "test.yaml: img_size must be divisible by 16, got 100")
    assertError("scale_lb: 2\n", "test.yaml: scale_lb (2.0) must not exceed scale_ub (1.15)")
    assertError("[1, 2]\n", "test.yaml:1:1: expected a mapping of config keys")
    XCTAssertThrowsError(try load("a: 1\na: 2\n")) { e in
      XCTAssertTrue("\(e)".hasPrefix("test.yaml:"), "\(e)")
      XCTAssertTrue("\(e)".contains("duplicated"), "\(e)")
      XCTAssertFalse("\(e)".contains("\n"))
    }
    XCTAssertThrowsError(try load("n_landmarks: [1, 2\n")) { e in
      XCTAssertTrue("\(e)".hasPrefix("test.yaml:"), "\(e)")
      XCTAssertFalse("\(e)".contains("\n"), "\(e)")
    }
    XCTAssertThrowsError(try ConfigLoader.load(file: "/nonexistent/x.yaml")) {
      XCTAssertTrue("\($0)".hasPrefix("/nonexistent/x.yaml: cannot read config"), "\($0)")
    }
  }

  func testCanonicalJSONHashAndParams() throws {
    let a = ExperimentConfig()
    var b = a
    b.model.nLandmarks = 40
    XCTAssertNotEqual(a.hash, b.hash)
    XCTAssertEqual(a.hash, ExperimentConfig().hash)
    XCTAssertEqual(b.changedKeys(from: a), ["n_landmarks"])
    let json = a.canonicalJSON()
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    XCTAssertEqual(object.count, ConfigKeys.all.count)
    XCTAssertEqual(object["pose_decoder_channels"] as? [Int], [512, 256, 128])
    let params = a.paramEntries()
    XCTAssertEqual(params.first { $0.key == "n_landmarks" }?.number, 30)
    XCTAssertEqual(params.first { $0.key == "use_gan" }?.text, "false")
    // The YAML dump reads back to the same config.
    var c = ExperimentConfig()
    try ConfigLoader.apply(yaml: b.yaml(), source: "dump", to: &c)
    XCTAssertEqual(c, b)
    XCTAssertEqual(b.yaml(onlyChangedFrom: a), "model:\n  n_landmarks: 40\n")
  }
}
