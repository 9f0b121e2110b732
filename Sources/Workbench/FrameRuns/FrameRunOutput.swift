// FrameRunOutput: what `lmlab predict` and `lmlab interpolate` leave behind, in one place.
//   DIR/frames/<sequence>/<frame>.png     scored output frames (DESIGN §4 frame folder)
//   DIR/truth/<sequence>/<frame>.png      the ground truth of those frames
//   DIR/unscored/<sequence>/<frame>.png   frames past the end of a sequence (no ground truth)
//   DIR/scores.csv                        per-frame `method,sequence,frame,metric,value`
// Scores come from `evaluateFrames` on the written folders (what any evaluator of these PNGs
// computes) plus the state-space `landmark-error-px`; all go to the run's frame scores, and
// each metric's mean per horizon index goes to a series (step = index, 1-based).
// The folder is written whole (SafeIO's OutputFolder): staged beside DIR and renamed into place
// once every frame is written and scored; an existing non-empty DIR is refused unless --force
// (a registry run refers to the scores.csv in it). Every frame path is built from sequence names
// through DataName.path, which refuses a name that would lead outside the folder.
import Dynamics
import FeatureNetworks
import Foundation
import Imaging
import EvalMetrics
import Registry
import Reports
import SafeIO
import TensorEngine

/// Where a predict/interpolate run reads from and writes to, and how it is filed.
public struct FrameRunTarget: Sendable {
  /// The split whose sequences are used (nil: `test`, or every sequence of a separate test source).
  public var split: String?
  /// A separate source to read and score (nil: the config's `test_data_path`, else the run's dataset).
  public var testData: String?
  /// The output folder.
  public var out: String
  /// LPIPS weights file or folder (nil: `LPIPSModel.locate`'s defaults).
  public var lpipsWeights: String?
  /// Experiment to file the run under.
  public var experiment: String?
  /// Replace a non-empty `out` (by default it is refused).
  public var force = false

  public init(out: String) { self.out = out }
}

struct FrameRunOutput {
  /// The output folder (an import scores in a staging folder, then moves it: see PredictionImport).
  var dir: String
  let method: String
  var landmarkErrors: [(sequence: String, frame: Int, index: Int, value: Double)] = []
  /// Frame number → 1-based index in the scored part (horizon step, or interpolation frame).
  var indexOf: [String: [Int: Int]] = [:]

  /// Refuses an output folder that exists and holds anything (unless `force`), before any work:
  /// nothing is overwritten or mixed.
  static func checkFree(_ target: FrameRunTarget, command: String) throws {
    try OutputFolder.check(target.out, command: command, force: target.force, policy: .refuseNonEmpty)
  }

  init(dir: String, method: String) throws {
    self.dir = dir
    self.method = method
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  /// DIR/kind/sequence/00012.png; a sequence name that would lead outside DIR is refused.
  func path(_ kind: String, _ sequence: String, _ frame: Int) throws -> String {
    try DataName.path(in: dir, kind, sequence, String(format: "%05d.png", frame))
  }

  /// Writes frame `i` of `images` [N, 3, S, S] in [-1, 1] (clamped) as a PNG.
  func write(_ images: Tensor, _ i: Int, kind: String, sequence: String, frame: Int) throws {
    let p = try path(kind, sequence, frame)
    try FileManager.default.createDirectory(atPath: Paths.parentFolder(of: p), withIntermediateDirectories: true)
    try writePNG(RGBImage(tensor: images, index: i).clamped(), to: p)
  }

  /// Records a scored frame's horizon index and its landmark error (nil: not measured).
  mutating func scored(sequence: String, frame: Int, index: Int, landmarkError: Double?) {
    indexOf[sequence, default: [:]][frame] = index
    if let e = landmarkError { landmarkErrors.append((sequence, frame, index, e)) }
  }

  /// Every value by metric and 1-based index (image metrics, then `landmark-error-px`).
  func valuesByIndex(_ eval: FrameEvaluation) -> (names: [String], values: [String: [Int: [Double]]]) {
    var names = eval.metricNames
    var values: [String: [Int: [Double]]] = [:]
    for (i, p) in eval.pairs.enumerated() {
      let index = indexOf[p.sequence]?[p.frame] ?? 0
      for m in eval.metricNames { values[m, default: [:]][index, default: []].append(eval.values[m]![i]) }
    }
    if !landmarkErrors.isEmpty {
      names.append(Self.landmarkMetric)
      for e in landmarkErrors { values[Self.landmarkMetric, default: [:]][e.index, default: []].append(e.value) }
    }
    return (names, values)
  }

  static let landmarkMetric = "landmark-error-px"

  /// Scores frames/ against truth/ (what any evaluator of these PNGs computes); no run needed.
  func evaluate(metrics: [FrameMetric], lpipsWeights: String?, progress: ((Int) -> Void)? = nil) throws -> FrameEvaluation {
    try evaluateFrames(
      reference: dir + "/truth", predicted: dir + "/frames", method: method, metrics: metrics, lpipsWeights: lpipsWeights,
      progress: progress)
  }

  /// Writes scores.csv of `eval` (plus landmark errors) and records frame scores, per-index
  /// mean series and the CSV as the run's `scores_csv` artifact.
  func record(_ eval: FrameEvaluation, handle: RunHandle) throws {
    var csv = eval.table()
    var rows: [FrameScore] = []
    for (i, p) in eval.pairs.enumerated() {
      for m in eval.metricNames {
        rows.append(
          FrameScore(
            runId: handle.runId, method: method, sequence: p.sequence, frame: Int64(p.frame), metric: m,
            value: eval.values[m]![i], index: indexOf[p.sequence]?[p.frame].map(Int64.init)))
      }
    }
    for e in landmarkErrors {
      csv.append(method: method, sequence: e.sequence, frame: e.frame, metric: Self.landmarkMetric, value: e.value)
      rows.append(
        FrameScore(
          runId: handle.runId, method: method, sequence: e.sequence, frame: Int64(e.frame), metric: Self.landmarkMetric,
          value: e.value, index: Int64(e.index)))
    }
    try csv.write(to: try DataName.path(in: dir, "scores.csv"))
    try handle.addFrameScores(rows)
    for (m, series) in valuesByIndex(eval).values {
      for (index, vs) in series { try handle.log(m, step: Int64(index), value: vs.reduce(0, +) / Double(vs.count)) }
    }
    try handle.addArtifact(kind: "scores_csv", path: dir + "/scores.csv")
  }

  /// Mean per index of every metric, as printable lines.
  func table(_ eval: FrameEvaluation) -> String {
    let (names, values) = valuesByIndex(eval)
    let width = Swift.max(12, names.map(\.count).max() ?? 12) + 2
    func pad(_ s: String) -> String { String(repeating: " ", count: Swift.max(0, width - s.count)) + s }
    func mean(_ v: [Double]?) -> String {
      guard let v, !v.isEmpty else { return pad("-") }
      return pad(String(format: "%.4f", v.reduce(0, +) / Double(v.count)))
    }
    var lines = [pad("index") + pad("n") + names.map(pad).joined()]
    for j in Set(values.values.flatMap { $0.keys }).sorted() {
      let n = names.compactMap { values[$0]?[j]?.count }.max() ?? 0
      lines.append(pad("\(j)") + pad("\(n)") + names.map { mean(values[$0]?[j]) }.joined())
    }
    lines.append(pad("all") + pad("") + names.map { m in mean(values[m].map { $0.values.flatMap { $0 } }) }.joined())
    return lines.joined(separator: "\n")
  }

  // MARK: what a state method found, for the summary

  /// Counts of non-finite numbers and invalid covariances over every state checked (nil: none checked).
  var validity: Rollout.Validity?
  /// Range of the decoded frames before clamping (nil: nothing decoded).
  var decodedRange: ClosedRange<Float>?
  var notes: [String] = []

  mutating func check(_ states: Tensor, floor: Double) {
    var v = validity ?? Rollout.Validity()
    v.add(Rollout.validity(states, floor: floor))
    validity = v
  }

  mutating func observeRange(_ frames: Tensor) {
    let p = UnsafeBufferPointer(start: frames.data, count: frames.count)
    guard let lo = p.min(), let hi = p.max() else { return }
    decodedRange = decodedRange.map { Swift.min($0.lowerBound, lo)...Swift.max($0.upperBound, hi) } ?? lo...hi
  }

  /// The run's life: starts the registry run of `spec`, lets `write` fill a new output folder,
  /// scores and finishes the run; on any error the run is marked failed with it.
  static func record(
    _ spec: RunSpec, registry: Registry, target: FrameRunTarget, command: String, method: String, metrics: [FrameMetric],
    notes: [String], print out: (String) -> Void, write: (inout FrameRunOutput) throws -> Void
  ) throws -> PredictSummary {
    let folder = try OutputFolder(target.out, command: command, force: target.force, policy: .refuseNonEmpty)
    let handle: RunHandle
    do { handle = try registry.startRun(spec) } catch {
      folder.discard()
      throw error
    }
    do {
      var output = try FrameRunOutput(dir: folder.staging, method: method)
      output.notes = notes
      try write(&output)
      guard FileManager.default.fileExists(atPath: folder.staging + "/truth") else {
        throw DynamicsSetupError.value("no output frame has ground truth in split \(target.split ?? "test"); nothing to score")
      }
      var eval = try output.evaluate(metrics: metrics, lpipsWeights: target.lpipsWeights)
      // Complete: into place, then recorded with the paths it has there.
      try folder.commit()
      output.dir = folder.destination
      for i in eval.pairs.indices {
        eval.pairs[i].reference = try output.path("truth", eval.pairs[i].sequence, eval.pairs[i].frame)
        eval.pairs[i].predicted = try output.path("frames", eval.pairs[i].sequence, eval.pairs[i].frame)
      }
      try output.record(eval, handle: handle)
      if let v = output.validity { try handle.log("invalid_states", step: 0, value: Double(v.nonFinite + v.invalidCovariances)) }
      try handle.finish(.finished)
      for note in output.notes { out("note: \(note)") }
      return PredictSummary(
        runId: handle.runId, table: output.table(eval), validity: output.validity, decodedRange: output.decodedRange,
        notes: output.notes, evaluation: eval)
    } catch {
      folder.discard()
      try? handle.finish(.failed, error: "\(error)")
      throw error
    }
  }
}

/// The metrics a dynamics command scores (the `eval` section): PSNR, SSIM with the window
/// `ssim_gaussian` names, LPIPS over `lpips_net` when weights are found (their name says whether
/// the backbone is pretrained), and `effnet-lite0-dist` when the ImageNet EfficientNet-Lite0
/// weights are in the cache; a note says why a metric was not scored. `lpipsWeights`: nil looks in
/// the usual places (none there: a note), `none` skips LPIPS by choice, a path must hold weights
/// (a path given and not there is an error, not a silently missing metric).
func dynamicsMetrics(_ e: EvalConfig, lpipsWeights: String?) throws -> (metrics: [FrameMetric], note: String?) {
  var metrics: [FrameMetric] = [.psnr, e.ssimGaussian ? .ssim : .ssimUniform]
  var notes: [String] = []
  let lpips = FrameMetric.lpips(e.lpips)
  if lpipsWeights == LPIPSModel.noWeights {
    notes.append("LPIPS (\(lpips.rawValue)) not scored: --lpips-weights none")
  } else if let explicit = lpipsWeights {
    _ = try LPIPSModel.locate(net: e.lpips, explicit: explicit)
    metrics.append(lpips)
  } else {
    do {
      _ = try LPIPSModel.locate(net: e.lpips)
      metrics.append(lpips)
    } catch {
      notes.append("LPIPS (\(lpips.rawValue)) not scored: \(error)")
    }
  }
  if EfficientNetLite0Weights.cachedPath != nil {
    metrics.append(.effnetDist)
  } else {
    notes.append(
      "effnet-lite0-dist not scored: no EfficientNet-Lite0 weights at \(EfficientNetLite0Weights.pytorchPath) "
        + "(bash scripts/fetch-weights.sh)")
  }
  return (metrics, notes.isEmpty ? nil : notes.joined(separator: "; "))
}
