// Dynamics pipeline must-shows on a tiny config: a dynamics run trains on a finished landmarks
// run (parent recorded), resumes exactly after SIGTERM, and feeds `predict` (every method) and
// `interpolate` (every scheme), whose frame folders, scores.csv and registry scores agree; bad
// input fails before anything is written, naming the value.
import Datasets
import Dynamics
import FeatureNetworks
import Foundation
import Registry
import TensorEngine
import TestSupport
import XCTest

@testable import Workbench

final class DynamicsPipelineTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("dyn-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  func quiet() -> TrainOptions { TinyRuns.quiet() }

  /// A finished 3-step landmarks run: 32 px, K 3, 10 synthetic sequences of 12 frames.
  func landmarksRun(_ registry: Registry) throws -> Int64 { try TinyRuns.landmarksRun(registry, savePath: "\(dir)/runs") }

  let dynamicsSets = [
    "n_inputs=2", "n_future=3", "lstm_layers=2", "lstm_hidden=8", "dyn_batch_size=4", "dyn_steps=6", "dyn_checkpoint_every=3",
    "dyn_residual_scale=10", "n_context=2", "n_rollout=4",
  ]

  func runCount(_ r: Registry) throws -> Int { try r.listRuns().totalMatching }

  func testTrainResumePredictInterpolate() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let lm = try landmarksRun(registry)
    let a = try DynamicsTraining.start(landmarksRun: lm, configFile: nil, overrides: dynamicsSets, registry: registry, options: quiet())
    XCTAssertEqual(a.status, .finished)
    XCTAssertEqual(try registry.run(a.runId).parentId, lm)
    XCTAssertEqual(try registry.series(runId: a.runId, name: "loss").count, 6)
    XCTAssertFalse(try registry.series(runId: a.runId, name: "val_mu_error_px").isEmpty)

    // SIGTERM at step 4, resume: the same losses bit for bit.
    var opts = quiet()
    opts.afterStep = { if $0 == 4 { raise(SIGTERM) } }
    let b = try DynamicsTraining.start(landmarksRun: lm, configFile: nil, overrides: dynamicsSets, registry: registry, options: opts)
    XCTAssertEqual(b.status, .interrupted)
    XCTAssertEqual(b.steps, 4, "stopped by the SIGTERM raised after step 4")
    XCTAssertEqual(try registry.series(runId: b.runId, name: "loss").count, 4)
    XCTAssertTrue(try registry.run(b.runId).error?.contains("SIGTERM") ?? false, "the run names the signal")
    let c = try TrainingRuns.resumeHere(runId: b.runId, registry: registry, options: quiet())
    XCTAssertEqual(c?.status, .finished)
    XCTAssertEqual(
      try registry.series(runId: b.runId, name: "loss").map { $0.value.bitPattern },
      try registry.series(runId: a.runId, name: "loss").map { $0.value.bitPattern })
    // It continued from the checkpoint written at the SIGTERM (step 4) and took steps 5-6 only (additive count: 6, a
    // restart from step 0 would have logged 4 + 6).
    XCTAssertEqual(try registry.run(b.runId).resumedFromStep, 4)
    XCTAssertEqual(try registry.summaries(runId: b.runId).first { $0.name == "loss" }?.pointsLogged, 6)

    for method in PredictionMethod.landmarkFamily {
      var r = PredictRequest(runId: a.runId, out: "\(dir)/pred-\(method.rawValue)")
      r.method = method
      r.horizon = 15  // past the 12-frame sequences' end: the rest goes to unscored/
      let s = try Prediction.run(r, registry: registry, print: { _ in })
      let run = try registry.detail(s.runId)
      XCTAssertEqual(run.run.parentId, a.runId)
      XCTAssertEqual(run.run.status, .finished)
      let scored = s.evaluation.pairs.count
      XCTAssertEqual(Set(s.evaluation.pairs.map(\.frame)), Set(2..<12), "context frames 0, 1 are never scored")
      let csv = try String(contentsOfFile: r.target.out + "/scores.csv", encoding: .utf8)
      // Landmark error only where states are predicted (reconstruction's would be 0 by construction).
      let predictsStates = method != .copyLast && method != .reconstruction
      // psnr, ssim (no LPIPS weights here), effnet-lite0-dist when its ImageNet weights are cached,
      // and the landmark error (effnet-lite0-dist always under CI=true, where setup fetches the weights).
      let effnet = EfficientNetLite0Weights.cachedPath != nil || isCI
      XCTAssertEqual(s.evaluation.metricNames, ["psnr", "ssim"] + (effnet ? ["effnet-lite0-dist"] : []))
      let perFrame = s.evaluation.metricNames.count + (predictsStates ? 1 : 0)
      XCTAssertEqual(csv.split(separator: "\n").count, 1 + scored * perFrame)
      XCTAssertEqual(run.frameScoreGroups.reduce(0) { $0 + $1.count }, scored * perFrame)
      // Horizon 15 from frame 2 of 12-frame sequences: 5 frames per sequence past the end.
      let unscored = (try? FileManager.default.subpathsOfDirectory(atPath: r.target.out + "/unscored"))?.filter { $0.hasSuffix(".png") } ?? []
      let sequences = Set(s.evaluation.pairs.map(\.sequence)).count
      XCTAssertEqual(unscored.count, method == .reconstruction ? 0 : 5 * sequences)
      if let v = s.validity { XCTAssertTrue(v.isValid) }
    }
    for name in InterpolationMethod.allNames {
      var r = InterpolateRequest(runId: lm, out: "\(dir)/interp-\(name)")
      r.method = InterpolationMethod(name: name)!
      let s = try InterpolationRun.run(r, registry: registry, print: { _ in })
      XCTAssertEqual(Set(s.evaluation.pairs.map(\.frame)), Set(1..<11), "\(name): frames strictly between the first and last")
      if let v = s.validity { XCTAssertTrue(v.isValid, name) }
    }
  }

  /// `--extrapolate E` between frames F and G writes the frames strictly between them and then
  /// G+1 … G+E (α > 1), never G itself; past a sequence's end it stops there with a note.
  func testExtrapolateProducesFramesPastTo() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let lm = try landmarksRun(registry)
    var r = InterpolateRequest(runId: lm, out: "\(dir)/extrap")
    r.method = InterpolationMethod(name: "cholesky")!
    (r.from, r.to, r.extrapolate) = (2, 8, 2)
    let s = try InterpolationRun.run(r, registry: registry, print: { _ in })
    XCTAssertEqual(Set(s.evaluation.pairs.map(\.frame)), [3, 4, 5, 6, 7, 9, 10], "between 2 and 8, then 9 and 10")
    let sequence = try XCTUnwrap(s.evaluation.pairs.first?.sequence)
    let written = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/extrap/frames/\(sequence)").sorted()
    XCTAssertEqual(written.count, 7, "\(written)")
    // The landmark error of an extrapolated frame is a real error (the model's states at α > 1
    // against the encoding of the true frame 9), not frame 8's own encoding (error 0).
    let csv = try String(contentsOfFile: "\(dir)/extrap/scores.csv", encoding: .utf8)
    let past = csv.split(separator: "\n").filter { $0.contains(",\(sequence),") && $0.contains("landmark-error-px") }
      .filter { $0.split(separator: ",")[2] == "9" }
    XCTAssertEqual(past.count, 1, csv)
    XCTAssertGreaterThan(Double(past.first?.split(separator: ",").last ?? "") ?? 0, 0)

    r.target.out = "\(dir)/extrap-end"
    (r.from, r.to, r.extrapolate) = (2, 10, 3)  // 12-frame sequences: only frame 11 exists past 10
    let e = try InterpolationRun.run(r, registry: registry, print: { _ in })
    XCTAssertEqual(Set(e.evaluation.pairs.map(\.frame)), Set([3, 4, 5, 6, 7, 8, 9, 11]))
    XCTAssertTrue(e.notes.contains { $0.contains("extrapolated 1 of 3 frames") }, "\(e.notes)")
  }

  /// dyn_select best_val: the run records the checkpoint step with the lowest validation error
  /// among its checkpoints, and predictions load that checkpoint (not the last).
  func testBestValidationCheckpointIsSelectedAndUsed() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let lm = try landmarksRun(registry)
    let sets = dynamicsSets.filter { !$0.hasPrefix("dyn_checkpoint_every") } + ["dyn_checkpoint_every=1", "dyn_select=best_val", "dyn_learning_rate=0.3"]
    let s = try DynamicsTraining.start(landmarksRun: lm, configFile: nil, overrides: sets, registry: registry, options: quiet())
    XCTAssertEqual(s.status, .finished)
    let checkpoints = Set(try registry.detail(s.runId).checkpoints.map(\.step))
    XCTAssertEqual(checkpoints, Set(0...6), "every step, and the untrained model (step 0) as a candidate")
    let val = try registry.series(runId: s.runId, name: "val_mu_error_px").filter { checkpoints.contains($0.step) }
    XCTAssertEqual(val.count, 7, "a validation at every checkpoint")
    let best = try XCTUnwrap(val.min { $0.value < $1.value }).step
    let selected = try registry.series(runId: s.runId, name: "selected_checkpoint_step").map { Int64($0.value) }
    XCTAssertEqual(selected, [best])
    // The high learning rate makes the error go up and down, so the best is not the last: the
    // selection is visible (measured: 4.40, 6.40, 3.62, 2.97, 3.06, 2.98 px, best step 4).
    XCTAssertNotEqual(best, 6, "val errors \(val.map(\.value)): the last checkpoint is best, so this shows no selection")
    let used = try XCTUnwrap(try DynamicsModels.resolve(s.runId, registry: registry).lstmCheckpoint)
    XCTAssertTrue(used.hasSuffix(String(format: "dynamics_%07d.h5", best)), used)
  }

  /// dyn_output_init zero with best_val: the untrained model is checkpointed (step 0) among the
  /// candidates and predicts exactly hold-state, so a val split on which training only hurts
  /// chooses hold-state rather than a drifting LSTM. With the uniform init step 0 is not hold-state.
  func testZeroOutputInitMakesStepZeroHoldStateAndACandidate() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let lm = try landmarksRun(registry)
    let context = Tensor((0..<30).map { 0.2 + 0.02 * Float($0) }, shape: [1, 2, 3 * 5])  // K 3
    func stepZero(_ initName: String) throws -> (steps: Set<Int64>, rollout: [Float]) {
      let s = try DynamicsTraining.start(
        landmarksRun: lm, configFile: nil, overrides: dynamicsSets + ["dyn_select=best_val", "dyn_output_init=\(initName)"],
        registry: registry, options: quiet())
      let checkpoints = try registry.detail(s.runId).checkpoints
      var models = try DynamicsModels.resolve(s.runId, registry: registry)
      models.lstmCheckpoint = try XCTUnwrap(checkpoints.first { $0.step == 0 }?.path, "no checkpoint of step 0")
      let lstm = try XCTUnwrap(try models.lstm())
      return (Set(checkpoints.map(\.step)), Rollout.lstm(lstm, context: context, horizon: 4).values)
    }
    let hold = Rollout.holdState(context: context, horizon: 4).values
    let zero = try stepZero("zero")
    XCTAssertEqual(zero.steps, [0, 3, 6], "step 0 is a candidate beside the checkpoints every 3 steps")
    XCTAssertEqual(zero.rollout, hold, "the untrained zero-output LSTM is hold-state, exactly")
    let uniform = try stepZero("uniform")
    XCTAssertNotEqual(uniform.rollout, hold, "PyTorch's init drifts from hold-state before any training")
  }

  func testBadInputFailsBeforeAnythingIsWritten() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let lm = try landmarksRun(registry)
    let dyn = try DynamicsTraining.start(landmarksRun: lm, configFile: nil, overrides: dynamicsSets, registry: registry, options: quiet())
    let before = try runCount(registry)
    func expect(_ fragment: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
      XCTAssertThrowsError(try body(), file: file, line: line) { e in
        XCTAssertTrue("\(e)".contains(fragment), "\(e)", file: file, line: line)
      }
    }
    // A different K than the landmarks run.
    expect("n_landmarks is 5, but landmarks run \(lm) has K = 3") {
      _ = try DynamicsTraining.start(landmarksRun: lm, configFile: nil, overrides: dynamicsSets + ["n_landmarks=5"], registry: registry, options: quiet())
    }
    // A window longer than every training sequence.
    expect("n_inputs + n_future = 20 frames") {
      _ = try DynamicsTraining.start(landmarksRun: lm, configFile: nil, overrides: dynamicsSets + ["n_future=18"], registry: registry, options: quiet())
    }
    var p = PredictRequest(runId: dyn.runId, out: "\(dir)/never")
    p.horizon = 0
    expect("--horizon must be ≥ 1, got 0") { _ = try Prediction.run(p, registry: registry) }
    p.horizon = 4
    p.context = 13
    expect("--context 13 (from frame 0) is longer than sequence") { _ = try Prediction.run(p, registry: registry) }
    p.context = 2
    p.runId = lm
    expect("--method lstm needs a dynamics run") { _ = try Prediction.run(p, registry: registry) }
    var q = InterpolateRequest(runId: lm, out: "\(dir)/never")
    q.from = 8
    q.to = 3
    expect("--from 8 is not before --to 3") { _ = try InterpolationRun.run(q, registry: registry) }
    q.from = 0
    q.to = 5
    q.method = .scheme(.covariance)
    q.extrapolate = 2
    expect("the covariance scheme does not extrapolate") { _ = try InterpolationRun.run(q, registry: registry) }
    // A landmarks run that is not finished.
    var opts = quiet()
    opts.afterStep = { if $0 == 1 { raise(SIGTERM) } }
    let sets = try ConfigLoader.load(
      file: nil,
      overrides: [
        "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]", "spade_hidden=4",
        "batch_size=2", "use_vgg=false", "mse_lambda=1", "synth_sequences=10", "synth_frames=12", "temporal_min_gap=1",
        "temporal_max_gap=4", "max_steps=3", "probe_every=0", "probe_frames=16", "save_path=\(dir)/runs",
      ])
    let unfinished = try LandmarkTraining.start(sets, registry: registry, options: opts)
    XCTAssertEqual(unfinished.status, .interrupted)
    XCTAssertEqual(unfinished.steps, 1, "stopped by the SIGTERM raised after step 1")
    let count = try runCount(registry)
    expect("landmarks run \(unfinished.runId) is interrupted, not finished") {
      _ = try DynamicsTraining.start(landmarksRun: unfinished.runId, configFile: nil, overrides: dynamicsSets, registry: registry, options: quiet())
    }
    XCTAssertEqual(try runCount(registry), count)
    XCTAssertEqual(count, before + 1, "only the interrupted landmarks run was added")
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/never"))
  }
}
