// ReportInputs: what a report is drawn from, read from the registry once — the selected runs
// with their params, the landmark runs' training series, and the per-frame scores of predict,
// imported-prediction and interpolate runs as curve rows (an import is drawn as a prediction
// under its --method name, in the setup its `predict_context`/`predict_horizon` params name). A
// scored frame's index on its curve (horizon step / interpolated frame, 1-based) is the one the
// registry stores with the score (`frame_scores.frame_index`).
import Foundation
import SafeIO
import EvalMetrics
import Registry
import Reports

public enum ReportSelection: Sendable {
  case runs([Int64])
  case filter(String)
  case experiment(String)
  /// A sweep by id or name: its trials, led by the per-arm summary.
  case sweep(String)
}

/// A report selection that cannot be reported on (nothing matches, nothing scored, ...).
public enum ReportError: Error, CustomStringConvertible, LocalizedError, Equatable {
  case selection(String)
  public var description: String {
    switch self {
    case .selection(let m): return m
    }
  }
  public var errorDescription: String? { description }
}

public enum ReportInputs {
  /// Reads the selected runs into the page's data.
  /// - Throws: `ReportError` when nothing matches or no selected run has anything to show.
  public static func load(_ selection: ReportSelection, registry: Registry, title: String) throws -> ReportData {
    var runs: [Run]
    var experimentNames: [Int64: String] = [:]
    var what: String
    var sweep: SweepSummary?
    switch selection {
    case .runs(let ids):
      guard !ids.isEmpty else { throw ReportError.selection("--runs: no run ids given") }
      runs = try ids.map { id in
        do { return try registry.run(id) } catch { throw ReportError.selection("--runs: no run \(id) in \(registry.path)") }
      }
      what = "runs \(ids.map(String.init).joined(separator: ", "))"
    case .filter(let text):
      let listing = try registry.listRuns(filter: try WhereExpr.parse(text), limit: 0)
      (runs, experimentNames) = (listing.runs, listing.experimentNames)
      what = "--where \(text)"
    case .experiment(let name):
      guard !name.contains("'") else { throw ReportError.selection("--experiment \(name): a name with ' cannot be selected") }
      let listing = try registry.listRuns(filter: try WhereExpr.parse("experiment = '\(name)'"), limit: 0)
      (runs, experimentNames) = (listing.runs, listing.experimentNames)
      what = "experiment \(name)"
    case .sweep(let text):
      let status: SweepStatus
      do { status = try SweepStatus.load(try registry.sweep(text), registry: registry) } catch { throw ReportError.selection("--sweep: \(error)") }
      runs = status.trials.map(\.run)
      sweep = summary(status)
      what = "sweep \(status.sweep.id) \(status.sweep.name)"
    }
    guard !runs.isEmpty else { throw ReportError.selection("\(what) matches no run in \(registry.path): nothing to report") }
    runs.sort { $0.id < $1.id }
    if experimentNames.isEmpty { experimentNames = try registry.experimentNames() }
    var params: [Int64: [String: String]] = [:]
    for r in runs { params[r.id] = Dictionary(try registry.params(runId: r.id).map { ($0.key, $0.text) }, uniquingKeysWith: { a, _ in a }) }
    let now = Date().timeIntervalSince1970
    let table = runs.map { r in
      ReportRun(
        id: r.id, kind: r.kind, name: r.name, status: r.status.rawValue, parentId: r.parentId,
        experiment: r.experimentId.flatMap { experimentNames[$0] }, seconds: r.totalSeconds(now: now), params: params[r.id] ?? [:])
    }
    // Table 1 groups landmark runs by the parameters that differ among them, seed aside.
    let landmarkRuns = table.filter { $0.kind == LandmarkTraining.runKind }
    let configKeys = LandmarkSections.changedKeys(landmarkRuns).filter { !["seed", "save_path"].contains($0) }
    let landmarks = try runs.filter { $0.kind == LandmarkTraining.runKind }.map { r in
      try landmarkResult(r, registry: registry, configuration: configKeys.compactMap { k in params[r.id]?[k].map { "\(k)=\($0)" } }.joined(separator: ", "))
    }
    let frameRuns = try self.frameRuns(runs, params: params, registry: registry)
    let unscored = runs.filter { frameKinds.contains($0.kind) }.filter { r in !frameRuns.contains { $0.runId == r.id } }
    guard sweep != nil || landmarks.contains(where: { $0.accuracy != nil || !$0.series.isEmpty }) || !frameRuns.isEmpty else {
      throw ReportError.selection(
        "\(what): none of the \(runs.count) selected runs has keypoint accuracy, training series or per-frame scores: nothing to report")
    }
    var notes: [String] = []
    if !unscored.isEmpty {
      notes.append("Not shown (no per-frame scores recorded): runs \(unscored.map { "\($0.id) (\($0.status.rawValue))" }.joined(separator: ", ")).")
    }
    let metrics = Set(frameRuns.flatMap { $0.rows.map(\.metric) })
    if metrics.contains(where: { $0.contains("randombackbone") }) {
      notes.append("LPIPS here uses a random-backbone stand-in (no trained LPIPS weights were given): its values rank frames but are not comparable with published LPIPS.")
    } else if !frameRuns.isEmpty && !metrics.contains(where: { $0.hasPrefix("lpips") }) {
      notes.append(
        "LPIPS was not scored (no LPIPS weights were given); worst cases are ranked by "
          + (metrics.contains("effnet-lite0-dist") ? "effnet-lite0-dist." : "SSIM."))
    }
    if metrics.contains("effnet-lite0-dist") {
      notes.append(
        "effnet-lite0-dist is LPIPS's uncalibrated recipe over ImageNet EfficientNet-Lite0 features (unit-normalised "
          + "channels, squared differences, spatial mean, uniform layer weights): it ranks frames by ImageNet features, "
          + "but it is not LPIPS and its values are not comparable with published LPIPS.")
    }
    // Scores of training sequences are never shown as if held out (a source without splits, or
    // --split all/train): the run recorded `held_out: false` when it scored them.
    let unheld = frameRuns.map(\.runId).filter { params[$0]?[ScoredSource.heldOutParam] == "false" }
    if !unheld.isEmpty {
      notes.append(
        "Runs \(unheld.map(String.init).joined(separator: ", ")): \(ScoredSource.trainingNote) "
          + "(their source defines no held-out split, or the split they read holds training sequences).")
    }
    // How each landmark model decodes (the report's model is MSE or VGG, no skip, no GAN), read
    // from the run's recorded config (a config that no longer reads gets no note).
    for r in runs where r.kind == LandmarkTraining.runKind {
      guard let c = try? ConfigLoader.recorded(r.configJSON, runId: r.id) else { continue }
      let (t, m) = (c.trainer, c.model)
      let perceptual = t.perceptualOn ? "perceptual term over \(t.perceptualNet) (weight \(t.vggLambda))" : "no perceptual term"
      let skip =
        switch m.decoderSkip {
        case "reference": "reference-frame skip (\(m.skipChannels) channels per scale)"
        case "reference-pose": "reference-frame skip with the reference's landmark heatmaps (\(m.skipChannels) channels per scale)"
        default: "no reference-frame skip"
        }
      let gan = t.useGan ? "LSGAN at weight \(t.ganLambda)" : "no GAN"
      notes.append("Landmarks run \(r.id) decodes with: pixel MSE at weight \(t.mseLambda), \(perceptual), \(skip), \(gan).")
    }
    // The Gaussian schemes differ only in how the covariance moves: a model that decodes with a
    // fixed covariance draws them on top of each other.
    let fixedCovariance = frameRuns.filter { $0.kind == .interpolation && $0.method != "crossfade" }
      .filter { params[$0.runId]?["use_identity_covariance"] == "true" }.map(\.runId)
    if !fixedCovariance.isEmpty {
      notes.append(
        "Interpolation runs \(fixedCovariance.map(String.init).joined(separator: ", ")) decode with a fixed covariance "
          + "(use_identity_covariance: the landmark model renders every landmark with fixed_covar·I), so the Gaussian schemes, "
          + "which differ only in how the covariance moves, give the same frames and their curves coincide.")
    }
    var data = ReportData(
      title: title, subtitle: "\(what) · \(runs.count) runs · registry \(registry.path)", runs: table,
      changedKeys: LandmarkSections.changedKeys(table),
      landmarks: landmarks, frameRuns: frameRuns, notes: notes)
    data.sweep = sweep
    return data
  }

  static func summary(_ s: SweepStatus) -> SweepSummary {
    let keys = s.sweep.record.sweptKeyList
    return SweepSummary(
      id: s.sweep.id, name: s.sweep.name, trainer: s.sweep.record.trainer, rankField: s.sweep.record.rankField,
      rankGoal: s.sweep.record.rankGoal.rawValue, sweptKeys: keys,
      trials: s.trials.map {
        SweepSummary.Trial(
          runId: $0.run.id, status: $0.run.status.rawValue, values: $0.values.filter { keys.contains($0.key) }, seed: $0.run.seed,
          rank: $0.rank)
      })
  }

  static func landmarkResult(_ r: Run, registry: Registry, configuration: String) throws -> LandmarkResult {
    func series(_ name: String) throws -> [SeriesValue] { try registry.series(runId: r.id, name: name).map { SeriesValue(step: $0.step, value: $0.value) } }
    var all: [String: [SeriesValue]] = [:]
    for name in ["loss", "keypoint_acc"] {
      let s = try series(name)
      if !s.isEmpty { all[name] = s }
    }
    let artifacts = try registry.artifacts(runId: r.id)
    var curve: [ThresholdPoint] = []
    for a in artifacts where a.kind == "keypoint_curve" {
      // model,threshold_fraction,threshold_px,accuracy (written by the landmark trainer).
      guard let text = try? String(contentsOfFile: a.path, encoding: .utf8),
        let rows = try? TidyCSV.parse(text, source: a.path)
      else { continue }
      for f in rows.dropFirst() {
        if f.count == 4, let fr = Double(f[1]), let px = Double(f[2]), let acc = Double(f[3]) {
          curve.append(ThresholdPoint(model: f[0], fraction: fr, pixels: px, accuracy: acc))
        }
      }
    }
    let image = artifacts.last { $0.kind == "landmarks_test" }.map(\.path).flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    let finished = r.status == .finished
    return LandmarkResult(
      runId: r.id, configuration: configuration, seed: r.seed, accuracy: finished ? all["keypoint_acc"]?.last?.value : nil,
      meanPose: try series("baseline_mean_pose").last?.value, untrained: try series("baseline_untrained").last?.value,
      series: all, thresholdCurve: curve, landmarkImage: image,
      thresholdPixels: (try? EvalConfig(json: r.configJSON))?.keypointThreshold)
  }

  /// The landmarks run up `r`'s parents (predict → dynamics → landmarks, or predict → landmarks);
  /// nil when there is none (a pixel run, an import) or a parent is gone.
  static func landmarksAncestor(_ r: Run, registry: Registry) throws -> Int64? {
    var next = r.parentId
    for _ in 0..<4 {
      guard let id = next, let p = try? registry.run(id) else { return nil }
      if p.kind == LandmarkTraining.runKind { return p.id }
      next = p.parentId
    }
    return nil
  }

  /// The param a frame run records its method in (nil: a kind without one, e.g. training).
  static func methodKey(kind: String) -> String? {
    let keys = [
      Prediction.runKind: "predict_method", PredictionImport.runKind: "import_method",
      InterpolationRun.runKind: "interpolate_method",
    ]
    return keys[kind]
  }

  /// Kinds of run with per-frame scores of frames.
  static let frameKinds = [Prediction.runKind, PredictionImport.runKind, InterpolationRun.runKind]

  /// Finished predict/import/interpolate runs with per-frame scores, on the curve index each
  /// score was recorded with.
  static func frameRuns(_ runs: [Run], params: [Int64: [String: String]], registry: Registry) throws -> [FrameRunResult] {
    let scored = runs.filter { frameKinds.contains($0.kind) && $0.status == .finished }
    let scores = Dictionary(grouping: try registry.frameScores(runIds: scored.map(\.id)), by: \.runId)
    var out: [FrameRunResult] = []
    for r in scored {
      guard let list = scores[r.id], !list.isEmpty else { continue }
      let p = params[r.id] ?? [:]
      let isPredict = r.kind != InterpolationRun.runKind
      let method = methodKey(kind: r.kind).flatMap { p[$0] } ?? r.name
      let setup =
        isPredict
        ? "\(p["predict_context"] ?? "?") context frames → \(p["predict_horizon"] ?? "?") predicted"
        : "interpolation from frame \(p["interpolate_from"] ?? "first") to \(p["interpolate_to"] ?? "last")"
      let folder = try registry.artifacts(runId: r.id).first { $0.kind == "scores_csv" }.map { Paths.parentFolder(of: $0.path) }
      var frameNumber: [String: [Int: Int64]] = [:]
      var rows: [FrameScoreRow] = []
      for s in list {
        guard let index = s.index.map(Int.init) else {
          throw ReportError.selection(
            "run \(r.id): the score of \(s.sequence) frame \(s.frame) records no frame_index (on a curve every score has one)")
        }
        frameNumber[s.sequence, default: [:]][index] = s.frame
        rows.append(FrameScoreRow(method: method, sequence: s.sequence, index: index, metric: s.metric, value: s.value))
      }
      out.append(
        FrameRunResult(
          runId: r.id, kind: isPredict ? .prediction : .interpolation, method: method, setup: setup, rows: rows, folder: folder,
          frameNumber: frameNumber, baseMethod: method, imported: r.kind == PredictionImport.runKind))
      out[out.count - 1].landmarksRun = try landmarksAncestor(r, registry: registry)
    }
    // A method keeps one name per report: two runs of one method in one setup get their run id.
    let counts = Dictionary(grouping: out, by: { "\($0.setup)|\($0.method)" }).mapValues(\.count)
    for i in out.indices where counts["\(out[i].setup)|\(out[i].method)"]! > 1 {
      let label = "\(out[i].method) (run \(out[i].runId))"
      out[i].method = label
      for j in out[i].rows.indices { out[i].rows[j].method = label }
    }
    return out
  }
}
