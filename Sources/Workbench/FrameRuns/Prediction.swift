// Prediction: `lmlab predict`. From a dynamics run (or, for the baselines, a landmark run) it
// conditions on `context` frames of each sequence of a split, predicts `horizon` frames and
// writes, scores and registers them (FrameRunOutput). Methods:
//   lstm               the residual LSTM's rollout in state space, decoded
//   hold-state         the last context state held, decoded
//   constant-velocity  the last context velocity continued in state space, decoded
//   copy-last          the last context frame's pixels repeated
//   reconstruction     the landmark model's encoding of the true future frames, decoded: the upper
//                      bound that shows what the decoder alone loses
//   pixel              the pixel-space predictor of a pixel run (`lmlab train pixel`) rolled out
//                      from the context frames themselves (PixelPrediction.swift)
// Decoding uses the appearance of the last context frame. State methods also score the mean
// landmark-mean error in pixels against the encoding of the true future frames.
import Datasets
import Dynamics
import Foundation
import Landmarks
import Registry
import TensorEngine

public enum PredictionMethod: String, CaseIterable, Sendable {
  case lstm
  case copyLast = "copy-last"
  case holdState = "hold-state"
  case constantVelocity = "constant-velocity"
  case reconstruction
  case pixel

  /// The methods that predict from a dynamics or landmarks run (every one but `pixel`, which
  /// predicts from a pixel run).
  public static var landmarkFamily: [PredictionMethod] { allCases.filter { $0 != .pixel } }

  var statePredictor: StatePredictor? {
    switch self {
    case .lstm: return .lstm
    case .holdState: return .holdState
    case .constantVelocity: return .constantVelocity
    default: return nil
    }
  }
}

public struct PredictRequest: Sendable {
  public var runId: Int64
  public var method: PredictionMethod = .lstm
  /// nil: the config's n_context / n_rollout.
  public var context: Int?
  public var horizon: Int?
  /// First context frame (position in each sequence).
  public var start = 0
  public var target: FrameRunTarget

  public init(runId: Int64, out: String) {
    self.runId = runId
    target = FrameRunTarget(out: out)
  }
}

public struct PredictSummary {
  public var runId: Int64
  public var table: String
  public var validity: Rollout.Validity?
  /// Range of the decoded frames before clamping.
  public var decodedRange: ClosedRange<Float>?
  public var notes: [String]
  public var evaluation: FrameEvaluation
}

/// The models a dynamics command uses, from a dynamics run or a landmark run.
struct DynamicsModels {
  var config: ExperimentConfig
  var landmarkCheckpoint: String
  var lstmCheckpoint: String?

  static func resolve(_ id: Int64, registry: Registry) throws -> DynamicsModels {
    let run = try registry.run(id)
    if run.kind == DynamicsSetup.dynamicsKind {
      let (_, ckpt, c) = try DynamicsSetup.finishedRun(id, kind: DynamicsSetup.dynamicsKind, registry: registry, role: "dynamics run")
      guard let parent = run.parentId else { throw DynamicsSetupError.run("dynamics run \(id) records no landmarks run") }
      let (_, lckpt, _) = try DynamicsSetup.finishedRun(parent, kind: DynamicsSetup.landmarkKind, registry: registry, role: "landmarks run")
      return DynamicsModels(config: c, landmarkCheckpoint: lckpt, lstmCheckpoint: try selected(ckpt, run: id, config: c, registry: registry))
    }
    let (_, lckpt, c) = try DynamicsSetup.finishedRun(id, kind: DynamicsSetup.landmarkKind, registry: registry, role: "--run")
    return DynamicsModels(config: c, landmarkCheckpoint: lckpt, lstmCheckpoint: nil)
  }

  /// The LSTM checkpoint predictions use: the latest, or with `dyn_select: best_val` the one the
  /// run recorded as `selected_checkpoint_step`.
  static func selected(_ latest: String, run id: Int64, config c: ExperimentConfig, registry: Registry) throws -> String {
    guard c.dynamics.dynSelect == "best_val" else { return latest }
    guard let step = try registry.series(runId: id, name: "selected_checkpoint_step").last.map({ Int64($0.value) }) else {
      throw DynamicsSetupError.run("dynamics run \(id) (dyn_select: best_val) recorded no selected_checkpoint_step")
    }
    guard let ckpt = try registry.detail(id).checkpoints.last(where: { $0.step == step }) else {
      throw DynamicsSetupError.run("dynamics run \(id): the selected checkpoint of step \(step) is not recorded")
    }
    guard FileManager.default.fileExists(atPath: ckpt.path) else {
      throw DynamicsSetupError.run("dynamics run \(id): the selected checkpoint \(ckpt.path) is missing")
    }
    return ckpt.path
  }

  func decoder() throws -> StateDecoder {
    StateDecoder(model: try LandmarkEncoding.loadModel(checkpoint: landmarkCheckpoint), floor: config.dynamics.choleskyFloor)
  }

  func lstm() throws -> ResidualLSTM? {
    guard let path = lstmCheckpoint else { return nil }
    let m = DynamicsSetup.makeLSTM(config)
    try m.load(from: path)
    m.eval()
    return m
  }
}

/// A registry run for an output of `models` (config JSON = the parent's config plus `extra`).
func outputRunSpec(
  name: String, kind: String, parent: Int64, config c: ExperimentConfig, extra: [(String, String)], experiment: String?
) -> RunSpec {
  var json = c.canonicalJSON()
  let tail = extra.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",")
  if json.hasSuffix("}") && !extra.isEmpty { json = String(json.dropLast()) + (json == "{}" ? "" : ",") + tail + "}" }
  return RunSpec(
    name: name, kind: kind, experiment: experiment, parentId: parent, configJSON: json,
    params: c.paramEntries() + extra.map { ParamEntry.string($0.0, $0.1) } + [ThreadSetting.param], seed: Int64(c.run.seed),
    gitCommit: GitInfo.buildCommit)
}

public enum Prediction {
  public static let runKind = "predict"

  /// The registry run a prediction of `r` records (also how the demo finds one already made).
  static func runSpec(_ r: PredictRequest, config c: ExperimentConfig, context n: Int, horizon m: Int) -> RunSpec {
    outputRunSpec(
      name: "predict-\(r.method.rawValue)", kind: runKind, parent: r.runId, config: c,
      extra: [("predict_method", r.method.rawValue), ("predict_context", "\(n)"), ("predict_horizon", "\(m)"),
        ("predict_split", r.target.resolvedSplit(c)), ("predict_start", "\(r.start)")]
        + (r.target.resolvedTestData(c).map { [("predict_data", $0)] } ?? []),
      experiment: r.target.experiment)
  }

  public static func run(_ r: PredictRequest, registry: Registry, print out: (String) -> Void = { Swift.print($0) }) throws
    -> PredictSummary
  {
    if r.method == .pixel { return try PixelPrediction.run(r, registry: registry, print: out) }
    // Everything is checked before anything is written.
    if let kind = try? registry.run(r.runId).kind, kind == PixelSetup.runKind {
      throw DynamicsSetupError.run(
        "--method \(r.method.rawValue) needs a dynamics run (the baselines: or a landmarks run); run \(r.runId) is a "
          + "'\(kind)' run (predict with it by --method pixel)")
    }
    let models = try DynamicsModels.resolve(r.runId, registry: registry)
    let c = models.config
    let n = r.context ?? c.dynamics.nContext, m = r.horizon ?? c.dynamics.nRollout
    try checkCounts(context: n, horizon: m, start: r.start)
    if r.method == .constantVelocity && n < 2 {
      throw DynamicsSetupError.value("--context \(n): constant-velocity needs at least 2 context frames")
    }
    if r.method == .lstm && models.lstmCheckpoint == nil {
      throw DynamicsSetupError.run("--method lstm needs a dynamics run; run \(r.runId) is a landmarks run (train one with `lmlab train dynamics`)")
    }
    let scored = try ScoredSource.open(r.target, config: c)
    let (source, sequences) = (scored.source, scored.sequences)
    try checkContextFits(scored, context: n, start: r.start)
    try FrameRunOutput.checkFree(r.target, command: "predict")
    let (metrics, lpipsNote) = try dynamicsMetrics(c.eval, lpipsWeights: r.target.lpipsWeights)
    let decoder = try models.decoder()
    let lstm = try models.lstm()

    var spec = runSpec(r, config: c, context: n, horizon: m)
    spec.params += scored.params
    let s = decoder.imageSize, d = decoder.stateSize
    return try FrameRunOutput.record(
      spec, registry: registry, target: r.target, command: "predict", method: r.method.rawValue, metrics: metrics,
      notes: [scored.note, lpipsNote].compactMap { $0 },
      print: out
    ) { output in
      let progress = ProgressReporter(label: "predict \(r.method.rawValue)", total: sequences.count)
      progress.unit = "sequence"
      for (done, q) in sequences.enumerated() {
        let name = source.sequenceNames[q], t = source.frameCount(sequence: q)
        let known = Swift.max(0, Swift.min(m, t - r.start - n))  // future frames with ground truth
        let steps = r.method == .reconstruction ? known : m
        if steps == 0 {
          output.notes.append("\(name): no future frame to reconstruct")
          continue
        }
        let ctx = try source.frames(sequence: q, from: r.start, count: n, size: s)
        let truth = known > 0 ? try source.frames(sequence: q, from: r.start + n, count: known, size: s) : nil
        let truthStates = truth.map { decoder.encode($0) }
        let appearance = decoder.appearance(of: ctx.slice(axis: 0, start: n - 1, end: n))
        let sameAppearance = Array(repeating: 0, count: steps)
        let frames: Tensor
        var states: Tensor?
        switch r.method {
        case .copyLast:
          frames = Tensor(zeros: [steps, 3, s, s])
          for j in 0..<steps { (frames.data + j * 3 * s * s).update(from: ctx.data + (n - 1) * 3 * s * s, count: 3 * s * s) }
        case .reconstruction:
          states = truthStates!
          frames = decoder.decode(states!, appearance: appearance, appearanceIndex: sameAppearance)
        case .lstm, .holdState, .constantVelocity:
          let context = decoder.encode(ctx).reshaped([1, n, d])
          states = Rollout.run(r.method.statePredictor!, model: lstm, context: context, horizon: steps).reshaped([steps, d])
          output.check(states!, floor: c.dynamics.choleskyFloor)
          frames = decoder.decode(states!, appearance: appearance, appearanceIndex: sameAppearance)
        case .pixel:
          preconditionFailure("--method pixel is PixelPrediction's")
        }
        if states != nil { output.observeRange(frames) }
        // Reconstruction decodes the true states themselves: its landmark error is 0 by
        // construction, so none is recorded (it would read as a method with no error).
        let errors = states.flatMap { st in r.method == .reconstruction ? nil : st }.flatMap { st in
          truthStates.map { PoseState.meanErrorPixels(st.slice(axis: 0, start: 0, end: known), $0, imageSize: s) }
        }
        try writeSteps(&output, frames, truth: truth, known: known, source: source, sequence: q, from: r.start + n, errors: errors)
        progress.update(step: done + 1)
      }
      progress.finish()
    }
  }

  /// The counts every method checks first.
  static func checkCounts(context n: Int, horizon m: Int, start: Int) throws {
    guard m >= 1 else { throw DynamicsSetupError.value("--horizon must be ≥ 1, got \(m)") }
    guard n >= 1 else { throw DynamicsSetupError.value("--context must be ≥ 1, got \(n)") }
    guard start >= 0 else { throw DynamicsSetupError.value("--start must be ≥ 0, got \(start)") }
  }

  /// Every scored sequence holds the context frames.
  static func checkContextFits(_ scored: ScoredSource, context n: Int, start: Int) throws {
    let source = scored.source
    for q in scored.sequences where start + n > source.frameCount(sequence: q) {
      throw DynamicsSetupError.value(
        "--context \(n) (from frame \(start)) is longer than sequence \(source.sequenceNames[q]) (\(source.frameCount(sequence: q)) frames)")
    }
  }

  /// Writes predicted `frames` [steps, 3, S, S] of sequence `q` starting at position `first`:
  /// the first `known` with their ground truth `truth` as scored frames (and landmark errors,
  /// when measured), the rest past the sequence's end as unscored.
  static func writeSteps(
    _ output: inout FrameRunOutput, _ frames: Tensor, truth: Tensor?, known: Int, source: VideoSource, sequence q: Int, from first: Int,
    errors: [Double]?
  ) throws {
    let name = source.sequenceNames[q], t = source.frameCount(sequence: q)
    for j in 0..<frames.shape[0] {
      let position = first + j
      if j < known {
        let frame = source.frameNumber(sequence: q, index: position)
        try output.write(frames, j, kind: "frames", sequence: name, frame: frame)
        try output.write(truth!, j, kind: "truth", sequence: name, frame: frame)
        output.scored(sequence: name, frame: frame, index: j + 1, landmarkError: errors?[j])
      } else {
        // Past the sequence's end: numbered on from its last frame, kept apart, not scored.
        let frame = source.frameNumber(sequence: q, index: t - 1) + (position - t + 1)
        try output.write(frames, j, kind: "unscored", sequence: name, frame: frame)
      }
    }
  }
}
