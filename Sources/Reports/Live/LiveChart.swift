// LiveChart: one logged series of a run as a chart figure for the live view, drawn by the
// reports' SVGLineChart (one chart implementation) after downsampling to the plot's pixels.
// The figure carries what the page script needs: the exact point count (to notice growth),
// the plot rectangle and the axis domain (to turn a hovered pixel back into step and value),
// and a link to the exact values as CSV.

public enum LiveChart {
  public static let width = 560, height = 300

  /// `<figure class="chart" data-series=… data-points=…>` with the SVG inside.
  /// `version` changes whenever the series does (the page compares it with what it polls).
  public static func figure(runId: Int64, name: String, steps: [Int64], values: [Double], version: String) -> String {
    // Unnamed: one series per chart, titled by its name, needs no legend taking plot width.
    let series = ChartSeries(name: "", x: steps.map(Double.init), y: values)
    let chart = SVGLineChart(
      title: name, xAxis: ChartAxis(title: "step", integerTicks: true), yAxis: ChartAxis(title: name),
      series: [series.downsampled(buckets: width)], width: width, height: height, legendPlacement: .automatic,
      id: "c\(runId)-\(abs(name.hashValue % 1_000_000))")
    let l = chart.layout()
    let n = { (v: Double) in String(format: "%.3f", v) }
    let plot = [l.plot.x, l.plot.y, l.plot.width, l.plot.height].map(n).joined(separator: " ")
    let domain = [l.xTicks.lower, l.xTicks.upper, l.yTicks.lower, l.yTicks.upper].map { "\($0)" }.joined(separator: " ")
    let csv = "/runs/\(runId)/series.csv?name=" + RunsPage.percentEncode(name)
    var o = "<figure class=\"chart\" data-series=\"\(Markup.escape(name))\" data-points=\"\(steps.count)\" data-version=\"\(Markup.escape(version))\" "
    o += "data-plot=\"\(plot)\" data-domain=\"\(domain)\">"
    o += chart.render()
    o += "<div class=\"hover\"></div><figcaption>\(steps.count) point\(steps.count == 1 ? "" : "s")"
    if let last = steps.last { o += ", last step \(last)" }
    o += " · <a href=\"\(Markup.escape(csv))\">CSV (exact values)</a></figcaption></figure>"
    return o
  }
}
