// PredictionImport: `lmlab import predictions`. Another method's predicted frames become a
// registry run scored exactly as `lmlab predict` scores its own: the frames are matched to the
// reference (ImportPlan), staged in the layout a predict run leaves (FrameRunOutput: frames/ and
// truth/ named by the reference frame numbers, hard links or copies of the inputs, array frames
// as PNGs), scored by the same `evaluateFrames` call with the same metrics, and only then
// registered: per-frame scores, per-horizon-step mean series and `scores.csv` in the run's
// folder <out>/<run id>. A refused or failed import before that registers nothing.
//
// Reports group prediction curves by setup ("2 context frames → 28 predicted", the params
// `predict_context`/`predict_horizon`). An import's setup is its --context and horizon; when the
// reference is a finished predict run's truth/ folder (no context frames in it, --context 0) the
// import takes that run's setup and LPIPS backbone instead, so the two share plots.
import EvalMetrics
import Foundation
import SafeIO
import Imaging
import Registry

public struct ImportRequest: Sendable {
  /// The imported method's name in reports (not one of LandmarkLab's own).
  public var method: String
  /// Frame folder DIR/<sequence>/<frame>.png or HDF5 video array file.
  public var dir: String
  /// Frame folder of the ground truth.
  public var reference: String
  /// Leading reference frames of each sequence that are context (not predicted).
  public var context = 0
  public var experiment: String?
  /// LPIPS weights file or folder (nil: `LPIPSModel.locate`'s defaults).
  public var lpipsWeights: String?
  /// The run's folder is made here, as <out>/<run id>.
  public var out = "runs"
  /// nil: live on a terminal, plain lines otherwise.
  public var progressStyle: ProgressReporter.Style?

  public init(method: String, dir: String, reference: String) {
    (self.method, self.dir, self.reference) = (method, dir, reference)
  }
}

public struct ImportSummary {
  public var runId: Int64
  /// The run's folder (frames/, truth/, scores.csv).
  public var folder: String
  public var format: String
  public var sequences: Int
  public var horizon: Int
  /// The report setup the run is drawn in.
  public var setup: String
  /// Mean per horizon step of every metric.
  public var table: String
  public var notes: [String]
  public var evaluation: FrameEvaluation
}

public enum PredictionImport {
  public static let runKind = "import-predictions"

  /// LandmarkLab's own method names (predict methods and interpolation schemes): an import may
  /// not take one, or its curves would share a name and colour with that method's (STYLE 13).
  public static var reservedMethods: [String] {
    PredictionMethod.allCases.map(\.rawValue) + InterpolationMethod.allNames
  }

  public static func run(
    _ r: ImportRequest, registry: Registry, print out: (String) -> Void = { Swift.print($0) }
  ) throws
    -> ImportSummary
  {
    // Everything is checked before anything is written.
    let name = r.method
    guard !name.isEmpty, name.trimmingCharacters(in: .whitespacesAndNewlines) == name,
      !name.contains(where: \.isNewline)
    else {
      throw ImportError.option(
        name: "--method", value: "'\(name)'",
        reason: "a method name must be non-empty, without surrounding spaces or newlines")
    }
    if let own = reservedMethods.first(where: { $0.lowercased() == name.lowercased() }) {
      throw ImportError.option(
        name: "--method", value: name,
        reason:
          "`\(own)` is one of LandmarkLab's own methods (\(reservedMethods.joined(separator: ", "))); choose another name"
      )
    }
    guard r.context >= 0 else {
      throw ImportError.option(name: "--context", value: "\(r.context)", reason: "must be ≥ 0")
    }
    let plan = try ImportPlan.make(dir: r.dir, reference: r.reference, context: r.context)
    let referenceRun = try predictRun(truthFolder: r.reference, registry: registry)
    let setup: (context: String, horizon: String)? =
      r.context == 0
      ? referenceRun.flatMap { run in
        run.params["predict_context"].flatMap { c in
          run.params["predict_horizon"].map { (context: c, horizon: $0) }
        }
      }
      : ("\(r.context)", "\(plan.horizon)")
    // Scored as the prediction run it is compared with was (its eval keys), else by the defaults.
    var scoring = EvalConfig()
    if r.context == 0, let params = referenceRun?.params {
      if let net = params["lpips_net"], LPIPSNet(rawValue: net) != nil { scoring.lpipsNet = net }
      if let g = params["ssim_gaussian"] { scoring.ssimGaussian = g != "false" }
    }
    let (metrics, lpipsNote) = try dynamicsMetrics(scoring, lpipsWeights: r.lpipsWeights)
    var notes = lpipsNote.map { [$0] } ?? []
    if setup == nil {
      notes.append(
        "the reference holds no context frames and is no predict run's truth/: the setup's context is unknown (shown as ?)"
      )
    }

    // Stage and score; nothing is registered yet.
    let fm = FileManager.default
    do { try fm.createDirectory(atPath: r.out, withIntermediateDirectories: true) } catch {
      throw ImportError.option(
        name: "--out", value: r.out, reason: "cannot create: \(error.localizedDescription)")
    }
    let staging = (r.out as NSString).appendingPathComponent(
      ".import-\(UUID().uuidString.prefix(8).lowercased())")
    defer { try? fm.removeItem(atPath: staging) }
    var output = try FrameRunOutput(dir: staging, method: name)
    var origin: [String: String] = [:]  // staged PNG → the input it holds, for messages
    for f in plan.frames {
      let truth = try output.path("truth", f.sequence, f.frame)
      let target = try output.path("frames", f.sequence, f.frame)
      try place(f.reference, at: truth)
      origin[truth] = f.reference
      switch f.predicted {
      case .file(let p):
        try place(p, at: target)
        origin[target] = p
      case .video(let v, let t):
        try fm.createDirectory(
          atPath: Paths.parentFolder(of: target), withIntermediateDirectories: true)
        try writePNG(try plan.video!.frame(sequence: v, index: t), to: target)
        origin[target] = "\(r.dir) (video `\(f.sequence)`, frame \(t))"
      }
      output.scored(sequence: f.sequence, frame: f.frame, index: f.index, landmarkError: nil)
    }
    let progress = ProgressReporter(label: "import \(name)", total: plan.frames.count, style: r.progressStyle)
    progress.unit = "frame"
    var eval: FrameEvaluation
    do {
      eval = try output.evaluate(metrics: metrics, lpipsWeights: r.lpipsWeights) { progress.update(step: $0) }
    } catch let e as EvalError {
      throw naming(e, origin)
    }
    progress.finish()
    precondition(
      eval.pairs.count == plan.frames.count,
      "PredictionImport: \(eval.pairs.count) pairs scored, \(plan.frames.count) planned")

    // Register: the run, its folder, its scores.
    let spec = runSpec(r, plan: plan, setup: setup, referenceRun: referenceRun?.id)
    let handle = try registry.startRun(spec)
    do {
      let folder = absolute((r.out as NSString).appendingPathComponent("\(handle.runId)"))
      guard !fm.fileExists(atPath: folder) else {
        throw ImportError.option(
          name: "--out", value: r.out, reason: "\(folder) already exists (left by a deleted registry?)")
      }
      try fm.moveItem(atPath: staging, toPath: folder)
      output.dir = folder
      for i in eval.pairs.indices {
        eval.pairs[i].reference = try output.path("truth", eval.pairs[i].sequence, eval.pairs[i].frame)
        eval.pairs[i].predicted = try output.path("frames", eval.pairs[i].sequence, eval.pairs[i].frame)
      }
      try output.record(eval, handle: handle)
      try handle.finish(.finished)
      for note in notes { out("note: \(note)") }
      return ImportSummary(
        runId: handle.runId, folder: folder, format: plan.format.rawValue, sequences: plan.sequences.count,
        horizon: plan.horizon,
        setup: "\(setup?.context ?? "?") context frames → \(setup?.horizon ?? "\(plan.horizon)") predicted",
        table: output.table(eval),
        notes: notes, evaluation: eval)
    } catch {
      try? handle.finish(.failed, error: "\(error)")
      throw error
    }
  }

  /// The run an import records: its inputs as params (`import_*`), the setup it is drawn in
  /// (`predict_context`, `predict_horizon`, as on predict runs), the inputs as config JSON.
  static func runSpec(
    _ r: ImportRequest, plan: ImportPlan, setup: (context: String, horizon: String)?, referenceRun: Int64?
  ) -> RunSpec {
    var text: [(String, String)] = [
      ("import_method", r.method), ("import_dir", absolute(r.dir)),
      ("import_reference", absolute(r.reference)),
      ("import_format", plan.format.rawValue),
    ]
    if let setup { text += [("predict_context", setup.context), ("predict_horizon", setup.horizon)] }
    var numbers: [(String, Int)] = [
      ("import_context", r.context), ("import_horizon", plan.horizon),
      ("import_sequences", plan.sequences.count),
    ]
    if let id = referenceRun { numbers.append(("import_reference_run", Int(id))) }
    var config: [String: Any] = [:]
    for (k, v) in text { config[k] = v }
    for (k, v) in numbers { config[k] = v }
    let json =
      (try? JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])).flatMap {
        String(data: $0, encoding: .utf8)
      } ?? "{}"
    return RunSpec(
      name: "import-\(r.method)", kind: runKind, experiment: r.experiment, configJSON: json,
      params: text.map { ParamEntry.string($0.0, $0.1) } + numbers.map { ParamEntry.int($0.0, $0.1) },
      gitCommit: GitInfo.buildCommit)
  }

  /// The newest finished predict run whose truth/ folder is `truthFolder` (compared as resolved
  /// absolute paths; a run recorded with a path relative to another directory is not found).
  static func predictRun(truthFolder: String, registry: Registry) throws -> (
    id: Int64, params: [String: String]
  )? {
    let want = resolved(truthFolder)
    let runs = try registry.listRuns(
      filter: try WhereExpr.parse("kind = '\(Prediction.runKind)' and status = finished"), limit: 0
    ).runs
    for run in runs.sorted(by: { $0.id > $1.id }) {
      for a in try registry.artifacts(runId: run.id) where a.kind == "scores_csv" {
        if resolved(
          (Paths.parentFolder(of: a.path) as NSString).appendingPathComponent("truth"))
          == want
        {
          let params = Dictionary(
            try registry.params(runId: run.id).map { ($0.key, $0.text) }, uniquingKeysWith: { a, _ in a })
          return (run.id, params)
        }
      }
    }
    return nil
  }

  /// `e` naming the inputs instead of their staged copies.
  static func naming(_ e: EvalError, _ origin: [String: String]) -> EvalError {
    func o(_ p: String) -> String { origin[p] ?? p }
    switch e {
    case .unreadableImage(let p, let d):
      return .unreadableImage(path: o(p), detail: d.replacingOccurrences(of: p, with: o(p)))
    case .sizeMismatch(let r, let p, let d): return .sizeMismatch(reference: o(r), predicted: o(p), detail: d)
    case .channelMismatch(let r, let p, let d):
      return .channelMismatch(reference: o(r), predicted: o(p), detail: d)
    case .refused(let p, let d): return .refused(path: o(p), detail: d)
    default: return e
    }
  }

  /// Hard-links `source` (symlinks resolved) at `path`; copies where a link cannot be made.
  static func place(_ source: String, at path: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(
      atPath: Paths.parentFolder(of: path), withIntermediateDirectories: true)
    let real = resolved(source)
    do { try fm.linkItem(atPath: real, toPath: path) } catch { try fm.copyItem(atPath: real, toPath: path) }
  }

  static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
  static func resolved(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
  }
}
