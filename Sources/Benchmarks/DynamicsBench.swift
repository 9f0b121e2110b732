// `lmlab bench dynamics`: LSTM training sequences/s and rollout+decode frames/s of each case,
// beside the same work in PyTorch (Experiments/tools/bench_dynamics.py, run as a subprocess right
// after ours on the case's full config), with the ratios from that same run. Cases are named for
// the config files they load:
//   dynamics-demo   landmarks-learn.yaml, then dynamics-demo.yaml over it (as `lmlab demo` does)
//   dynamics-bair   bair.yaml, then dynamics-bair.yaml over it (the reference widths, K 30)
//   lstm_train      one Adam step on dyn_batch_size windows of n_inputs + n_future random states,
//                   LSTM lstm_layers × lstm_hidden + linear, residual scale dyn_residual_scale
//   rollout_decode  8 sequences: appearance of the last of n_context frames, n_context LSTM steps,
//                   n_rollout rolled out, 8 × n_rollout states decoded (heatmaps → projection →
//                   SPADE) in batches of 32, with the case's landmark model
import Workbench
import Dynamics
import Foundation
import Landmarks
import TensorEngine

public enum DynamicsBench {
  public struct Case {
    public var label: String
    /// The files the config came from, in the order applied.
    public var sources: [String]
    public var config: ExperimentConfig
    public var landmarks: Int { config.model.nLandmarks }
    public var model: ModelConfig { config.model }
    public var dynamics: DynamicsConfig { config.dynamics }
  }

  /// Case name → (landmark config, dynamics config) files in Experiments/.
  public static let caseFiles: [(label: String, landmarks: String, dynamics: String)] = [
    ("dynamics-demo", "landmarks-learn", "dynamics-demo"),
    ("dynamics-bair", "bair", "dynamics-bair"),
  ]
  public static var labels: [String] { caseFiles.map(\.label) }

  /// The case's config: its landmark config, then its dynamics config over it.
  public static func loadCase(_ label: String) throws -> Case {
    guard let f = caseFiles.first(where: { $0.label == label }) else {
      throw ConfigError.unreadable(path: label, detail: "no such dynamics bench case (known: \(labels.joined(separator: ", ")))")
    }
    let (base, basePath) = try BenchConfigs.load(f.landmarks)
    let (config, path) = try BenchConfigs.load(f.dynamics, base: base, baseName: basePath)
    return Case(label: label, sources: [basePath, path], config: config)
  }

  static let sequences = 8
  /// Frames per decoder call by default (and on the PyTorch side).
  public static let decodeBatch = 32

  static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  /// Median wall seconds of `body` after `warmup` calls, over at least `minCalls` calls and `seconds`.
  static func median(warmup: Int, minCalls: Int, seconds: Double, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    let start = now()
    while times.count < minCalls || now() - start < seconds {
      let t0 = now()
      body()
      times.append(now() - t0)
    }
    return BenchInfo.median(times)
  }

  static func makeLSTM(_ c: Case, rng: inout SeededRNG) -> ResidualLSTM {
    ResidualLSTM(
      stateSize: c.landmarks * PoseState.width, hidden: c.dynamics.lstmHidden, layers: c.dynamics.lstmLayers,
      residualScale: Float(c.dynamics.dynResidualScale), rng: &rng)
  }

  /// Seconds per LSTM training step.
  public static func lstmTrain(_ c: Case, seconds: Double) throws -> Double {
    var rng = SeededRNG(seed: 1)
    let d = c.landmarks * PoseState.width
    let trainer = try DynamicsTrainer(model: makeLSTM(c, rng: &rng), config: c.dynamics)
    let windows = Tensor.normal([c.dynamics.dynBatchSize, c.dynamics.windowLength, d], std: 0.3, rng: &rng)
    return median(warmup: 3, minCalls: 5, seconds: seconds) { _ = trainer.step(windows: windows) }
  }

  /// Seconds per rollout+decode call and per decode alone; with `profile`, then prints where
  /// three decode calls spend their time (ops, conv shapes).
  public static func rolloutDecode(
    _ c: Case, seconds: Double, decodeBatch: Int = DynamicsBench.decodeBatch, profile: ((String) -> Void)? = nil
  ) throws -> (call: Double, decode: Double) {
    var rng = SeededRNG(seed: 2)
    let k = c.landmarks, d = k * PoseState.width
    let (context, horizon) = (c.dynamics.nContext, c.dynamics.nRollout)
    let lstm = makeLSTM(c, rng: &rng)
    lstm.eval()
    let model = try LandmarkModel(config: c.model, rng: &rng)
    let decoder = StateDecoder(model: model, floor: c.dynamics.choleskyFloor, batch: decodeBatch)
    let s = c.model.imgSize
    let images = Tensor.uniform([sequences, 3, s, s], -1, 1, rng: &rng)
    let ctx = Tensor(zeros: [sequences, context, d])
    for i in 0..<(sequences * context * k) {
      let p = ctx.data + i * PoseState.width
      p[0] = rng.uniform(-0.8, 0.8)
      p[1] = rng.uniform(-0.8, 0.8)
      p[2] = 0.09 + rng.uniform(-0.01, 0.01)
      p[3] = rng.uniform(-0.01, 0.01)
      p[4] = 0.09 + rng.uniform(-0.01, 0.01)
    }
    let index = (0..<(sequences * horizon)).map { $0 / horizon }
    var states = Tensor(zeros: [sequences * horizon, d])
    var appearance = decoder.appearance(of: images)
    let call = median(warmup: 1, minCalls: 3, seconds: seconds) {
      appearance = decoder.appearance(of: images)
      states = Rollout.lstm(lstm, context: ctx, horizon: horizon).reshaped([sequences * horizon, d])
      _ = decoder.decode(states, appearance: appearance, appearanceIndex: index)
    }
    let decode = median(warmup: 0, minCalls: 3, seconds: seconds / 2) {
      _ = decoder.decode(states, appearance: appearance, appearanceIndex: index)
    }
    if let out = profile {
      let calls = 3
      ProfileTables.record(
        label: "\(c.label) decode (\(sequences * horizon) frames)", calls: calls, unit: "call",
        outsideOps: "state → Gaussian parameters, copies", print: out
      ) {
        let t0 = now()
        for _ in 0..<calls {
          OpProfile.mark()
          _ = decoder.decode(states, appearance: appearance, appearanceIndex: index)
        }
        return now() - t0
      }
    }
    return (call, decode)
  }

  public static func run(
    seconds: Double = 3, only: String? = nil, threads: BenchThreads, reference: ReferenceSide, profile: Bool = false,
    decodeBatch: Int = DynamicsBench.decodeBatch, print out: (String) -> Void
  ) throws {
    let cases = try (only.map { [$0] } ?? labels).map(loadCase)
    BenchInfo.header("dynamics benchmark", threads: threads, reference: reference, print: out)
    out("lstm_train: Adam step on dyn_batch_size windows; rollout_decode: \(sequences) sequences, n_context context frames,")
    out("n_rollout rolled out, 8 × n_rollout frames decoded in batches of \(decodeBatch); medians over at least --seconds \(seconds)")
    out("(ours, then PyTorch right after on the same config)")
    for c in cases {
      let dy = c.dynamics, m = c.model
      out(
        "case \(c.label) (\(c.sources.joined(separator: " ← "))): K \(m.nLandmarks), LSTM \(dy.lstmLayers)x\(dy.lstmHidden) + linear, "
          + "residual scale \(dy.dynResidualScale), \(dy.nInputs) in / \(dy.nFuture) future, batch \(dy.dynBatchSize), "
          + "lr \(dy.dynLearningRate); rollout \(dy.nContext) → \(dy.nRollout); decoder \(m.imgSize) px, nsf \(m.nsf), naf \(m.naf), "
          + "ngc \(m.ngc), n_filters \(m.nFilters), pose decoder \(m.poseDecoderChannels), spade_hidden \(m.spadeHidden)"
          + (m.useIdentityCovariance ? ", fixed covariance" : ""))
    }
    out("")
    out("case           what             ours                  PyTorch               ours/PyTorch speed  load")
    var profiles: [String] = []  // printed after the table, so its rows stay together
    for c in cases {
      let frames = Double(sequences * c.dynamics.nRollout)
      let train = try lstmTrain(c, seconds: seconds)
      let (call, decode) = try rolloutDecode(
        c, seconds: seconds, decodeBatch: decodeBatch, profile: profile ? { profiles.append($0) } : nil)
      let oursTrain = Double(c.dynamics.dynBatchSize) / train, oursFrames = frames / call, oursDecode = frames / decode
      var torch: [String: [String: Any]] = [:]
      if reference.available {
        let (lines, e) = reference.run(["--config-json", c.config.canonicalJSON(), "--case", c.label, "--seconds", String(seconds)])
        if let e { out("\(c.label): PyTorch not measured: \(e)") }
        for l in lines { if let what = l["what"] as? String { torch[what] = l } }
      }
      let load = BenchInfo.load
      func row(_ what: String, _ ours: Double, _ unit: String, _ key: String) {
        let theirs = torch[what == "decode_only" ? "rollout_decode" : what]?[key] as? Double
        let t = theirs.map { String(format: "%8.1f %@", $0, unit) } ?? "-"
        let ratio = theirs.map { String(format: "%.2f", ours / $0) } ?? "-"
        out(
          c.label.padding(toLength: 15, withPad: " ", startingAt: 0) + what.padding(toLength: 17, withPad: " ", startingAt: 0)
            + String(format: "%8.1f %@", ours, unit).padding(toLength: 22, withPad: " ", startingAt: 0)
            + t.padding(toLength: 22, withPad: " ", startingAt: 0) + ratio.padding(toLength: 20, withPad: " ", startingAt: 0) + load)
      }
      row("lstm_train", oursTrain, "seq/s", "sequences_per_s")
      row("rollout_decode", oursFrames, "frames/s", "frames_per_s")
      row("decode_only", oursDecode, "frames/s", "decode_frames_per_s")
    }
    if reference.available { out("ours/PyTorch speed = ours ÷ PyTorch (above 1: ours is faster)") }
    profiles.forEach(out)
  }
}
