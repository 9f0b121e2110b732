// ComparePage: the body of `lmlab ui`'s /compare?ids=… page — the runs with their colours, their
// parameters side by side (differing ones first and highlighted, or only those with
// ?only_changed=1), and one chart per logged series with the runs overlaid. Prediction runs keep
// the report's colour and name for their method (MethodStyles); charts are SVGLineChart,
// downsampled per pixel column and carrying hover values.
import Foundation

public enum ComparePage {
  /// Each run's label in the charts and its palette index: a method run is named by its method
  /// ("lstm", or "lstm (run 7)" when two runs share one) and styled as in the report; other runs
  /// are "NAME (run ID)" on the styles after those.
  public static func labels(_ runs: [CompareData.RunInfo]) -> [Int64: (label: String, style: Int)] {
    var count: [String: Int] = [:]
    for r in runs { if let m = r.method { count[m, default: 0] += 1 } }
    var label: [Int64: String] = [:]
    for r in runs {
      if let m = r.method {
        label[r.id] = count[m]! > 1 ? "\(m) (run \(r.id))" : m
      } else {
        label[r.id] = "\(r.name) (run \(r.id))"
      }
    }
    let methodRuns = runs.filter { $0.method != nil }
    let styles = MethodStyles(methodRuns.map { label[$0.id]! })
    var next = (styles.index.values.max() ?? -1) + 1
    var out: [Int64: (label: String, style: Int)] = [:]
    for r in runs {
      if r.method != nil {
        out[r.id] = (label[r.id]!, styles.index[label[r.id]!]!)
      } else {
        out[r.id] = (label[r.id]!, next)
        next += 1
      }
    }
    return out
  }

  public static func body(_ data: CompareData) -> String {
    let e = Markup.escape
    let styles = labels(data.runs)
    let ids = data.runs.map { "\($0.id)" }.joined(separator: ",")
    var o = "<style>\(LiveMarkup.css)</style>\n<section class=\"lv-compare\">\n"
    o += "<h2>Compare runs \(e(data.runs.map { "\($0.id)" }.joined(separator: ", ")))</h2>\n"

    // The runs, with the colour each has in the charts.
    var rows: [[String]] = []
    for r in data.runs {
      let s = styles[r.id]!
      let style = ChartStyle.palette(s.style)
      let family = r.method.map { PredictionRole(method: $0, imported: r.imported).family } ?? "—"
      rows.append([
        LiveMarkup.runLink(r.id), e(r.name), e(r.kind), LiveMarkup.badge(r.status), e(r.experiment ?? "—"),
        e(r.method.map { "\($0) (\(family))" } ?? "—"),
        "<span class=\"lv-swatch\" style=\"border-color:\(style.color)\"></span>\(e(s.label))",
      ])
    }
    o += "<h3>Runs</h3>\n"
    o += LiveMarkup.table(
      ["run", "name", "kind", "status", "experiment", "method (family)", "in the charts"], rows)

    // Parameters: differing keys first, highlighted; equal ones after unless only_changed.
    let changed = data.params.filter(\.differs)
    let equal = data.params.filter { !$0.differs }
    o += "<h3 id=\"parameters\">Parameters</h3>\n<p class=\"lv-note\">"
    o += "\(changed.count) of \(data.params.count) parameters differ"
    if data.onlyChanged {
      o +=
        "; \(equal.count) equal ones hidden. <a class=\"toggle-changed\" href=\"\(e("?ids=\(ids)"))#parameters\">Show all parameters</a>"
    } else {
      o +=
        " (first, highlighted). <a class=\"toggle-changed\" href=\"\(e("?ids=\(ids)&only_changed=1"))#parameters\">Show only the differing ones</a>"
    }
    o += "</p>\n"
    let shown = changed + (data.onlyChanged ? [] : equal)
    let paramRows = shown.map { p in
      ["<code>\(e(p.key))</code>"] + p.values.map { v in v.map(e) ?? "<span class=\"missing\">—</span>" }
    }
    o += LiveMarkup.table(
      ["key"] + data.runs.map { "run \($0.id)" }, paramRows,
      rowClass: shown.map { $0.differs ? "changed" : nil })

    // One chart per series, the runs overlaid in their colours.
    o += "<h3>Series</h3>\n"
    if data.series.isEmpty { o += "<p class=\"lv-note\">None of these runs has logged a series.</p>\n" }
    o += "<div class=\"lv-charts\">\n"
    for (k, s) in data.series.enumerated() {
      let series = data.runs.compactMap { r -> ChartSeries? in
        guard let pts = s.points[r.id], !pts.isEmpty else { return nil }
        let st = styles[r.id]!
        return ChartSeries(
          name: st.label, points: pts.map { ChartPoint(x: Double($0.step), y: $0.value) },
          styleIndex: st.style, run: r.id)
      }
      let goal = s.goal == "max" ? ", higher is better" : s.goal == "min" ? ", lower is better" : ""
      var chart = SVGLineChart(
        title: s.name, xAxis: ChartAxis(title: "Step", integerTicks: true),
        yAxis: ChartAxis(title: s.name + goal), series: series,
        width: 600, height: 360, id: "compare-\(k)")
      chart.downsample = true
      chart.hover = true
      let counts = data.runs.compactMap { r in s.points[r.id].map { "run \(r.id): \($0.count)" } }.joined(
        separator: ", ")
      // A fixed width, so a long caption does not widen the figure and two charts share a row.
      o +=
        "<figure class=\"series-chart\" data-series=\"\(e(s.name))\" style=\"width:\(chart.width)px\">\(chart.render())"
      o +=
        "<figcaption class=\"lv-note\">Points logged — \(e(counts)). Longer series are drawn as the min and max per pixel column.</figcaption></figure>\n"
    }
    o += "</div>\n</section>\n"
    return o
  }
}
