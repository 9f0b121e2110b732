// `lmlab bench dynamics`: LSTM training sequences/s and rollout+decode frames/s at the demo and
// BAIR sizes, beside the same work in PyTorch (Experiments/tools/bench_dynamics.py, run as a
// subprocess right after ours when `pytorch` is on), with the ratios from that same run.
//   lstm_train      one Adam step on 32 windows of states (demo: K 10, 10 in / 10 future; BAIR:
//                   K 30, 10 in / 0 future), LSTM 3×256 + linear, residual scale 1
//   rollout_decode  8 sequences: appearance of the last of 2 context frames, 2 context LSTM steps,
//                   28 rolled out, 224 states decoded (heatmaps → projection → SPADE) in
//                   batches of 32; demo = landmarks-learn's model, BAIR = the reference widths, K 30
import Workbench
import Dynamics
import Foundation
import Landmarks
import TensorEngine

public enum DynamicsBench {
  public struct Case {
    public var label: String
    public var landmarks: Int
    public var nInputs: Int
    public var nFuture: Int
    public var model: ModelConfig
  }

  public static var cases: [Case] {
    // landmarks-learn.yaml's model: the demo widths with the fixed isotropic covariance.
    var demo = TrainBench.demo().model
    demo.useIdentityCovariance = true
    var bair = ModelConfig()
    bair.imgSize = 64
    bair.nLandmarks = 30
    return [
      Case(label: "demo", landmarks: demo.nLandmarks, nInputs: 10, nFuture: 10, model: demo),
      Case(label: "bair", landmarks: 30, nInputs: 10, nFuture: 0, model: bair),
    ]
  }

  static let batch = 32, sequences = 8, context = 2, horizon = 28

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
    times.sort()
    return times[times.count / 2]
  }

  /// Seconds per LSTM training step.
  public static func lstmTrain(_ c: Case, seconds: Double) throws -> Double {
    var rng = SeededRNG(seed: 1)
    let d = c.landmarks * PoseState.width
    let model = ResidualLSTM(stateSize: d, hidden: 256, layers: 3, rng: &rng)
    var tc = DynamicsConfig()
    tc.nInputs = c.nInputs
    tc.nFuture = c.nFuture
    let trainer = try DynamicsTrainer(model: model, config: tc)
    let windows = Tensor.normal([batch, tc.windowLength, d], std: 0.3, rng: &rng)
    return median(warmup: 3, minCalls: 5, seconds: seconds) { _ = trainer.step(windows: windows) }
  }

  /// Seconds per rollout+decode call and per decode alone; with `profile`, then prints where
  /// three decode calls spend their time (ops, conv shapes).
  public static func rolloutDecode(_ c: Case, seconds: Double, profile: ((String) -> Void)? = nil) throws -> (call: Double, decode: Double) {
    var rng = SeededRNG(seed: 2)
    let k = c.landmarks, d = k * PoseState.width
    let lstm = ResidualLSTM(stateSize: d, hidden: 256, layers: 3, rng: &rng)
    lstm.eval()
    let model = try LandmarkModel(config: c.model, rng: &rng)
    let decoder = StateDecoder(model: model, floor: 1e-3, batch: 32)
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

  /// The PyTorch figures of one case, by "what" (lstm_train, rollout_decode); nil with a reason
  /// when the script or torch is not available.
  static func pytorch(_ label: String, seconds: Double, script: String) -> (figures: [String: [String: Any]], error: String?) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", script, "--json", "--case", label, "--seconds", String(seconds)]
    var env = ProcessInfo.processInfo.environment
    env["OMP_WAIT_POLICY"] = env["OMP_WAIT_POLICY"] ?? "PASSIVE"
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    do { try p.run() } catch { return ([:], "cannot run python3: \(error)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      return ([:], "\(script) exited \(p.terminationStatus): " + (errText.split(separator: "\n").last.map(String.init) ?? ""))
    }
    var figures: [String: [String: Any]] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let what = obj["what"] as? String
      else { continue }
      figures[what] = obj
    }
    return (figures, nil)
  }

  public static func run(
    seconds: Double = 3, only: String? = nil, pytorch usePyTorch: Bool, script: String, profile: Bool = false, print out: (String) -> Void
  ) throws {
    out("LandmarkLab dynamics benchmark (float32; OpenBLAS \(NativeBLAS.description), threads \(blasThreads), engine threads \(engineThreads))")
    out("lstm_train: Adam step on \(batch) windows, LSTM 3x256 + linear; rollout_decode: \(sequences) sequences, \(context) context,")
    out("\(horizon) rolled out, \(sequences * horizon) frames decoded in batches of 32 (medians; ours, then PyTorch right after)")
    out("case  what             ours                  PyTorch               ours/PyTorch speed")
    var profiles: [String] = []  // printed after the table, so its rows stay together
    for c in cases where only == nil || c.label == only {
      let train = try lstmTrain(c, seconds: seconds)
      let (call, decode) = try rolloutDecode(c, seconds: seconds, profile: profile ? { profiles.append($0) } : nil)
      let oursTrain = Double(batch) / train, oursFrames = Double(sequences * horizon) / call
      let oursDecode = Double(sequences * horizon) / decode
      var torch: [String: [String: Any]] = [:]
      if usePyTorch {
        let (f, e) = pytorch(c.label, seconds: seconds, script: script)
        if let e { out("PyTorch not measured: \(e)") }
        torch = f
      }
      func row(_ what: String, _ ours: Double, _ unit: String, _ key: String) {
        let theirs = torch[what == "decode_only" ? "rollout_decode" : what]?[key] as? Double
        let t = theirs.map { String(format: "%8.1f %@", $0, unit) } ?? "-"
        let ratio = theirs.map { String(format: "%.2f", ours / $0) } ?? "-"
        out(
          c.label.padding(toLength: 6, withPad: " ", startingAt: 0) + what.padding(toLength: 17, withPad: " ", startingAt: 0)
            + String(format: "%8.1f %@", ours, unit).padding(toLength: 22, withPad: " ", startingAt: 0)
            + t.padding(toLength: 22, withPad: " ", startingAt: 0) + ratio)
      }
      row("lstm_train", oursTrain, "seq/s", "sequences_per_s")
      row("rollout_decode", oursFrames, "frames/s", "frames_per_s")
      row("decode_only", oursDecode, "frames/s", "decode_frames_per_s")
      if let v = torch["lstm_train"]?["torch"] as? String { out("      (torch \(v))") }
    }
    profiles.forEach(out)
  }
}
