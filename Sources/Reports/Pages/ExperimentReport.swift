// ExperimentReport: the page `lmlab report` writes — a sweep's summary when it is one, runs and their differing parameters,
// keypoint accuracy (Table 1, Fig. 9, training curves, landmarks on test frames), prediction and
// interpolation curves (with where the two families' prediction curves cross), worst-case galleries
// and the worst sequences of both families — as a self-contained folder (index.html, PNG,
// inline SVG, CSV; nothing fetched), written to a staging folder and renamed into place.
import Foundation

public struct ExperimentReport {
  public var data: ReportData
  /// Ranking metric of the galleries (nil: the first LPIPS present, else SSIM).
  public var worstMetric: String?
  public var worstTop: Int

  public init(_ data: ReportData, worstMetric: String? = nil, worstTop: Int = 3) {
    (self.data, self.worstMetric, self.worstTop) = (data, worstMetric, worstTop)
  }

  /// Writes the report folder at `out`; returns the path of its index.html. An existing `out` is
  /// replaced only when it is empty, is a report written before, or `force` (see ReportFolder).
  @discardableResult
  public func write(to out: String, force: Bool = false) throws -> String {
    try ReportFolder.write(to: out, command: "report", force: force) { folder in
      var page = HTMLReport(title: data.title, subtitle: data.subtitle)
      if !data.notes.isEmpty {
        var notes = HTMLSection("Notes")
        for n in data.notes { notes.paragraph(n) }
        page.add(notes)
      }
      if let sweep = data.sweep { page.add(try SweepSection.build(sweep, folder: folder)) }
      page.add(try LandmarkSections.runs(data, folder: folder))
      if let s = try LandmarkSections.keypoints(data, folder: folder) { page.add(s) }
      let styles = MethodStyles(data.frameRuns.map(\.method))
      if !data.frameRuns.isEmpty { try CurveSections.writePerFrame(data, folder: folder) }
      for kind in [FrameRunKind.prediction, .interpolation] {
        if let s = try CurveSections.section(kind, data, styles: styles, folder: folder) { page.add(s) }
      }
      let predictions = data.frameRuns.filter { $0.kind == .prediction }
      if let s = try WorstCaseSection.build(predictions, metric: worstMetric, top: worstTop, folder: folder) { page.add(s) }
      if let s = try FamilyWorstSection.build(predictions, metric: worstMetric, top: worstTop, folder: folder) { page.add(s) }
      try page.write(to: folder.path("index.html"))
    }
  }

  /// The worst-case part alone (`lmlab worst`), over any frame runs.
  @discardableResult
  public static func writeWorst(
    _ runs: [FrameRunResult], title: String, metric: String?, top: Int, to out: String, force: Bool = false
  ) throws -> String {
    try ReportFolder.write(to: out, command: "worst", force: force) { folder in
      var page = HTMLReport(title: title, subtitle: "runs \(runs.map { "\($0.runId)" }.joined(separator: ", "))")
      if let s = try WorstCaseSection.build(runs, metric: metric, top: top, folder: folder) { page.add(s) }
      try page.write(to: folder.path("index.html"))
    }
  }
}
