// Every config key reaches the component that reads it: for each key of the schema, a config
// where only that key differs from a base gives a different observation of that component —
// built the way runs build it (TrainSetup, DynamicsSetup, the run lifecycle, the frame metrics).
// A key added to a section without a probe here fails `testEveryKeyHasAProbe`; a probe whose
// observation does not change fails `testEveryKeyChangesWhatItsReaderComputes`.
import Datasets
import Foundation
import Registry
import Storage
import TensorEngine
import XCTest

@testable import Workbench

final class ConfigKeyConsumptionTests: XCTestCase {
  /// How to see one key at work: overrides making the base exercise it, the other value, and
  /// what to observe.
  struct Probe {
    var base: [String] = []
    var alternative: String
    var observe: Observe
  }
  typealias Observe = (ExperimentConfig, Context) throws -> String

  /// Folders and a finished landmark run shared by the probes.
  final class Context {
    let dir: String
    let registry: Registry
    var landmarksRun: Int64 = 0
    var runs = 0
    init(dir: String) throws {
      self.dir = dir
      registry = try Registry(path: dir + "/reg.sqlite")
    }
    func fresh() -> String {
      runs += 1
      return dir + "/out\(runs)"
    }
  }

  /// 32 px, K 3, tiny widths, batch 2, 6 synthetic sequences of 12 frames.
  static let tiny = [
    "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]", "spade_hidden=4",
    "batch_size=2", "use_vgg=false", "mse_lambda=1", "synth_sequences=6", "synth_frames=12", "temporal_min_gap=1",
    "temporal_max_gap=4", "max_steps=4", "checkpoint_every=4", "sample_every=4", "probe_every=0", "probe_frames=16",
    "seed=2", "keypoint_threshold=1.6", "n_inputs=2", "n_future=2", "lstm_layers=1", "lstm_hidden=8",
    "dyn_batch_size=4", "dyn_steps=2", "dyn_checkpoint_every=2", "n_context=2", "n_rollout=3",
    "pixel_channels=[4,8]", "pixel_kernels=2", "pixel_kernel_size=3", "pixel_batch_size=2", "pixel_steps=2",
    "pixel_checkpoint_every=2",
  ]

  // MARK: observations

  static func bits(_ t: Tensor) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for v in t.values { h = (h ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
    return "\(t.shape):\(String(h, radix: 16))"
  }

  static func dataset(_ c: ExperimentConfig, _: Context) throws -> String {
    let s = try TrainSetup.dataset(c)
    return "\(s.location) \(s.sequenceCount)×\(s.frameCount(sequence: 0)) \(s.width)"
  }

  /// What predict and interpolate read and score.
  static func scored(_ c: ExperimentConfig, _: Context) throws -> String {
    let s = try ScoredSource.open(FrameRunTarget(out: ""), config: c)
    return "\(s.source.location) \(s.split) \(s.sequences) \(s.heldOut)"
  }

  static func model(_ c: ExperimentConfig, _: Context) throws -> String {
    let m = try TrainSetup.model(c)
    m.eval()
    var rng = SeededRNG(seed: 3)
    let x = Tensor.uniform([1, 3, c.model.imgSize, c.model.imgSize], -1, 1, rng: &rng)
    let out = withNoGrad { m(pose: x, appearance: x) }
    let shapes = m.namedParameters().map { "\($0.0)\($0.1.shape)" }.joined(separator: ",")
    return [shapes, bits(out.pose.mu), bits(out.pose.covariance), bits(out.reconstruction)].joined(separator: " ")
  }

  static func pairs(_ c: ExperimentConfig, _: Context) throws -> String {
    let source = try TrainSetup.dataset(c)
    let sampler = try TrainSetup.pairSampler(c, source: source, sequences: try TrainSetup.trainSequences(source))
    let b = try sampler.next()
    return [bits(b.pose), bits(b.appearance), bits(b.target), "\(b.origins)"].joined(separator: " ")
  }

  /// Two steps of the trainer a run builds, on the pairs it would draw, with the run's schedule.
  static func trainerSteps(_ c: ExperimentConfig, _: Context) throws -> String {
    let source = try TrainSetup.dataset(c)
    let sampler = try TrainSetup.pairSampler(c, source: source, sequences: try TrainSetup.trainSequences(source))
    let trainer = try TrainSetup.trainer(c, warn: { _ in })
    var out: [String] = []
    for _ in 0..<2 {
      let b = try sampler.next()
      trainer.scheduleLearningRate(total: 4)
      let r = trainer.step(pose: b.pose, appearance: b.appearance, target: b.target)
      out.append(r.losses.named.map { "\($0.0)=\($0.1.bitPattern)" }.joined(separator: ","))
    }
    out.append(bits(Tensor.concat(trainer.model.parameters.map { $0.reshaped([$0.count]) }, axis: 0)))
    return out.joined(separator: " ")
  }

  static func probe(_ c: ExperimentConfig, _: Context) throws -> String {
    let source = try TrainSetup.dataset(c)
    guard let p = try TrainSetup.keypointProbe(c, source: source, print: { _ in }) else { return "no probe" }
    return "\(p.threshold) \(p.train.count) \(bits(p.train.images))"
  }

  static func landmarkSteps(_ c: ExperimentConfig, _: Context) throws -> String {
    let session = try LandmarkSession(config: c, options: quiet())
    return "\(session.totalSteps)"
  }

  /// A whole landmark run: its folder, checkpoints, artifacts and logged series.
  static func landmarkRun(_ c: ExperimentConfig, _ ctx: Context) throws -> String {
    var c = c
    if c.run.savePath.isEmpty { c.run.savePath = ctx.fresh() }
    let s = try LandmarkTraining.start(LoadedConfig(config: c, sources: ["test"]), registry: ctx.registry, options: quiet())
    let d = try ctx.registry.detail(s.runId)
    let root = c.run.savePath + "/\(s.runId)"
    func local(_ p: String) -> String { p.hasPrefix(root) ? String(p.dropFirst(root.count)) : "elsewhere:" + p }
    let series = try ctx.registry.series(runId: s.runId, name: "keypoint_acc").map(\.step)
    return [
      "\(s.status) \(s.steps)", d.checkpoints.map { "\($0.step)" + local($0.path) }.joined(separator: ","),
      d.artifacts.map { $0.kind + local($0.path) }.sorted().joined(separator: ","), "probe at \(series)",
      "custom folder used: \(FileManager.default.fileExists(atPath: ctx.dir + "/custom-runs/\(s.runId)"))",
    ].joined(separator: " ")
  }

  /// A whole dynamics run on the shared landmark run: losses, validation, checkpoints, states.
  static func dynamicsRun(_ c: ExperimentConfig, _ ctx: Context) throws -> String {
    var c = c
    c.run.savePath = ctx.fresh()
    let loaded = LoadedConfig(config: c, sources: ["test"])
    let plan = try DynamicsTraining.plan(loaded, landmarksRun: ctx.landmarksRun, registry: ctx.registry)
    let s = try DynamicsTraining.start(plan, landmarksRun: ctx.landmarksRun, registry: ctx.registry, options: quiet())
    let d = try ctx.registry.detail(s.runId)
    let loss = try ctx.registry.series(runId: s.runId, name: "loss").map { $0.value.bitPattern }
    let val = try ctx.registry.series(runId: s.runId, name: "val_mu_error_px").map { $0.value.bitPattern }
    let grad = try ctx.registry.series(runId: s.runId, name: "grad_norm").count
    // What predictions load (dyn_select: the file itself, not the step it logs).
    let lstm = try DynamicsModels.resolve(s.runId, registry: ctx.registry).lstmCheckpoint.map { ($0 as NSString).lastPathComponent }
    let states = try LandmarkFile.read(from: c.run.savePath + "/\(s.runId)/states_train.h5")
    return [
      "\(s.steps)", "\(loss)", "\(val)", "grad \(grad)", d.checkpoints.map { "\($0.step)" }.joined(separator: ","),
      "predicts with \(lstm ?? "-")",
      bits(states.covariance),
    ].joined(separator: " ")
  }

  /// A whole pixel run: losses, validation, checkpoints, the predictor's parameters.
  static func pixelRun(_ c: ExperimentConfig, _ ctx: Context) throws -> String {
    var c = c
    c.run.savePath = ctx.fresh()
    let s = try PixelTraining.start(LoadedConfig(config: c, sources: ["test"]), registry: ctx.registry, options: quiet())
    let d = try ctx.registry.detail(s.runId)
    let loss = try ctx.registry.series(runId: s.runId, name: "loss").map { $0.value.bitPattern }
    let val = try ctx.registry.series(runId: s.runId, name: "val_psnr").map { $0.value.bitPattern }
    let grad = try ctx.registry.series(runId: s.runId, name: "grad_norm").count
    let shapes = PixelSetup.makePredictor(c).namedParameters().map { "\($0.0)\($0.1.shape)" }.joined(separator: ",")
    return ["\(s.steps)", "\(loss)", "\(val)", "grad \(grad)", d.checkpoints.map { "\($0.step)" }.joined(separator: ","), shapes]
      .joined(separator: " ")
  }

  static func frameMetrics(_ c: ExperimentConfig, _: Context) throws -> String {
    let (metrics, note) = try dynamicsMetrics(c.eval, lpipsWeights: "none")
    return metrics.map(\.rawValue).joined(separator: ",") + " " + (note ?? "")
  }

  static func quiet() -> TrainOptions {
    var o = TrainOptions()
    o.progressStyle = .silent
    o.print = { _ in }
    return o
  }

  // MARK: the table

  static let probes: [String: Probe] = {
    var p: [String: Probe] = [:]
    func add(_ keys: [String: String], base: [String] = [], _ observe: @escaping Observe) {
      for (k, alt) in keys { p[k] = Probe(base: base, alternative: alt, observe: observe) }
    }
    // data: the source opened (the kind is checked against what the path holds).
    add(["synth_sequences": "7", "synth_frames": "13"], dataset)
    add(["dataset": "videos"], base: ["dataset_path=FRAMES"], dataset)
    add(["dataset_path": "FRAMES"], dataset)
    add(["test_data_path": "FRAMES"], scored)
    // model
    add(
      [
        "n_landmarks": "4", "img_size": "48", "nsf": "3", "naf": "3", "ngc": "6", "n_filters": "5",
        "pose_decoder_channels": "[8,8,6]", "spade_hidden": "5", "disable_spade": "true",
        "use_identity_covariance": "true", "decoder_skip": "reference",
      ], model)
    add(["skip_channels": "8"], base: ["decoder_skip=reference"], model)
    add(["fixed_covar": "0.02"], base: ["use_identity_covariance=true"], model)
    // pairs
    add(
      [
        "batch_size": "3", "use_warped": "true", "use_temporal": "false", "color_jitter": "false", "brightness": "0.1",
        "contrast": "0.1", "saturation": "0.1", "hue": "0.1", "flip_probability": "1",
      ], pairs)
    add(["temporal_min_gap": "3", "temporal_max_gap": "8"], base: ["temporal_min_gap=2", "temporal_max_gap=6"], pairs)
    add(
      [
        "tps_grid": "5", "tps_margin": "4", "tps_jitter": "0.5", "trans_lb": "-3", "trans_ub": "3", "scale_lb": "1.0",
        "scale_ub": "1.3", "rot_lb": "-0.1", "rot_ub": "0.1",
      ], base: ["use_warped=true"], pairs)
    // trainer
    add(
      [
        "use_vgg": "true", "mse_lambda": "2", "use_gan": "true", "learning_rate": "0.01", "lr_schedule": "cosine",
        "weight_decay": "0.1", "no_grad_clip": "false", "concentration_lambda": "0.5", "separation_lambda": "0.5",
        "equivariance_lambda": "0.5",
      ], trainerSteps)
    add(
      ["vgg_lambda": "1", "reduced_w": "false", "vgg_weights": "/nonexistent/vgg19.h5", "perceptual_net": "none"],
      base: ["use_vgg=true"], trainerSteps)
    add(
      ["gan_lambda": "0.3", "no_lsgan": "true", "num_D": "1", "n_layers_D": "2", "ndf": "8"],
      base: ["use_gan=true", "ndf=4"], trainerSteps)
    add(["grad_clip_norm": "1e-5"], base: ["no_grad_clip=false"], trainerSteps)
    add(["separation_sigma": "0.5"], base: ["separation_lambda=1"], trainerSteps)
    add(
      ["equivariance_rotation": "1.0", "equivariance_scale": "0.3", "equivariance_translation": "0.4"],
      base: ["equivariance_lambda=1"], trainerSteps)
    // run
    add(["seed": "3"], model)
    add(["epochs": "2"], base: ["max_steps=0", "epochs=1"], landmarkSteps)
    add(["max_steps": "6"], landmarkSteps)
    add(["save_path": "CUSTOM", "checkpoint_every": "2", "sample_every": "2", "probe_every": "2"], landmarkRun)
    add(["probe_frames": "20"], probe)
    // dynamics
    add(
      [
        "n_inputs": "3", "n_future": "1", "lstm_layers": "2", "lstm_hidden": "6", "dyn_learning_rate": "0.01",
        "dyn_batch_size": "3", "dyn_steps": "3", "dyn_checkpoint_every": "1", "dyn_residual_scale": "10",
        "dyn_grad_clip": "0.5", "n_context": "3", "n_rollout": "2", "cholesky_floor": "0.5",
      ], dynamicsRun)
    // Six checkpoints at a rate that makes validation wander, so the best is not the last.
    add(["dyn_select": "best_val"], base: ["dyn_steps=6", "dyn_checkpoint_every=1", "dyn_learning_rate=0.3"], dynamicsRun)
    add(["dyn_output_init": "zero"], dynamicsRun)
    // pixel
    add(
      [
        "pixel_channels": "[4,6]", "pixel_kernels": "3", "pixel_kernel_size": "5", "pixel_loss": "l1",
        "pixel_learning_rate": "0.01", "pixel_batch_size": "3", "pixel_steps": "3", "pixel_checkpoint_every": "1",
        "pixel_grad_clip": "0.5",
      ], pixelRun)
    // Over the default perceptual_net (vgg19 with random weights: the tiny run stays offline).
    add(["pixel_perceptual_weight": "1"], pixelRun)
    // eval
    add(["keypoint_threshold": "3.2"], probe)
    add(["lpips_net": "vgg", "ssim_gaussian": "false"], frameMetrics)
    return p
  }()

  /// Keys whose alternative the reader refuses (the refusal is what the probe observes).
  static let refusedAlternatives: Set<String> = ["dataset", "vgg_weights"]

  func testEveryKeyHasAProbe() {
    let keys = Set(ConfigKeys.all.map(\.name))
    let missing = keys.subtracting(Self.probes.keys).sorted()
    XCTAssertEqual(missing, [], "config keys without a probe of their reader: \(missing)")
    let unknown = Set(Self.probes.keys).subtracting(keys).sorted()
    XCTAssertEqual(unknown, [], "probes of keys the schema does not have: \(unknown)")
  }

  func testEveryKeyChangesWhatItsReaderComputes() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let ctx = try Context(dir: dir)
    // A frame folder for the data keys, and the landmark run the dynamics keys build on.
    let frames = dir + "/frames"
    try SyntheticVideoSet(SyntheticSpec(sequences: 4, frames: 6, size: 32, seed: 1)).write(to: frames)
    func substitute(_ s: String) -> String {
      s.replacingOccurrences(of: "FRAMES", with: frames).replacingOccurrences(of: "CUSTOM", with: dir + "/custom-runs")
    }
    var base = try ConfigLoader.load(file: nil, overrides: Self.tiny).config
    base.run.savePath = dir + "/runs"
    ctx.landmarksRun = try LandmarkTraining.start(LoadedConfig(config: base, sources: ["test"]), registry: ctx.registry,
      options: Self.quiet()).runId
    base.run.savePath = ""

    var checked = 0
    for key in ConfigKeys.all.map(\.name) {
      guard let p = Self.probes[key] else { continue }  // testEveryKeyHasAProbe names it
      var before = base
      for o in p.base { try ConfigLoader.apply(override: substitute(o), to: &before) }
      var after = before
      try ConfigLoader.apply(override: "\(key)=\(substitute(p.alternative))", to: &after)
      XCTAssertEqual(after.changedKeys(from: before), [key], "the probe of \(key) changes other keys")
      func observe(_ c: ExperimentConfig) -> String {
        do { return try p.observe(c, ctx) } catch { return "error: \(error)" }
      }
      let a = observe(before), b = observe(after)
      XCTAssertNotEqual(a, b, "\(key)=\(p.alternative) does not change what its reader computes: \(a)")
      // An error on either side would differ from any observation: only the probes whose
      // alternative is meant to be refused may end in one.
      XCTAssertFalse(a.hasPrefix("error:"), "\(key): the base config fails: \(a)")
      if !Self.refusedAlternatives.contains(key) { XCTAssertFalse(b.hasPrefix("error:"), "\(key)=\(p.alternative) fails: \(b)") }
      checked += 1
    }
    XCTAssertEqual(checked, ConfigKeys.all.count, "keys probed")
  }
}
