// `lmlab bench train`: seconds per training step, images/s, GFLOP/s (conv FLOPs per step from
// ConvFLOPs' shape bookkeeping) and peak memory of each case, beside sgemm GFLOP/s measured in
// the same run just before the row, and beside the same step in PyTorch
// (Experiments/tools/bench_train.py, run right after ours on the case's full config).
// Cases: `landmarks-learn` (Experiments/landmarks-learn.yaml: the demo's landmark recipe),
// `ref-64` (the reference widths at 64 px, batch 8, K 30, nsf 6, ngc 64, n_filters 32, VGG19
// loss to relu4_2 with the reduced weights), or any other shipped config by name. Batches are
// made once up front (data loading is not timed); the first step is a warm-up.
import Workbench
import Datasets
import Foundation
import Landmarks
import TensorEngine

public enum TrainBench {
  public struct Case {
    public var label: String
    /// Where the config came from: a file, or "built in".
    public var source: String
    public var config: ExperimentConfig
  }

  /// ref-64: the reference widths at 64 px with the reference losses (VGG on, random weights).
  public static var ref64: ExperimentConfig {
    var c = ExperimentConfig()
    c.model.imgSize = 64
    c.pairs.batchSize = 8
    c.model.nLandmarks = 30
    c.model.nsf = 6
    c.model.ngc = 64
    c.model.nFilters = 32
    c.trainer.useVgg = true
    return c
  }

  /// The cases run when none is named, smallest first: the demo's recipe, then the reference sizes.
  public static let defaultLabels = ["landmarks-learn", "ref-64"]

  /// `ref-64`, or the shipped config `label`.yaml (Experiments/, via ExperimentsFolder.locate()).
  public static func loadCase(_ label: String) throws -> Case {
    if label == "ref-64" { return Case(label: label, source: "built in (DESIGN §2 reference sizes at 64 px)", config: ref64) }
    let (config, path) = try BenchConfigs.load(label)
    return Case(label: label, source: path, config: config)
  }

  /// Names `--config` accepts.
  public static var knownLabels: [String] {
    ["ref-64"] + BenchConfigs.available().filter { !$0.hasPrefix("dynamics-") }
  }

  public struct Row {
    public var secondsPerStep: Double
    public var imagesPerSecond: Double
    public var gflopPerStep: Double
    public var gflops: Double
    public var sgemm: Double
    public var peakRSS: Int
    public var tensorPeak: Int
    public var parameters: Int
  }

  /// A trainer for `c` (seeded) and `count` batches made up front, so that data loading is
  /// not timed.
  static func trainerAndBatches(_ c: ExperimentConfig, count: Int) throws -> (LandmarkTrainer, [PairBatch]) {
    var c = c
    c.run.seed = 1
    let trainer = try TrainSetup.trainer(c, warn: { _ in })
    let spec = SyntheticSpec(sequences: 6, frames: 20, size: c.model.imgSize, seed: 1)
    let sampler = try TrainSetup.pairSampler(c, source: try SyntheticVideoSet(spec), sequences: Array(0..<6))
    return (trainer, try (0..<count).map { _ in try sampler.next() })
  }

  /// Wall seconds of one training step on each batch, `before` called ahead of each.
  static func stepTimes(_ trainer: LandmarkTrainer, _ batches: [PairBatch], before: () -> Void = {}) -> [Double] {
    batches.map { b in
      before()
      let t0 = DispatchTime.now().uptimeNanoseconds
      _ = trainer.step(pose: b.pose, appearance: b.appearance, target: b.target)
      return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }
  }

  /// Times `steps` training steps (after one warm-up) of `c`; returns the median step time.
  public static func measure(_ c: ExperimentConfig, steps: Int) throws -> Row {
    let sgemm = EngineBench.sgemmGFLOPS()
    MemoryStats.resetPeak()
    let (trainer, batches) = try trainerAndBatches(c, count: steps + 1)
    let sec = BenchInfo.median(Array(stepTimes(trainer, batches).dropFirst()))
    let flops = ConvFLOPs.trainingStep(c.model, trainer: c.trainer, batch: c.pairs.batchSize)
    return Row(
      secondsPerStep: sec, imagesPerSecond: Double(c.pairs.batchSize) / sec, gflopPerStep: flops / 1e9,
      gflops: flops / sec / 1e9, sgemm: sgemm, peakRSS: MemoryStats.processMemory().peakRSS,
      tensorPeak: MemoryStats.peakBytes, parameters: trainer.model.parameterCount)
  }

  /// What a case trains, in one line: the sizes and every loss term that costs time.
  static func describe(_ c: Case) -> String {
    let m = c.config.model, t = c.config.trainer
    var losses: [String] = []
    if t.mseLambda > 0 { losses.append("mse \(t.mseLambda)") }
    if t.perceptualOn && t.vggLambda > 0 {
      let net = t.perceptualNet == "vgg19" ? "VGG19 to relu4_2" : t.perceptualNet
      losses.append("\(net) \(t.vggLambda) (\(t.reducedW ? "reduced" : "uniform") weights, \(t.vggWeights.isEmpty ? "random" : "file") weights)")
    }
    if t.useGan && t.ganLambda > 0 { losses.append("gan \(t.ganLambda)") }
    if t.concentrationLambda > 0 { losses.append("concentration \(t.concentrationLambda)") }
    if t.separationLambda > 0 { losses.append("separation \(t.separationLambda)") }
    if t.equivarianceLambda > 0 { losses.append("equivariance \(t.equivarianceLambda) (a second pose-encoder pass on warped poses)") }
    return "\(c.label) (\(c.source)): \(m.imgSize) px, batch \(c.config.pairs.batchSize), K \(m.nLandmarks), nsf \(m.nsf), "
      + "naf \(m.naf), ngc \(m.ngc), n_filters \(m.nFilters), pose decoder \(m.poseDecoderChannels), spade_hidden \(m.spadeHidden)"
      + (m.useIdentityCovariance ? ", fixed covariance" : "") + (m.disableSpade ? ", no SPADE" : "")
      + (m.decoderSkip != "none" ? ", decoder_skip \(m.decoderSkip)" : "")
      + "; loss " + losses.joined(separator: " + ") + "; Adam lr \(t.learningRate), weight decay \(t.weightDecay)"
  }

  /// Runs the cases (`only`: one label, else `defaultLabels`) on `threads` threads, each beside
  /// PyTorch when `reference` is available; then with `profile` the per-op and per-conv-shape
  /// tables of each.
  public static func run(
    steps: Int = 5, only: String? = nil, threads: BenchThreads, reference: ReferenceSide, profile: Bool = false,
    print out: (String) -> Void
  ) throws {
    let cases = try (only.map { [$0] } ?? defaultLabels).map(loadCase)
    BenchInfo.header("training-step benchmark", threads: threads, reference: reference, print: out)
    out("median of \(steps) steps after a warm-up on each side; GFLOP per step = conv FLOPs by shape bookkeeping (ConvFLOPs),")
    out("forward + backward ≈ 3x forward, VGG and the equivariance pass counted when on (the same figure for PyTorch: same work);")
    out("sgemm (1024^3) measured just before each row; peak RSS = VmHWM of this process after the row")
    for c in cases { out("case " + describe(c)) }
    out("")
    out("case              batch  s/step  images/s  GFLOP/step  GFLOP/s  sgemm  /sgemm  peak RSS MB  tensor MB  params     load")
    var torchRows: [(Case, Row, [String: Any]?, String?)] = []
    for c in cases {
      let r = try measure(c.config, steps: steps)
      out(
        c.label.padding(toLength: 16, withPad: " ", startingAt: 0)
          + String(
            format: "  %5d  %6.3f  %8.1f  %10.1f  %7.1f  %5.1f  %6.2f  %11.0f  %9.0f  %9d  %@", c.config.pairs.batchSize,
            r.secondsPerStep, r.imagesPerSecond, r.gflopPerStep, r.gflops, r.sgemm, r.gflops / r.sgemm,
            Double(r.peakRSS) / 1e6, Double(r.tensorPeak) / 1e6, r.parameters, BenchInfo.load))
      guard reference.available else { continue }
      let (lines, error) = reference.run(["--config-json", c.config.canonicalJSON(), "--case", c.label, "--steps", String(steps)])
      torchRows.append((c, r, lines.first { $0["what"] as? String == "train_step" }, error))
    }
    if reference.available {
      out("")
      out("beside PyTorch (\(reference.versions["torch"].map { "torch " + $0 } ?? "torch")), run right after ours on the same config:")
      out("case              batch  ours s/step  PyTorch s/step  PyTorch GFLOP/s  ours/PyTorch speed  params ours/PyTorch  steps  load")
      for (c, r, t, error) in torchRows {
        guard let t, let sec = t["seconds_per_step"] as? Double else {
          out(c.label.padding(toLength: 16, withPad: " ", startingAt: 0) + "  PyTorch not measured: \(error ?? "no train_step line")")
          continue
        }
        let params = (t["parameters"] as? Int).map { "\(r.parameters)/\($0)" + ($0 == r.parameters ? "" : " DIFFER") } ?? "-"
        out(
          c.label.padding(toLength: 16, withPad: " ", startingAt: 0)
            + String(
              format: "  %5d  %11.3f  %14.3f  %15.1f  %18.2f  ", c.config.pairs.batchSize, r.secondsPerStep, sec,
              r.gflopPerStep / sec, sec / r.secondsPerStep)
            + params.padding(toLength: 19, withPad: " ", startingAt: 0)
            + String(format: "  %5d  %@", (t["steps"] as? Int) ?? 0, (t["load"] as? String) ?? "-"))
        if let note = t["note"] as? String { out("  (\(c.label): \(note))") }
      }
      out("ours/PyTorch speed = PyTorch s/step ÷ ours (above 1: ours is faster)")
    }
    if profile {
      for c in cases { try printProfile(c, steps: steps, print: out) }
    }
  }

  /// Times `steps` steps op by op (OpProfile) and every conv2d call by shape and pass
  /// (ConvProfile): where the step's time goes and which shapes run below the sgemm speed
  /// measured just before; then what the tensor memory held at its peak (MemoryStats' census).
  static func printProfile(_ c: Case, steps: Int, print out: (String) -> Void) throws {
    let (trainer, batches) = try trainerAndBatches(c.config, count: steps + 1)
    _ = stepTimes(trainer, [batches[0]])  // warm-up, not recorded
    MemoryStats.startCensus()
    ProfileTables.record(label: c.label, calls: steps, unit: "step", outsideOps: "optimizer, loss bookkeeping", print: out) {
      stepTimes(trainer, Array(batches.dropFirst()), before: OpProfile.mark).reduce(0, +)
    }
    ProfileTables.printCensus(MemoryStats.stopCensus(), label: c.label, print: out)
  }
}
