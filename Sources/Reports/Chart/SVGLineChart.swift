// SVGLineChart: a line chart written as SVG text — series with translucent interval bands,
// 1-2-5 ticks with gridlines, axis titles with units, and a legend beside or below the plot.
// Elements carry classes (series-line, band, tick-label, legend-entry, …) so tests and CSS can
// find them. A live page sets `downsample` (long series drawn as min/max per pixel column) and
// `hover` (each line and marker carries its run, its drawn values and a <title> tooltip).

public struct SVGLineChart: Sendable {
  public var title: String
  public var xAxis: ChartAxis
  public var yAxis: ChartAxis
  public var series: [ChartSeries]
  /// Size of the SVG in px, fixed by the caller.
  public var width: Int
  public var height: Int
  public var legendPlacement: LegendPlacement
  /// Prefix of the ids inside the SVG (its clip path); must differ between charts of one page.
  /// nil derives one from the chart's content.
  public var id: String?
  /// Draw each line through `Downsample.minMax` with one bucket per pixel of the plot's width,
  /// so a 100,000-point series stays a few thousand vertices.
  public var downsample = false
  /// Give every line and lone-point marker `data-run`, `data-x`, `data-y` (its drawn values,
  /// space-separated) and a `<title>` naming the series and its last value.
  public var hover = false

  public init(
    title: String, xAxis: ChartAxis, yAxis: ChartAxis, series: [ChartSeries], width: Int = 640,
    height: Int = 400,
    legendPlacement: LegendPlacement = .automatic, id: String? = nil
  ) {
    precondition(width > 0 && height > 0, "chart size \(width)×\(height)")
    self.title = title
    self.xAxis = xAxis
    self.yAxis = yAxis
    self.series = series
    self.width = width
    self.height = height
    self.legendPlacement = legendPlacement
    self.id = id
  }

  /// Where the plot, legend and ticks go.
  public func layout() -> ChartLayout { ChartLayout(chart: self) }

  /// The chart as a standalone SVG document (also valid inline in HTML).
  public func render() -> String {
    let l = layout()
    let p = l.plot
    let n = Markup.number
    let clipID = "\(id ?? defaultID())-plot"
    var o = SVGFrame.open(cssClass: nil, width: width, height: height, fontSize: ChartFont.label, title: title)
    let plotRect = Markup.element(
      "rect", ["x": n(p.x), "y": n(p.y), "width": n(p.width), "height": n(p.height)])
    o += "<defs><clipPath id=\"\(Markup.escape(clipID))\">\(plotRect)</clipPath></defs>\n"
    if !title.isEmpty { o += SVGFrame.title(l.title, x: p.x) }

    // Gridlines under everything else.
    o += SVGFrame.gridLines(xs: l.xTicks.values.map(l.px), ys: l.yTicks.values.map(l.py), plot: p)

    // Bands, then lines on top so no band hides a line; both clipped to the plot (a fixed
    // axis range may cut data off).
    o += "<g class=\"data\" clip-path=\"url(#\(Markup.escape(clipID)))\">\n"
    for (i, s) in series.enumerated() {
      let style = ChartStyle.palette(s.styleIndex ?? i)
      for run in SVGLineChart.runs(s.points, where: \.hasBand) {
        let upper = run.map { "\(n(l.px($0.x))),\(n(l.py($0.high!)))" }
        let lower = run.reversed().map { "\(n(l.px($0.x))),\(n(l.py($0.low!)))" }
        let d = "M" + (upper + lower).joined(separator: " L") + "Z"
        o +=
          Markup.element(
            "path",
            [
              "class": "band", "data-series": s.name, "d": d, "fill": style.color, "fill-opacity": "0.18",
              "stroke": "none",
            ]) + "\n"
      }
    }
    for (i, s) in series.enumerated() {
      let style = ChartStyle.palette(s.styleIndex ?? i)
      for full in SVGLineChart.runs(s.points, where: \.isDrawable) {
        // One bucket per pixel column the stretch spans.
        let columns = Int((l.px(full.last!.x) - l.px(full[0].x)).magnitude.rounded(.up))
        let run = downsample ? Downsample.minMax(full, buckets: columns) : full
        if run.count == 1 {
          // A lone point has no line to show: mark it.
          let marker = Markup.element(
            "circle",
            [
              "class": "point-marker", "data-series": s.name, "cx": n(l.px(run[0].x)),
              "cy": n(l.py(run[0].y)),
              "r": "3.5", "fill": style.color,
            ])
          o += (hover ? hoverable(marker, s, run, of: full) : marker) + "\n"
          continue
        }
        let d = "M" + run.map { "\(n(l.px($0.x))),\(n(l.py($0.y)))" }.joined(separator: " L")
        let line = SVGLineChart.stroked(
          Markup.element(
            "path",
            [
              "class": "series-line", "data-series": s.name, "d": d, "fill": "none", "stroke": style.color,
              "stroke-width": "2", "stroke-linejoin": "round",
            ]), dash: style.dash)
        o += (hover ? hoverable(line, s, run, of: full) : line) + "\n"
      }
    }
    o += "</g>\n"
    if !series.contains(where: { $0.points.contains(where: \.isDrawable) }) {
      o +=
        Markup.element(
          "text",
          [
            "class": "no-data", "x": n(p.x + p.width / 2), "y": n(p.y + p.height / 2),
            "text-anchor": "middle",
            "fill": "#666666",
          ], text: "no data") + "\n"
    }
    o += SVGFrame.plotFrame(p)
    o += SVGFrame.axes(
      x: l.xTicks.values.map { (l.px($0), l.xTicks.label($0)) }, y: l.yTicks.values.map { (l.py($0), l.yTicks.label($0)) },
      plot: p, xTitle: xAxis.label, yTitle: yAxis.label)

    if let box = l.legend {
      o += "<g class=\"legend\">\n"
      o +=
        Markup.element(
          "rect",
          [
            "class": "legend-box", "x": n(box.x), "y": n(box.y), "width": n(box.width),
            "height": n(box.height),
            "fill": "#ffffff", "stroke": "#cccccc",
          ]) + "\n"
      for (i, s) in series.enumerated() {
        let r = l.legendEntries[i]
        let style = ChartStyle.palette(s.styleIndex ?? i)
        let mid = n(r.y + r.height / 2)
        o += "<g class=\"legend-entry\" data-series=\"\(Markup.escape(s.name))\">"
        if s.hasBand {
          o += Markup.element(
            "rect",
            [
              "x": n(r.x), "y": n(r.y + 1), "width": n(ChartLayout.swatch), "height": n(r.height - 2),
              "fill": style.color, "fill-opacity": "0.18",
            ])
        }
        o += SVGLineChart.stroked(
          Markup.element(
            "line",
            [
              "x1": n(r.x), "y1": mid, "x2": n(r.x + ChartLayout.swatch), "y2": mid, "stroke": style.color,
              "stroke-width": "2",
            ]), dash: style.dash)
        o += Markup.element(
          "text",
          [
            "class": "legend-label", "x": n(r.x + ChartLayout.swatch + ChartLayout.swatchGap), "y": mid,
            "dy": "0.35em",
          ], text: l.legendLabels[i])
        o += "</g>\n"
      }
      o += "</g>\n"
    }
    return o + "</svg>\n"
  }

  /// `element` (an empty element's markup) opened up to carry the hover data of `drawn` (the
  /// vertices drawn of `full`, one unbroken stretch of series `s`) and a `<title>` tooltip.
  func hoverable(_ element: String, _ s: ChartSeries, _ drawn: [ChartPoint], of full: [ChartPoint])
    -> String
  {
    let v = Markup.value
    var attributes = " data-x=\"\(drawn.map { v($0.x) }.joined(separator: " "))\""
    attributes += " data-y=\"\(drawn.map { v($0.y) }.joined(separator: " "))\""
    if let run = s.run { attributes = " data-run=\"\(run)\"" + attributes }
    let last = full.last!
    var tip = "\(s.name): \(v(last.y)) at \(xAxis.title.isEmpty ? "x" : xAxis.title) \(v(last.x))"
    if full.count > 1 {
      let ys = full.map(\.y)
      tip += " (\(full.count) points, min \(v(ys.min()!)), max \(v(ys.max()!))"
      tip += drawn.count < full.count ? ", drawn with \(drawn.count))" : ")"
    }
    let open = String(element.dropLast(2))
    let name = String(open.dropFirst().prefix { $0 != " " })
    return open + attributes + ">" + Markup.element("title", [:], text: tip) + "</\(name)>"
  }

  /// `element` (an empty element's markup) with a dash pattern added unless it is solid.
  static func stroked(_ element: String, dash: String) -> String {
    dash.isEmpty ? element : String(element.dropLast(2)) + " stroke-dasharray=\"\(dash)\"/>"
  }

  /// Maximal runs of consecutive points satisfying `keep` (a skipped point breaks the line).
  static func runs(_ points: [ChartPoint], where keep: (ChartPoint) -> Bool) -> [[ChartPoint]] {
    var out: [[ChartPoint]] = []
    var cur: [ChartPoint] = []
    for pt in points {
      if keep(pt) {
        cur.append(pt)
      } else if !cur.isEmpty {
        out.append(cur)
        cur = []
      }
    }
    if !cur.isEmpty { out.append(cur) }
    return out
  }

  /// "chart-" + a FNV-1a hash of the title, size and series names: stable across runs.
  func defaultID() -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in "\(title)|\(width)x\(height)|\(series.map(\.name).joined(separator: "|"))".utf8 {
      h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
    }
    return "chart-" + String(h, radix: 16)
  }
}
