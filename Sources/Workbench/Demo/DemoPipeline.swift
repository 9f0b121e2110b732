// DemoPipeline: `lmlab demo`, the whole method on the embedded synthetic default, one registry
// run per stage, each linked to its parent:
//   landmarks (landmarks-learn.yaml; its keypoint probe and baselines are the keypoint stage)
//   → dynamics (dynamics-demo.yaml) → the pixel-space predictor (pixel-demo.yaml, the report's
//   comparison) → prediction (2 context, 28 future) with the LSTM, every baseline and the pixel
//   predictor, and a 200-frame LSTM rollout → interpolation, first to last frame, every scheme.
// Stages already finished for the same config are reused and interrupted ones continued
// (StageReuse), so a demo stopped anywhere (even kill -9) and started again finishes with the
// same numbers and no duplicate runs. Workbench only wires stages; each stage is its own module.
import Foundation
import SafeIO
import EvalMetrics
import Registry
import Reports

public struct DemoRequest: Sendable {
  /// Folder of the demo's outputs (frame folders under frames/, the report at its top).
  public var out = "reports/demo"
  public var experiment = "demo"
  public var landmarksConfig: String
  public var dynamicsConfig: String
  /// The pixel-space predictor's config, read over the landmark config (the same data).
  public var pixelConfig: String
  /// `key=value` overrides of the landmark, dynamics and pixel configs.
  public var landmarkOverrides: [String] = []
  public var dynamicsOverrides: [String] = []
  public var pixelOverrides: [String] = []
  /// LPIPS weights (nil: `LPIPSModel.locate`'s places). Without a file LPIPS is not scored
  /// (one note naming those places), as in `predict`; effnet-lite0-dist is the perceptual metric.
  public var lpipsWeights: String?
  /// A time budget in minutes on 2 cores: both training stages' step counts are scaled by
  /// minutes / `budgetMinutes` (deterministic: the same budget gives the same runs and numbers
  /// on any machine). nil: the configs' step counts.
  public var minutes: Double?
  /// The budget the shipped demo configs are sized for.
  public static let budgetMinutes = 15.0
  /// Take over an `out` folder that holds files the demo did not write (by default refused).
  public var force = false

  public init(landmarksConfig: String, dynamicsConfig: String, pixelConfig: String) {
    self.landmarksConfig = landmarksConfig
    self.dynamicsConfig = dynamicsConfig
    self.pixelConfig = pixelConfig
  }

  /// The presets in the shipped `Experiments/` folder (`ExperimentsFolder.locate`).
  public static func presets() throws -> DemoRequest {
    let dir = try ExperimentsFolder.locate()
    return DemoRequest(
      landmarksConfig: dir + "/landmarks-learn.yaml", dynamicsConfig: dir + "/dynamics-demo.yaml", pixelConfig: dir + "/pixel-demo.yaml")
  }
}

/// What the demo ran, for the report and the summary it prints.
public struct DemoResult: Sendable {
  public var landmarksRun: Int64 = 0
  public var dynamicsRun: Int64 = 0
  public var pixelRun: Int64 = 0
  /// Method or scheme → run id, in stage order.
  public var predictRuns: [(method: String, run: Int64)] = []
  public var rolloutRun: Int64 = 0
  public var interpolateRuns: [(scheme: String, run: Int64)] = []
  /// Per stage: seconds spent in this process, and whether a finished run was reused.
  public var stages: [(stage: String, seconds: Double, reused: Bool)] = []
  public var lpipsWeights: String?
  /// The report's index.html.
  public var reportPath: String?
}

public enum DemoPipeline {
  public static let context = 2, horizon = 28, longRollout = 200

  /// The stages in order, with their seconds in a measured demo on 2 cores (11m38s in all;
  /// for the overall ETA, which rescales them by the pace of the stages done so far).
  static func stages() -> [(label: String, weight: Double)] {
    var s: [(String, Double)] = [("landmarks", 377), ("dynamics", 87), ("pixel", 90)]
    for m in PredictionMethod.allCases { s.append(("predict \(m.rawValue)", m == .copyLast ? 5 : 14)) }
    s.append(("rollout \(longRollout)", 74))
    for name in InterpolationMethod.allNames { s.append(("interpolate \(name)", name == "crossfade" ? 6 : 23)) }
    s.append(("report", 1))
    return s
  }

  /// The demo's three configs as it trains them (the dynamics and pixel configs read over the
  /// landmark config, as a dynamics run's is read over its landmark run's, so all three see the
  /// same data; `--minutes` applied). Checked before anything is written: a bad config or `--set`
  /// leaves no folder behind.
  public static func configs(_ r: DemoRequest, print out: (String) -> Void = { _ in }) throws
    -> (landmarks: LoadedConfig, dynamics: LoadedConfig, pixel: LoadedConfig)
  {
    var landmarks = try ConfigLoader.load(file: r.landmarksConfig, overrides: r.landmarkOverrides)
    let landmarkSteps = landmarks.config.run.maxSteps
    if let m = r.minutes { try scaleLandmarks(&landmarks, toMinutes: m, r) }
    var dynamics = try ConfigLoader.load(
      file: r.dynamicsConfig, overrides: r.dynamicsOverrides, base: landmarks.config, baseName: r.landmarksConfig)
    var pixel = try ConfigLoader.load(
      file: r.pixelConfig, overrides: r.pixelOverrides, base: landmarks.config, baseName: r.landmarksConfig,
      kind: PixelSetup.runKind)
    try PixelSetup.check(pixel)
    if let m = r.minutes {
      let dynamicsSteps = dynamics.config.dynamics.dynSteps, pixelSteps = pixel.config.pixel.pixelSteps
      try scaleDynamics(&dynamics, toMinutes: m)
      try scale(&pixel, key: "pixel_steps", steps: pixelSteps, toMinutes: m)
      out(
        "demo: --minutes \(formatMinutes(m)) scales training by \(String(format: "%.2f", m / DemoRequest.budgetMinutes)) of "
          + "the \(formatMinutes(DemoRequest.budgetMinutes))-minute recipe: landmarks \(landmarkSteps) → \(landmarks.config.run.maxSteps) "
          + "steps, dynamics \(dynamicsSteps) → \(dynamics.config.dynamics.dynSteps) steps, pixel \(pixelSteps) → "
          + "\(pixel.config.pixel.pixelSteps) steps")
    }
    // A --lpips-weights path that holds none fails now, not after the training stages.
    _ = try dynamicsMetrics(dynamics.config.eval, lpipsWeights: r.lpipsWeights)
    return (landmarks, dynamics, pixel)
  }

  public static func run(_ r: DemoRequest, registry: Registry, print out: @escaping (String) -> Void = { Swift.print($0) }) throws
    -> DemoResult
  {
    let (landmarks, dynamics, pixel) = try configs(r, print: out)
    // The demo fills `out` stage by stage and continues there after an interruption: a folder it
    // did not start (no demo marker) is refused, so its stages never replace the user's files.
    try OutputFolder.claim(r.out, command: "demo", force: r.force)
    var result = DemoResult()
    result.lpipsWeights = r.lpipsWeights
    // Every frame stage notes the same missing LPIPS (or EfficientNet) weights: say it once.
    let notes = NotesOnce(out)
    let overall = OverallProgress(stages: stages(), print: out)
    var options = TrainOptions()
    options.experiment = r.experiment
    options.print = out

    try overall.stage("landmarks") { reused in
      options.runName = "demo-landmarks"
      let spec = landmarks.runSpec(name: options.runName, kind: LandmarkTraining.runKind, experiment: r.experiment)
      result.landmarksRun = try trained(spec, registry: registry, reused: &reused, what: "landmark training", options: options) {
        try LandmarkTraining.start(landmarks, registry: registry, options: options)
      }
    }
    try overall.stage("dynamics") { reused in
      options.runName = "demo-dynamics"
      let spec = dynamics.runSpec(
        name: options.runName, kind: DynamicsTraining.runKind, experiment: r.experiment, parentId: result.landmarksRun)
      result.dynamicsRun = try trained(spec, registry: registry, reused: &reused, what: "dynamics training", options: options) {
        try DynamicsTraining.start(dynamics, landmarksRun: result.landmarksRun, registry: registry, options: options)
      }
    }
    try overall.stage("pixel") { reused in
      options.runName = "demo-pixel"
      let spec = pixel.runSpec(name: options.runName, kind: PixelTraining.runKind, experiment: r.experiment)
      result.pixelRun = try trained(spec, registry: registry, reused: &reused, what: "pixel training", options: options) {
        try PixelTraining.start(pixel, registry: registry, options: options)
      }
    }
    let models = try DynamicsModels.resolve(result.dynamicsRun, registry: registry)
    for method in PredictionMethod.allCases {
      try overall.stage("predict \(method.rawValue)") { reused in
        let fromPixel = method == .pixel
        var q = PredictRequest(runId: fromPixel ? result.pixelRun : result.dynamicsRun, out: "\(r.out)/frames/predict-\(method.rawValue)")
        q.method = method
        q.context = context
        q.horizon = horizon
        q.target.experiment = r.experiment
        q.target.lpipsWeights = result.lpipsWeights
        let config = fromPixel ? pixel.config : models.config
        let id = try frameStage(Prediction.runSpec(q, config: config, context: context, horizon: horizon), out: q.target.out, registry: registry, reused: &reused) {
          try Prediction.run(q, registry: registry, print: notes.print).runId
        }
        result.predictRuns.append((method.rawValue, id))
      }
    }
    try overall.stage("rollout \(longRollout)") { reused in
      var q = PredictRequest(runId: result.dynamicsRun, out: "\(r.out)/frames/rollout-\(longRollout)")
      q.context = context
      q.horizon = longRollout
      q.target.experiment = r.experiment
      q.target.lpipsWeights = result.lpipsWeights
      result.rolloutRun = try frameStage(Prediction.runSpec(q, config: models.config, context: context, horizon: longRollout), out: q.target.out, registry: registry, reused: &reused) {
        let s = try Prediction.run(q, registry: registry, print: notes.print)
        if let v = s.validity { out("rollout \(longRollout): \(v.nonFinite) non-finite numbers, \(v.invalidCovariances) invalid covariances") }
        return s.runId
      }
    }
    for name in InterpolationMethod.allNames {
      try overall.stage("interpolate \(name)") { reused in
        var q = InterpolateRequest(runId: result.dynamicsRun, out: "\(r.out)/frames/interpolate-\(name)")
        q.method = InterpolationMethod(name: name)!
        q.target.experiment = r.experiment
        q.target.lpipsWeights = result.lpipsWeights
        let id = try frameStage(InterpolationRun.runSpec(q, config: models.config), out: q.target.out, registry: registry, reused: &reused) {
          try InterpolationRun.run(q, registry: registry, print: notes.print).runId
        }
        result.interpolateRuns.append((name, id))
      }
    }
    // The report is drawn from the registry each time (cheap; not a run).
    try overall.stage("report") { _ in
      let ids = [result.landmarksRun, result.dynamicsRun, result.pixelRun] + result.predictRuns.map(\.run) + [result.rolloutRun]
        + result.interpolateRuns.map(\.run)
      let data = try ReportInputs.load(.runs(ids), registry: registry, title: "LandmarkLab demo")
      result.reportPath = try ExperimentReport(data).write(to: r.out + "/report")
    }
    result.stages = overall.seconds
    overall.finish()
    return result
  }

  /// A training stage: reuse the finished run of `spec`, continue an unfinished one, or start it.
  static func trained(
    _ spec: RunSpec, registry: Registry, reused: inout Bool, what: String, options: TrainOptions, start: () throws -> TrainSummary
  ) throws -> Int64 {
    let summary: TrainSummary?
    switch try StageReuse.find(spec, registry: registry) {
    case .finished(let run):
      reused = true
      return run.id
    case .unfinished(let run):
      switch try TrainingRuns.resume(runId: run.id, registry: registry, options: options) {
      case .trained(let s): summary = s
      case .claimedElsewhere, .queued: summary = nil
      }
    case .none: summary = try start()
    }
    guard let s = summary else { throw DemoError.stage("\(what): another process claimed the run first; wait for it and start again") }
    guard s.status == .finished else {
      throw DemoError.stage("\(what) run \(s.runId) ended \(s.status.rawValue); start the demo again to continue it")
    }
    return s.runId
  }

  /// A frame stage (predict, interpolate): reuse the finished run, else redo it from scratch.
  static func frameStage(_ spec: RunSpec, out: String, registry: Registry, reused: inout Bool, make: () throws -> Int64) throws -> Int64 {
    switch try StageReuse.find(spec, registry: registry) {
    case .finished(let run):
      reused = true
      return run.id
    case .unfinished(let run): try StageReuse.discard(run, out: out, registry: registry)
    case .none:
      // Frames left by a run deleted by hand (or killed before it registered) are not reused.
      if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
    }
    return try make()
  }
}

extension DemoPipeline {
  /// Scales `max_steps` by minutes / `budgetMinutes` (an override, so the run records it). Only
  /// training scales; the frame stages keep their size.
  static func scaleLandmarks(_ l: inout LoadedConfig, toMinutes minutes: Double, _ r: DemoRequest) throws {
    guard minutes > 0 && minutes.isFinite else { throw DemoError.stage("--minutes must be > 0, got \(minutes)") }
    let steps = l.config.run.maxSteps
    guard steps > 0 else { throw DemoError.stage("--minutes: \(r.landmarksConfig) sets no max_steps to scale") }
    let scaled = Swift.max(1, Int((Double(steps) * minutes / DemoRequest.budgetMinutes).rounded()))
    try ConfigLoader.apply(override: "max_steps=\(scaled)", to: &l.config)
    l.sources.append("--minutes \(formatMinutes(minutes)): max_steps=\(scaled)")
  }

  /// Scales `dyn_steps` as `scaleLandmarks` scales `max_steps`.
  static func scaleDynamics(_ d: inout LoadedConfig, toMinutes minutes: Double) throws {
    try scale(&d, key: "dyn_steps", steps: d.config.dynamics.dynSteps, toMinutes: minutes)
  }

  /// Sets step-count `key` (now `steps`) to steps · minutes / `budgetMinutes` (at least 1), recorded.
  static func scale(_ c: inout LoadedConfig, key: String, steps: Int, toMinutes minutes: Double) throws {
    let scaled = Swift.max(1, Int((Double(steps) * minutes / DemoRequest.budgetMinutes).rounded()))
    try ConfigLoader.apply(override: "\(key)=\(scaled)", to: &c.config)
    c.sources.append("--minutes \(formatMinutes(minutes)): \(key)=\(scaled)")
  }

  static func formatMinutes(_ m: Double) -> String { m == m.rounded() ? String(Int(m)) : String(m) }
}
