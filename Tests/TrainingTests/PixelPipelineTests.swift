// Pixel predictor pipeline must-shows on a tiny config (32 px, 10 synthetic sequences of 12
// frames, 6 steps): a pixel run resumes exactly after SIGTERM, stops on a NaN loss naming the
// step and the last good checkpoint, and feeds `predict --method pixel`, whose frame folders,
// scores.csv and registry scores agree; bad input (a pixel run where a landmarks or dynamics
// run is needed and the reverse, a context longer than the sequences, horizon 0) fails in one
// line naming it, before anything is written.
import Foundation
import Registry
import TestSupport
import XCTest

@testable import Workbench

final class PixelPipelineTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("pixel-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  var pixelSets: [String] {
    [
      "img_size=32", "synth_sequences=10", "synth_frames=12", "seed=2", "n_inputs=2", "n_future=3", "n_context=2",
      "n_rollout=4", "pixel_channels=[4,8]", "pixel_kernels=2", "pixel_kernel_size=3", "pixel_batch_size=2", "pixel_steps=6",
      "pixel_checkpoint_every=3", "save_path=\(dir)/runs",
    ]
  }

  func pixelConfig(_ extra: [String] = []) throws -> LoadedConfig {
    try ConfigLoader.load(file: nil, overrides: pixelSets + extra, kind: PixelTraining.runKind)
  }

  func pixelRun(_ registry: Registry, options: TrainOptions = TinyRuns.quiet()) throws -> TrainSummary {
    try PixelTraining.start(try pixelConfig(), registry: registry, options: options)
  }

  func testTrainResumeExactly() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let a = try pixelRun(registry)
    XCTAssertEqual(a.status, .finished)
    XCTAssertEqual(try registry.run(a.runId).kind, "train-pixel")
    XCTAssertEqual(try registry.series(runId: a.runId, name: "loss").count, 6)
    XCTAssertEqual(try registry.detail(a.runId).checkpoints.map(\.step), [3, 6])
    let val = try registry.series(runId: a.runId, name: "val_psnr")
    XCTAssertEqual(val.map(\.step), [0, 3, 6], "validation at the start, each checkpoint and the end")
    XCTAssertTrue(val.allSatisfy { $0.value.isFinite && $0.value > 5 }, "\(val.map(\.value))")

    // SIGTERM at step 4, resume: the same losses bit for bit.
    var opts = TinyRuns.quiet()
    opts.afterStep = { if $0 == 4 { raise(SIGTERM) } }
    let b = try pixelRun(registry, options: opts)
    XCTAssertEqual(b.status, .interrupted)
    XCTAssertEqual(b.steps, 4, "stopped by the SIGTERM raised after step 4")
    XCTAssertTrue(try registry.run(b.runId).error?.contains("SIGTERM") ?? false, "the run names the signal")
    let c = try TrainingRuns.resumeHere(runId: b.runId, registry: registry, options: TinyRuns.quiet())
    XCTAssertEqual(c?.status, .finished)
    XCTAssertEqual(try registry.run(b.runId).resumedFromStep, 4)
    XCTAssertEqual(try registry.summaries(runId: b.runId).first { $0.name == "loss" }?.pointsLogged, 6, "steps 5-6 only after the resume")
    XCTAssertEqual(
      try registry.series(runId: b.runId, name: "loss").map { $0.value.bitPattern },
      try registry.series(runId: a.runId, name: "loss").map { $0.value.bitPattern })
    XCTAssertEqual(
      try registry.series(runId: b.runId, name: "val_psnr").last?.value.bitPattern, val.last?.value.bitPattern,
      "the resumed run's final model is the uninterrupted one's")
  }

  func testNaNLossStopsRunNamingStepAndCheckpoint() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    var opts = TinyRuns.quiet()
    opts.lossInjection = { step in step == 4 ? .nan : 0 }  // the 5th step
    XCTAssertThrowsError(try pixelRun(registry, options: opts)) { e in
      guard case TrainError.nonFinite(let step, _, let ckpt)? = e as? TrainError else { return XCTFail("\(e)") }
      XCTAssertEqual(step, 5)
      XCTAssertTrue(ckpt?.hasSuffix("pixel_0000003.h5") ?? false, ckpt ?? "nil")
    }
    let run = try registry.run(1)
    XCTAssertEqual(run.status, .failed)
    XCTAssertTrue(run.error?.contains("step 5") ?? false, run.error ?? "")
    XCTAssertEqual(try registry.series(runId: 1, name: "loss").count, 4, "nothing logged for the NaN step")
  }

  func testPredictPixelWritesScoresAndRegistersLikeAnyMethod() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let p = try pixelRun(registry)
    var r = PredictRequest(runId: p.runId, out: "\(dir)/pred-pixel")
    r.method = .pixel
    r.horizon = 15  // past the 12-frame sequences' end: the rest goes to unscored/
    let s = try Prediction.run(r, registry: registry, print: { _ in })
    let run = try registry.detail(s.runId)
    XCTAssertEqual(run.run.kind, Prediction.runKind)
    XCTAssertEqual(run.run.parentId, p.runId)
    XCTAssertEqual(run.run.status, .finished)
    XCTAssertTrue(run.run.configJSON.contains("\"predict_method\":\"pixel\""), run.run.configJSON)
    XCTAssertEqual(Set(s.evaluation.pairs.map(\.frame)), Set(2..<12), "context frames 0, 1 are never scored")
    let sequences = Set(s.evaluation.pairs.map(\.sequence))
    XCTAssertEqual(sequences.count, try TrainSetup.dataset(try pixelConfig().config).sequences(inSplit: "test").count)
    XCTAssertFalse(s.evaluation.metricNames.contains("landmark-error-px"))
    XCTAssertTrue(s.evaluation.metricNames.starts(with: ["psnr", "ssim"]), "\(s.evaluation.metricNames)")

    // scores.csv and the registry hold the same values, one per scored frame and metric.
    let csv = try String(contentsOfFile: r.target.out + "/scores.csv", encoding: .utf8).split(separator: "\n").dropFirst()
    let scored = s.evaluation.pairs.count * s.evaluation.metricNames.count
    XCTAssertEqual(csv.count, scored)
    var fromCSV: [String: Double] = [:]
    for line in csv {
      let f = line.split(separator: ",").map(String.init)
      XCTAssertEqual(f[0], "pixel")
      fromCSV["\(f[1])/\(f[2])/\(f[3])"] = Double(f[4])
    }
    let rows = try registry.frameScores(runIds: [s.runId])
    XCTAssertEqual(rows.count, scored)
    for row in rows {
      XCTAssertEqual(row.method, "pixel")
      let v = try XCTUnwrap(fromCSV["\(row.sequence)/\(row.frame)/\(row.metric)"], "\(row.sequence) \(row.frame) \(row.metric)")
      XCTAssertEqual(v, row.value, accuracy: 1e-6 * max(1, abs(v)))
    }
    // Frames and truth PNGs for every scored frame, 5 frames per sequence past the end.
    func pngs(_ kind: String) -> Int {
      ((try? FileManager.default.subpathsOfDirectory(atPath: "\(r.target.out)/\(kind)")) ?? []).filter { $0.hasSuffix(".png") }.count
    }
    XCTAssertEqual(pngs("frames"), s.evaluation.pairs.count)
    XCTAssertEqual(pngs("truth"), s.evaluation.pairs.count)
    XCTAssertEqual(pngs("unscored"), 5 * sequences.count)
    XCTAssertNotNil(s.decodedRange)
  }

  func testBadInputFailsInOneLineBeforeAnythingIsWritten() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let pixel = try pixelRun(registry).runId
    let landmarks = try TinyRuns.landmarksRun(registry, savePath: "\(dir)/runs")
    let before = try registry.listRuns().totalMatching
    func expect(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
      XCTAssertThrowsError(try body(), file: file, line: line) { e in
        let text = "\(e)"
        XCTAssertTrue(text.contains(fragment), text, file: file, line: line)
        XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
      }
    }
    // A pixel run where a dynamics or landmarks run is needed.
    var p = PredictRequest(runId: pixel, out: "\(dir)/never")
    for method in PredictionMethod.landmarkFamily {
      p.method = method
      expect("run \(pixel) is a 'train-pixel' run (predict with it by --method pixel)") { _ = try Prediction.run(p, registry: registry) }
    }
    expect("run \(pixel) is a 'train-pixel' run; landmarks run must be a 'train-landmarks' run") {
      _ = try DynamicsTraining.start(landmarksRun: pixel, configFile: nil, overrides: [], registry: registry, options: TinyRuns.quiet())
    }
    // The reverse: a landmarks run where a pixel run is needed.
    p.method = .pixel
    p.runId = landmarks
    expect("--method pixel needs a 'train-pixel' run (`lmlab train pixel`); run \(landmarks) is a 'train-landmarks' run") {
      _ = try Prediction.run(p, registry: registry)
    }
    // Context longer than the 12-frame sequences; a horizon of 0.
    p.runId = pixel
    p.context = 13
    expect("--context 13 (from frame 0) is longer than sequence") { _ = try Prediction.run(p, registry: registry) }
    p.context = 2
    p.horizon = 0
    expect("--horizon must be ≥ 1, got 0") { _ = try Prediction.run(p, registry: registry) }
    // A pixel run's windows longer than every training sequence.
    expect("n_inputs + n_future = 20 frames, but the longest training sequence") {
      _ = try PixelTraining.start(try pixelConfig(["n_future=18"]), registry: registry, options: TinyRuns.quiet())
    }
    // A kernel without a centre tap.
    expect("pixel_kernel_size is 4; CDNA kernels need an odd size") { _ = try pixelConfig(["pixel_kernel_size=4"]) }
    // A perceptual weight without a network to compute it.
    expect("pixel_perceptual_weight is 0.5 but perceptual_net is none") {
      _ = try PixelTraining.start(
        try pixelConfig(["pixel_perceptual_weight=0.5", "perceptual_net=none"]), registry: registry, options: TinyRuns.quiet())
    }
    XCTAssertEqual(try registry.listRuns().totalMatching, before, "no run was added")
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/never"))
  }

  /// A pixel run obeys its own sections' rules, not the landmark trainer's: `perceptual_net:
  /// none` with `mse_lambda: 0` leaves the landmark decoder nothing to train (refused for a landmark
  /// run) but is a valid pixel config (it reads neither loss weight); a pixel rule still holds.
  func testPixelConfigsObeyOnlyThePixelRunsRules() throws {
    let noDecoderLoss = pixelSets + ["perceptual_net=none", "mse_lambda=0"]
    XCTAssertThrowsError(try ConfigLoader.load(file: nil, overrides: noDecoderLoss)) { e in
      XCTAssertTrue("\(e)".contains("mse_lambda must be > 0"), "\(e)")
    }
    let loaded = try ConfigLoader.load(file: nil, overrides: noDecoderLoss, kind: PixelTraining.runKind)
    let registry = try Registry(path: dir + "/reg.sqlite")
    let s = try PixelTraining.start(loaded, registry: registry, options: TinyRuns.quiet())
    XCTAssertEqual(try registry.run(s.runId).status, .finished)
    XCTAssertThrowsError(try pixelConfig(["pixel_kernel_size=4"]))
    let (status, text) = try runToEnd(
      try lmlabBinary(),
      ["train", "pixel", "--registry", dir + "/cli.sqlite", "--set", "perceptual_net=none", "--set", "mse_lambda=0",
       "--set", "pixel_kernel_size=4"])
    // The landmark rule would be named first (its section comes first); the pixel rule is.
    XCTAssertNotEqual(status, 0)
    XCTAssertFalse(text.contains("mse_lambda"), text)
    XCTAssertTrue(text.contains("pixel_kernel_size is 4"), text)
  }

  /// The command line prints the refusal as one line and exits non-zero.
  func testCommandLineRefusesAPixelRunForLSTM() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let pixel = try pixelRun(registry).runId
    let (status, text) = try runToEnd(
      try lmlabBinary(), ["predict", "--method", "lstm", "--run", "\(pixel)", "--out", "\(dir)/never", "--registry", dir + "/reg.sqlite"])
    XCTAssertNotEqual(status, 0)
    let lines = text.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, text)
    XCTAssertTrue(text.contains("run \(pixel) is a 'train-pixel' run (predict with it by --method pixel)"), text)
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/never"))
  }
}
