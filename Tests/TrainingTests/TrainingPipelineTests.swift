// Training pipeline must-shows on a tiny config: a run stopped by SIGTERM is checkpointed and
// marked interrupted, and resuming it gives the same losses as an uninterrupted run; a NaN loss
// stops the run (failed, naming the step and the last good checkpoint); a full run records
// checkpoints, samples, probes and baselines; encode writes a landmark file.
import Benchmarks
import Datasets
import Foundation
import Landmarks
import Registry
import Storage
import TensorEngine
import XCTest

@testable import Workbench

final class TrainingPipelineTests: XCTestCase {
  var dir: String = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("train-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  /// 32 px, K 4, tiny widths, batch 2, 6 synthetic sequences of 8 frames.
  func tinyConfig(steps: Int, overrides: [String] = []) throws -> LoadedConfig {
    let sets = [
      "img_size=32", "n_landmarks=4", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]",
      "spade_hidden=4", "batch_size=2", "use_vgg=false", "mse_lambda=1", "synth_sequences=6", "synth_frames=8",
      "temporal_min_gap=1", "temporal_max_gap=4", "max_steps=\(steps)", "checkpoint_every=3", "sample_every=3",
      "probe_every=3", "probe_frames=16", "save_path=\(dir)/runs", "seed=5", "learning_rate=0.001",
      "no_grad_clip=false",
    ]
    return try ConfigLoader.load(file: nil, overrides: sets + overrides)
  }

  func quiet() -> TrainOptions {
    var o = TrainOptions()
    o.progressStyle = .silent
    o.print = { _ in }
    return o
  }

  func losses(_ r: Registry, _ id: Int64) throws -> [UInt64] {
    try r.series(runId: id, name: "loss").map { $0.value.bitPattern }
  }

  func testSigtermCheckpointsAndResumeMatchesUninterruptedRun() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let a = try LandmarkTraining.start(try tinyConfig(steps: 6), registry: registry, options: quiet())
    XCTAssertEqual(a.status, .finished)

    var opts = quiet()
    opts.afterStep = { step in if step == 4 { raise(SIGTERM) } }
    let b = try LandmarkTraining.start(try tinyConfig(steps: 6), registry: registry, options: opts)
    XCTAssertEqual(b.status, .interrupted)
    XCTAssertEqual(b.steps, 4)
    let run = try registry.run(b.runId)
    XCTAssertEqual(run.status, .interrupted)
    XCTAssertTrue(run.error?.contains("SIGTERM") ?? false, run.error ?? "")
    XCTAssertEqual(try registry.detail(b.runId).checkpoints.map(\.step).max(), 4)
    XCTAssertEqual(try losses(registry, b.runId).count, 4, "the SIGTERM at step 4 stopped it after 4 losses")

    let c = try XCTUnwrap(try TrainingRuns.resumeHere(runId: b.runId, registry: registry, options: quiet()))
    XCTAssertEqual(c.runId, b.runId)
    XCTAssertEqual(c.status, .finished)
    XCTAssertEqual(c.steps, 6)
    // The resumed attempt continued from step 4 and took only steps 5 and 6: the additive count
    // of logged loss points is 6, not the 4 + 6 a restart from step 0 would log (rows are upserted,
    // so the series alone cannot tell).
    XCTAssertEqual(try registry.run(b.runId).resumedFromStep, 4)
    XCTAssertEqual(try registry.summaries(runId: b.runId).first { $0.name == "loss" }?.pointsLogged, 6)
    let la = try losses(registry, a.runId)
    XCTAssertEqual(la.count, 6)
    XCTAssertEqual(la, try losses(registry, b.runId), "resumed run's losses differ from the uninterrupted run's")
  }

  /// Two registries whose runs share a save_path: the second's run 1 refuses runs/1, which holds
  /// the first's checkpoints, instead of overwriting them; the first's files are untouched.
  func testANewRunRefusesAFolderHoldingAnotherRunsCheckpoints() throws {
    let first = try Registry(path: dir + "/first.sqlite")
    let a = try LandmarkTraining.start(try tinyConfig(steps: 3), registry: first, options: quiet())
    XCTAssertEqual(a.runId, 1)
    let checkpoint = dir + "/runs/1/step_0000003.h5"
    let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
    let second = try Registry(path: dir + "/second.sqlite")
    XCTAssertThrowsError(try LandmarkTraining.start(try tinyConfig(steps: 3), registry: second, options: quiet())) { error in
      XCTAssertTrue("\(error)".contains("runs/1/step_0000003.h5 is already there"), "\(error)")
      XCTAssertTrue("\(error)".contains("set save_path"), "\(error)")
    }
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), before)
    XCTAssertEqual(try second.run(1).status, .failed)
  }

  /// The cosine schedule is a function of the step: a run stopped at step 4 and resumed
  /// follows it exactly, and it changes the run (the updates after the first are smaller).
  func testCosineScheduleResumesOnTheSameCurve() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let cosine = ["lr_schedule=cosine"]
    let a = try LandmarkTraining.start(try tinyConfig(steps: 6, overrides: cosine), registry: registry, options: quiet())
    var opts = quiet()
    opts.afterStep = { step in if step == 4 { raise(SIGTERM) } }
    let b = try LandmarkTraining.start(try tinyConfig(steps: 6, overrides: cosine), registry: registry, options: opts)
    XCTAssertEqual(b.status, .interrupted)
    XCTAssertEqual(b.steps, 4, "stopped by the SIGTERM raised after step 4")
    let c = try XCTUnwrap(try TrainingRuns.resumeHere(runId: b.runId, registry: registry, options: quiet()))
    XCTAssertEqual(c.status, .finished)
    XCTAssertEqual(try losses(registry, a.runId), try losses(registry, b.runId))
    let constant = try LandmarkTraining.start(try tinyConfig(steps: 6), registry: registry, options: quiet())
    let (lc, lk) = (try losses(registry, a.runId), try losses(registry, constant.runId))
    // Loss k is taken before update k: losses 1 and 2 (no update, then one at factor 1) agree,
    // the later ones follow smaller updates.
    XCTAssertEqual(lc.count, 6)
    XCTAssertEqual(Array(lc.prefix(2)), Array(lk.prefix(2)), "the first update uses the base rate in both")
    XCTAssertNotEqual(Array(lc.dropFirst(2)), Array(lk.dropFirst(2)), "the schedule changed nothing")
  }

  func testNaNLossStopsRunNamingStepAndCheckpoint() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    var opts = quiet()
    opts.lossInjection = { step in step == 4 ? .nan : 0 }  // the 5th step
    XCTAssertThrowsError(try LandmarkTraining.start(try tinyConfig(steps: 8), registry: registry, options: opts)) { e in
      guard case TrainError.nonFinite(let step, _, let ckpt)? = e as? TrainError else { return XCTFail("\(e)") }
      XCTAssertEqual(step, 5)
      XCTAssertTrue(ckpt?.hasSuffix("step_0000003.h5") ?? false, ckpt ?? "nil")
    }
    let run = try registry.run(1)
    XCTAssertEqual(run.status, .failed)
    XCTAssertTrue(run.error?.contains("step 5") ?? false, run.error ?? "")
    XCTAssertTrue(run.error?.contains("step_0000003.h5") ?? false, run.error ?? "")
  }

  func testRunRecordsCheckpointsSamplesProbesAndEncodes() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let s = try LandmarkTraining.start(try tinyConfig(steps: 4), registry: registry, options: quiet())
    let d = try registry.detail(s.runId)
    XCTAssertEqual(d.checkpoints.map(\.step), [3, 4])
    XCTAssertTrue(d.artifacts.contains { $0.kind == "samples" })
    XCTAssertTrue(d.artifacts.contains { $0.kind == "landmarks_test" })
    for a in d.artifacts { XCTAssertTrue(FileManager.default.fileExists(atPath: a.path), a.path) }
    let names = Set(d.summaries.map(\.name))
    for n in ["loss", "loss_mse", "keypoint_acc", "baseline_mean_pose", "baseline_untrained"] {
      XCTAssertTrue(names.contains(n), "series \(n) missing: \(names.sorted())")
    }
    XCTAssertEqual(try registry.series(runId: s.runId, name: "keypoint_acc").map(\.step), [0, 3, 4])

    let frames = dir + "/frames"
    try SyntheticVideoSet(SyntheticSpec(sequences: 2, frames: 5, size: 32, seed: 1)).write(to: frames)
    let model = try LandmarkEncoding.loadModel(checkpoint: try LandmarkEncoding.latestCheckpoint(runId: s.runId, registry: registry))
    let out = dir + "/lm.h5"
    let e = try LandmarkEncoding.encode(model: model, framesDir: frames, out: out, batch: 3)
    XCTAssertEqual(e.frames, 10)
    let file = try LandmarkFile.read(from: out)
    XCTAssertEqual(file.mu.shape, [10, 4, 2])
    XCTAssertEqual(file.covariance.shape, [10, 4, 2, 2])
    XCTAssertEqual(Set(file.sequence).count, 2)
  }

  /// The ref-64 conv FLOPs per training step (the bench's GFLOP/s divides by this number) equal,
  /// exactly, the sum over DESIGN §2's architecture written out conv by conv below: 2·B·Cin·Cout·k²·H·W
  /// per conv, batch 8, 64 px, K 30, nsf 6 (pose widths 6…192), naf 0 (108 = 2·(30 + 24)),
  /// ngc 64, n_filters 32, SPADE hidden 128, VGG loss on, no GAN; a step is 3× the forward
  /// (forward, input and weight gradients) of two pose encoders, the appearance encoder and the
  /// generator, plus 3× one VGG19 forward to relu4_2. Every term is an integer below 2⁵³, so the
  /// double sums are exact: any change to the bookkeeping fails here.
  func testConvFLOPsOfRef64EqualTheArchitectureWrittenOut() {
    let b = 8.0, k = 30.0
    func conv(_ cin: Double, _ cout: Double, _ ks: Double, _ h: Double) -> Double { 2 * b * cin * cout * ks * ks * h * h }
    let pose =
      conv(3, 6, 3, 64) + conv(6, 12, 3, 64) + conv(12, 24, 3, 32) + conv(24, 24, 3, 32)  // first block + 12→24 at S/2
      + conv(24, 48, 3, 16) + conv(48, 48, 3, 16) + conv(48, 96, 3, 8) + conv(96, 96, 3, 8)  // encoder blocks
      + conv(96, 192, 3, 4) + conv(192, 192, 3, 4)
      + conv(192, 192, 1, 4)  // decoder head
      + conv(192, 192, 1, 4) + conv(192, 512, 3, 4) + conv(512, 512, 3, 8)  // step 1: skip (deepest), block to 512
      + conv(96, 512, 1, 8) + conv(512, 256, 3, 8) + conv(256, 256, 3, 16)  // step 2: skip (S/8), block to 256
      + conv(48, 256, 1, 16) + conv(256, 128, 3, 16) + conv(128, 128, 3, 32)  // step 3: skip (S/4), block to 128
      + conv(128, k, 1, 32)  // logits
    let appearance =
      conv(54, 108, 3, 32) + conv(108, 216, 3, 32) + conv(216, 432, 3, 16) + conv(432, 432, 3, 16)
      + conv(432, 432, 1, 16) + conv(432, 432, 1, 16) + conv(432, 64, 3, 16) + conv(64, 64, 3, 32) + conv(64, 32, 1, 32)
    func spadeNorm(_ c: Double, _ h: Double) -> Double { conv(k, 128, 3, h) + 2 * conv(128, c, 3, h) }
    func block(_ fin: Double, _ fout: Double, _ h: Double) -> Double {
      let mid = Swift.min(fin, fout)
      var t = conv(fin, mid, 3, h) + conv(mid, fout, 3, h) + spadeNorm(fin, h) + spadeNorm(mid, h)
      if fin != fout { t += conv(fin, fout, 1, h) + spadeNorm(fin, h) }  // learned shortcut
      return t
    }
    let generator =
      conv(32, 256, 3, 4) + conv(32, 256, 3, 8) + block(256, 256, 4) + block(256, 256, 8)  // fc, head_0 at S/16 and S/8
      + 2 * block(256, 256, 8) + block(256, 128, 16) + block(128, 64, 32) + block(64, 32, 64)  // G_middle, up_0/1/4
      + conv(32, 3, 3, 64)  // conv_img
    let vgg =
      conv(3, 64, 3, 64) + conv(64, 64, 3, 64) + conv(64, 128, 3, 32) + conv(128, 128, 3, 32) + conv(128, 256, 3, 16)
      + 3 * conv(256, 256, 3, 16) + conv(256, 512, 3, 8) + conv(512, 512, 3, 8)
    let expected = 3 * (2 * pose + appearance + generator) + 3 * vgg
    XCTAssertEqual(expected, 367_728_525_312, "the written-out sum (the issue quotes about 368 GFLOP)")

    let c = TrainBench.ref64
    let m = c.model
    XCTAssertEqual(
      ConvFLOPs.trainingStep(m, trainer: c.trainer, batch: 8), expected, "ConvFLOPs.trainingStep(ref-64)")
    let parts = ConvFLOPs.modelForward(m, batch: 8)
    XCTAssertEqual(parts.pose, pose, "pose encoder")
    XCTAssertEqual(parts.appearance, appearance, "appearance encoder")
    XCTAssertEqual(parts.generator, generator, "generator")
    XCTAssertEqual(ConvFLOPs.vggForward(batch: 8, size: 64), vgg, "VGG19 to relu4_2")
  }

  /// The bookkeeping against what the engine runs: one eval forward of the ref-64 model (batch 1)
  /// with the conv profiler on executes exactly `modelForward`'s FLOPs (pose encoder twice,
  /// appearance encoder, generator), so the count describes the model, not a model.
  func testConvFLOPsOfRef64ForwardEqualWhatTheEngineRuns() throws {
    let m = TrainBench.ref64.model
    var rng = SeededRNG(seed: 3)
    let model = try LandmarkModel(config: m, rng: &rng)
    model.eval()
    let x = Tensor.uniform([1, 3, 64, 64], -1, 1, rng: &rng)
    ConvProfile.reset()
    ConvProfile.enabled = true
    defer {
      ConvProfile.enabled = false
      ConvProfile.reset()
    }
    _ = withNoGrad { model(pose: x, appearance: x) }
    ConvProfile.enabled = false
    let ran = ConvProfile.entries.filter { $0.pass == .forward }.reduce(0) { $0 + $1.flops }
    let f = ConvFLOPs.modelForward(m, batch: 1)
    XCTAssertEqual(ran, 2 * f.pose + f.appearance + f.generator, "conv FLOPs the engine ran in one forward")
    XCTAssertGreaterThan(ran, 0)
  }

}
