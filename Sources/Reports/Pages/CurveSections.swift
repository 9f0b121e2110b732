// CurveSections: per-frame scores against the prediction horizon (report Figs. 5/7) and against
// the interpolated frame index (Fig. 13): for every setup and metric one chart with every
// method's mean and 95% Student-t band over test sequences. The per-frame values (DESIGN §4
// layout) and the curve points are written as CSVs beside the page.
import Foundation
import EvalMetrics

enum CurveSections {
  /// How a metric is labelled on a y axis (title, unit, fixed range).
  static func axis(_ metric: String) -> ChartAxis {
    if metric.hasPrefix("psnr") { return ChartAxis(title: "PSNR, higher is better", unit: "dB") }
    if metric.hasPrefix("ssim") { return ChartAxis(title: "SSIM, higher is better", unit: "index") }
    if metric.hasPrefix("lpips") || metric.hasPrefix("effnet") {
      return ChartAxis(title: "\(metric), lower is better", unit: "distance")
    }
    if metric.contains("error-px") { return ChartAxis(title: "Landmark-mean error, lower is better", unit: "px") }
    return ChartAxis(title: metric)
  }

  /// Metrics in reading order: landmark error, PSNR, SSIM, LPIPS, others.
  static func order(_ metrics: Set<String>) -> [String] {
    func rank(_ m: String) -> Int {
      m.contains("error-px") ? 0 : m.hasPrefix("psnr") ? 1 : m.hasPrefix("ssim") ? 2 : m.hasPrefix("lpips") ? 3 : 4
    }
    return metrics.sorted { rank($0) != rank($1) ? rank($0) < rank($1) : $0 < $1 }
  }

  /// Writes per_frame.csv (every frame run) once for the report.
  static func writePerFrame(_ data: ReportData, folder: ReportFolder) throws {
    var csv = PerFrameCSV()
    for r in data.frameRuns {
      for row in r.rows {
        let frame = r.frameNumber[row.sequence]?[row.index].map { "\($0)" } ?? "\(row.index)"
        csv.append(method: row.method, sequence: row.sequence, frame: frame, metric: row.metric, value: row.value)
      }
    }
    try csv.write(to: folder.path("per_frame.csv"))
  }

  /// One section per kind (prediction, interpolation); nil when the report has no such runs.
  static func section(
    _ kind: FrameRunKind, _ data: ReportData, styles: MethodStyles, folder: ReportFolder
  ) throws -> HTMLSection? {
    let runs = data.frameRuns.filter { $0.kind == kind }
    guard !runs.isEmpty else { return nil }
    let isPrediction = kind == .prediction
    var s = HTMLSection(isPrediction ? "Prediction" : "Interpolation")
    let csvName = isPrediction ? "prediction_curves.csv" : "interpolation_curves.csv"
    var csv = TidyCSV(header: ["setup"] + TidyCSV.curveHeader)
    let setups = Array(Set(runs.map(\.setup))).sorted { $0.localizedStandardCompare($1) == .orderedAscending }  // "28" before "200"
    for (k, setup) in setups.enumerated() {
      let group = runs.filter { $0.setup == setup }.sorted { MethodStyles.order($0.method, $1.method) }
      let points = PredictionCurves.points(group.flatMap(\.rows))
      for p in points {
        csv.append([setup, p.method, p.metric, "\(p.index)", "\(p.n)"] + [p.mean, p.ciLow, p.ciHigh].map(TidyCSV.number))
      }
      let sequences = Set(group.flatMap { $0.rows.map(\.sequence) }).count
      let lastScored = points.map(\.index).max() ?? 0
      var sub = HTMLSection(setup, id: "\(kind.rawValue)-\(k)")
      sub.paragraph(
        "\(group.count) run\(group.count == 1 ? "" : "s") (\(group.map { "\($0.method): run \($0.runId)" }.joined(separator: ", "))); "
          + "\(sequences) test sequences. Lines are means over sequences, bands 95% Student-t intervals."
          + (isPrediction ? " Scored up to frame \(lastScored): a frame is scored where its sequence has ground truth"
            + " (frames predicted past the end are written apart and only checked for valid states)." : ""))
      for metric in order(Set(points.map(\.metric))) {
        let series = group.compactMap { r -> ChartSeries? in
          let c = PredictionCurves.curve(points, method: r.method, metric: metric)
          guard !c.isEmpty else { return nil }
          return ChartSeries(
            name: r.method, points: c.map { ChartPoint(x: Double($0.index), y: $0.mean, low: $0.ciLow, high: $0.ciHigh) },
            styleIndex: styles.index[r.method])
        }
        let chart = SVGLineChart(
          title: "\(metric) against \(isPrediction ? "prediction horizon" : "interpolated frame")",
          xAxis: isPrediction
            ? ChartAxis(title: "Predicted frame", unit: "frames after the last context frame", integerTicks: true)
            : ChartAxis(title: "Interpolated frame", unit: "frames after the first", integerTicks: true),
          yAxis: axis(metric), series: series, width: 760, height: 400, id: "\(kind.rawValue)-\(k)-\(metric)")
        sub.svg(chart.render())
      }
      s.subsection(sub)
    }
    try csv.write(to: folder.path(csvName))
    s.links([(text: csvName, href: csvName), (text: "per_frame.csv", href: "per_frame.csv")])
    return s
  }
}
