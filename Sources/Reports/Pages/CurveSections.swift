// CurveSections: per-frame scores against the prediction horizon (report Figs. 5/7) and against
// the interpolated frame index (Fig. 13): for every setup and metric one chart with every
// method's mean and 95% Student-t band over test sequences. Under each prediction chart, where
// the landmark LSTM, the pixel-space predictors, copy-last and the reconstruction bound cross
// (MethodFamilies). The per-frame values (DESIGN §4 layout), the curve points and the crossings
// are written as CSVs beside the page.
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

  /// The crossings beside prediction_curves.csv: `frame` is the first frame from which
  /// `better_after` stays better to `last_frame` (empty: the ordering holds from the first frame,
  /// or — with `better_after` empty too — the means are equal at the last frame); `frames` is how
  /// many frames both curves have.
  static let crossingsName = "crossings.csv"
  static let crossingHeader = ["setup", "metric", "method_a", "method_b", "frame", "better_after", "better_before", "frames", "last_frame"]

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
    var crossingCSV = TidyCSV(header: crossingHeader)
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
      let pairs = isPrediction ? MethodFamilies.pairs(group) : []
      var prediction = ""
      if isPrediction {
        prediction =
          " Scored up to frame \(lastScored): a frame is scored where its sequence has ground truth"
          + " (frames predicted past the end are written apart and only checked for valid states)."
          + " Methods by family: \(MethodFamilies.summary(group))."
          + (pairs.isEmpty
            ? "" : " Under each plot, where the means of each pair cross: the first frame from which one stays better to the last frame.")
      }
      sub.paragraph(
        "\(group.count) run\(group.count == 1 ? "" : "s") (\(group.map(\.provenance).joined(separator: ", "))); "
          + "\(sequences) test sequences. Lines are means over sequences, bands 95% Student-t intervals." + prediction)
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
        // Under the plot: where each pair of the two families (and copy-last, the bound) crosses.
        guard let direction = MethodFamilies.crossingMetric(metric), !pairs.isEmpty else { continue }
        for (a, b) in pairs {
          let c = Crossings.crossing(points, a: a, b: b, metric: metric, direction: direction)
          sub.paragraph(c.sentence)
          crossingCSV.append(
            [setup, metric, a, b, c.frame.map { "\($0)" } ?? "", c.betterAfter ?? "", c.betterBefore ?? "", "\(c.frames.count)",
              c.frames.last.map { "\($0)" } ?? ""])
        }
      }
      s.subsection(sub)
    }
    try csv.write(to: folder.path(csvName))
    var links = [(text: csvName, href: csvName), (text: "per_frame.csv", href: "per_frame.csv")]
    if isPrediction {
      try crossingCSV.write(to: folder.path(crossingsName))
      links.insert((text: "\(crossingsName) (where each pair of curves crosses)", href: crossingsName), at: 1)
    }
    s.links(links)
    return s
  }
}
