// `lmlab bench train`: seconds per training step, images/s, GFLOP/s (conv FLOPs per step from
// ConvFLOPs' shape bookkeeping) and peak memory for `ref-64` (the reference architecture at
// 64 px, batch 8, K 30, nsf 6, ngc 64, n_filters 32, VGG loss) and the demo's slim config, each
// beside sgemm GFLOP/s measured in the same run just before the row. Batches are made once
// up front (data loading is not timed); the first step is a warm-up.
import Workbench
import Datasets
import Foundation
import Landmarks
import TensorEngine

public enum TrainBench {
  public struct Case {
    public var label: String
    public var config: ExperimentConfig
  }

  /// ref-64: the reference widths at 64 px with the reference losses (VGG on).
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

  /// The demo config: Experiments/landmarks-demo.yaml when found, else its values built in.
  public static func demo() -> ExperimentConfig {
    if let d = try? ExperimentsFolder.locate(), let l = try? ConfigLoader.load(file: d + "/landmarks-demo.yaml") {
      return l.config
    }
    var c = ExperimentConfig()
    c.model.imgSize = 64
    c.pairs.batchSize = 8
    c.model.nLandmarks = 10
    c.model.nsf = 4
    c.model.ngc = 16
    c.model.nFilters = 16
    c.model.poseDecoderChannels = [128, 64, 32]
    c.model.spadeHidden = 32
    c.trainer.useVgg = false
    c.trainer.mseLambda = 1
    return c
  }

  public struct Row {
    public var secondsPerStep: Double
    public var imagesPerSecond: Double
    public var gflopPerStep: Double
    public var gflops: Double
    public var sgemm: Double
    public var peakRSS: Int
    public var tensorPeak: Int
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
    let timed = stepTimes(trainer, batches).dropFirst().sorted()
    let sec = timed[timed.count / 2]
    let flops = ConvFLOPs.trainingStep(c.model, trainer: c.trainer, batch: c.pairs.batchSize)
    return Row(
      secondsPerStep: sec, imagesPerSecond: Double(c.pairs.batchSize) / sec, gflopPerStep: flops / 1e9,
      gflops: flops / sec / 1e9, sgemm: sgemm, peakRSS: MemoryStats.processMemory().peakRSS,
      tensorPeak: MemoryStats.peakBytes)
  }

  /// The rows' labels, smallest config first.
  public static let labels = ["demo", "ref-64"]

  /// Runs the rows (`only`: one of `labels`), then with `profile` the per-op and per-conv-shape tables of each.
  public static func run(steps: Int = 4, only: String? = nil, profile: Bool = false, print out: (String) -> Void) throws {
    let cases = [Case(label: "demo", config: demo()), Case(label: "ref-64", config: ref64)].filter {
      only == nil || $0.label == only
    }
    out("LandmarkLab training-step benchmark (float32; OpenBLAS \(NativeBLAS.description), threads \(blasThreads), engine threads \(engineThreads))")
    out("median of \(steps) steps after a warm-up; GFLOP per step = conv FLOPs by shape bookkeeping (ConvFLOPs),")
    out("forward + backward ≈ 3x forward; VGG loss counted when on; sgemm measured just before each row")
    out("peak RSS = VmHWM of this process after the row (rows run smallest first, so each is that config's peak)")
    out("config   batch  s/step  images/s  GFLOP/step  GFLOP/s  sgemm  ratio  peak RSS MB  tensor peak MB  load")
    for c in cases {
      let r = try measure(c.config, steps: steps)
      let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "-"
      out(
        c.label.padding(toLength: 8, withPad: " ", startingAt: 0)
          + String(
            format: " %5d  %6.3f  %8.1f  %10.1f  %7.1f  %5.1f  %5.2f  %11.0f  %14.0f  %@", c.config.pairs.batchSize, r.secondsPerStep,
            r.imagesPerSecond, r.gflopPerStep, r.gflops, r.sgemm, r.gflops / r.sgemm, Double(r.peakRSS) / 1e6,
            Double(r.tensorPeak) / 1e6, load))
    }
    if profile {
      for c in cases { try printProfile(c, steps: steps, print: out) }
    }
  }

  /// Times `steps` steps op by op (OpProfile) and every conv2d call by shape and pass
  /// (ConvProfile): where the step's time goes and which shapes run below the sgemm speed
  /// measured just before.
  static func printProfile(_ c: Case, steps: Int, print out: (String) -> Void) throws {
    let (trainer, batches) = try trainerAndBatches(c.config, count: steps + 1)
    _ = stepTimes(trainer, [batches[0]])  // warm-up, not recorded
    ProfileTables.record(label: c.label, calls: steps, unit: "step", outsideOps: "optimizer, loss bookkeeping", print: out) {
      stepTimes(trainer, Array(batches.dropFirst()), before: OpProfile.mark).reduce(0, +)
    }
  }
}
