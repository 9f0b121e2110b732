// ReportData: everything a report page shows, as plain values (the Workbench reads them from
// the registry; Reports only draws). Method labels are unique within one report, so a method
// keeps one name and one style in every table and plot (STYLE 13).
import Foundation
import EvalMetrics

/// One row of the runs table: the run and its values of the parameters that differ.
public struct ReportRun: Sendable {
  public var id: Int64
  public var kind: String
  public var name: String
  public var status: String
  public var parentId: Int64?
  public var experiment: String?
  public var seconds: Double?
  public var params: [String: String]

  public init(
    id: Int64, kind: String, name: String, status: String, parentId: Int64?, experiment: String?, seconds: Double?,
    params: [String: String]
  ) {
    (self.id, self.kind, self.name, self.status, self.parentId) = (id, kind, name, status, parentId)
    (self.experiment, self.seconds, self.params) = (experiment, seconds, params)
  }
}

/// A (step, value) point of a training series.
public struct SeriesValue: Sendable {
  public var step: Int64
  public var value: Double
  public init(step: Int64, value: Double) { (self.step, self.value) = (step, value) }
}

/// Keypoint accuracy at one threshold (report Fig. 9) for the learned landmarks or a baseline.
public struct ThresholdPoint: Sendable {
  public var model: String
  public var fraction: Double
  public var pixels: Double
  public var accuracy: Double
  public init(model: String, fraction: Double, pixels: Double, accuracy: Double) {
    (self.model, self.fraction, self.pixels, self.accuracy) = (model, fraction, pixels, accuracy)
  }
}

/// A landmark-training run: its configuration label, final accuracy beside the baselines,
/// training series, accuracy against threshold and the picture of its landmarks on test frames.
public struct LandmarkResult: Sendable {
  public var runId: Int64
  /// The run's values of the differing parameters other than the seed ("n_landmarks=10", or "").
  public var configuration: String
  public var seed: Int64?
  public var accuracy: Double?
  public var meanPose: Double?
  public var untrained: Double?
  /// Series by name: loss, keypoint_acc, ...
  public var series: [String: [SeriesValue]]
  public var thresholdCurve: [ThresholdPoint]
  /// Absolute path of `landmarks_test.png` (nil: none recorded or the file is gone).
  public var landmarkImage: String?
  /// The accuracy's threshold in pixels of the stored frames (`keypoint_threshold`).
  public var thresholdPixels: Double?

  public init(
    runId: Int64, configuration: String, seed: Int64?, accuracy: Double?, meanPose: Double?, untrained: Double?,
    series: [String: [SeriesValue]], thresholdCurve: [ThresholdPoint], landmarkImage: String?, thresholdPixels: Double? = nil
  ) {
    (self.runId, self.configuration, self.seed, self.accuracy) = (runId, configuration, seed, accuracy)
    (self.meanPose, self.untrained, self.series) = (meanPose, untrained, series)
    (self.thresholdCurve, self.landmarkImage, self.thresholdPixels) = (thresholdCurve, landmarkImage, thresholdPixels)
  }
}

public enum FrameRunKind: String, Sendable {
  case prediction
  case interpolation
}

/// A predict or interpolate run's scored frames. `rows` carry the report's method label and
/// the 1-based index on the curve (horizon step or interpolation frame).
public struct FrameRunResult: Sendable {
  public var runId: Int64
  public var kind: FrameRunKind
  /// Unique in the report ("lstm", or "lstm (run 7)" when two runs share a method).
  public var method: String
  /// Groups runs that share one set of curves ("2 context frames → 28 predicted").
  public var setup: String
  public var rows: [FrameScoreRow]
  /// The run's output folder (frames/ and truth/ inside), nil when unknown.
  public var folder: String?
  /// (sequence, index) → frame number, to find a point's PNGs.
  public var frameNumber: [String: [Int: Int64]]
  /// The method as the run recorded it ("lstm" for "lstm (run 7)"): what its family is read from.
  public var baseMethod: String
  /// Frames predicted elsewhere and imported (`lmlab import predictions`).
  public var imported: Bool
  /// The landmarks run the frames were decoded by (found up the run's parents), so runs of
  /// several landmark models or decoder variants can be told apart; nil when none is found.
  public var landmarksRun: Int64?

  /// - Parameters:
  ///   - baseMethod: the method the run recorded (nil: `method`).
  public init(
    runId: Int64, kind: FrameRunKind, method: String, setup: String, rows: [FrameScoreRow], folder: String?,
    frameNumber: [String: [Int: Int64]], baseMethod: String? = nil, imported: Bool = false
  ) {
    (self.runId, self.kind, self.method, self.setup, self.rows) = (runId, kind, method, setup, rows)
    (self.folder, self.frameNumber, self.baseMethod, self.imported) = (folder, frameNumber, baseMethod ?? method, imported)
  }

  /// "lstm: run 7 (landmarks run 3)".
  var provenance: String { "\(method): run \(runId)" + (landmarksRun.map { " (landmarks run \($0))" } ?? "") }

  /// Its part in the report's comparison of the two families (Figs. 5 and 8); nil for interpolation.
  public var role: PredictionRole? { kind == .prediction ? PredictionRole(method: baseMethod, imported: imported) : nil }

  /// The PNG of this run's frame (or its ground truth) at `index` of `sequence`, if it exists.
  public func framePath(_ sequence: String, _ index: Int, truth: Bool = false) -> String? {
    guard let folder, let f = frameNumber[sequence]?[index] else { return nil }
    let p = "\(folder)/\(truth ? "truth" : "frames")/\(sequence)/" + String(format: "%05lld.png", f)
    return FileManager.default.fileExists(atPath: p) ? p : nil
  }
}

public struct ReportData: Sendable {
  public var title: String
  public var subtitle: String?
  public var runs: [ReportRun]
  /// Parameter keys whose values differ between the runs, in the runs table.
  public var changedKeys: [String]
  public var landmarks: [LandmarkResult]
  public var frameRuns: [FrameRunResult]
  /// Said at the top of the page (e.g. which LPIPS weights scored the frames).
  public var notes: [String]
  /// Set when the report is a sweep's: its summary leads the page.
  public var sweep: SweepSummary?

  public init(
    title: String, subtitle: String?, runs: [ReportRun], changedKeys: [String], landmarks: [LandmarkResult],
    frameRuns: [FrameRunResult], notes: [String] = []
  ) {
    (self.title, self.subtitle, self.runs, self.changedKeys) = (title, subtitle, runs, changedKeys)
    (self.landmarks, self.frameRuns, self.notes) = (landmarks, frameRuns, notes)
  }
}

/// One style per method for the whole report: the demo's methods in a fixed order, others after.
struct MethodStyles {
  /// The pixel predictor follows the landmark methods and copy-last, so it gets a colour of its
  /// own (tab10 brown) beside them; the interpolation schemes, never drawn with it, come after.
  static let known = [
    "lstm", "hold-state", "constant-velocity", "copy-last", "reconstruction", "pixel", "cholesky", "covariance", "axes",
    "wasserstein", "crossfade",
  ]
  let index: [String: Int]

  init(_ methods: [String]) {
    var index: [String: Int] = [:]
    var taken: Set<Int> = []
    var next = MethodStyles.known.count
    // Of several runs of one method ("lstm (run 5)", "lstm (run 9)"), the first keeps the
    // method's style and the others get styles of their own.
    for m in methods.sorted(by: MethodStyles.order) where index[m] == nil {
      if let k = MethodStyles.known.firstIndex(of: MethodStyles.base(m)), !taken.contains(k) {
        index[m] = k
        taken.insert(k)
      } else {
        index[m] = next
        next += 1
      }
    }
    self.index = index
  }

  /// The method of a label that carries its run ("lstm (run 7)" → "lstm").
  static func base(_ label: String) -> String {
    label.hasSuffix(")") ? label.range(of: " (run ").map { String(label[..<$0.lowerBound]) } ?? label : label
  }

  /// The demo's order first (several runs of one method together, by run), then by name.
  static func order(_ a: String, _ b: String) -> Bool {
    let ia = known.firstIndex(of: base(a)) ?? Int.max, ib = known.firstIndex(of: base(b)) ?? Int.max
    return ia != ib ? ia < ib : a.localizedStandardCompare(b) == .orderedAscending
  }
}
