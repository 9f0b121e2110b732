// ScatterChart: a sweep's objective against one swept parameter — one marker per trial that
// has an objective value, placed through the parameter's ValueScale (linear, log or discrete)
// and 1-2-5 y ticks; markers by status (TrialMarks), the best trial ringed. Every marker carries
// `data-run`, `data-x`, `data-y` and a <title>, so a page can show values on hover.
import Foundation

/// One trial in a scatter chart.
public struct ScatterPoint: Sendable, Equatable {
  /// The parameter's value as recorded.
  public var x: String
  public var y: Double
  public var run: Int64
  public var status: String
  /// The tooltip ("run 12 (finished): n_landmarks=5 → keypoint_acc 0.81").
  public var label: String
  /// Drawn ringed (the best trial so far).
  public var highlighted: Bool

  public init(x: String, y: Double, run: Int64, status: String, label: String, highlighted: Bool = false) {
    (self.x, self.y, self.run, self.status, self.label, self.highlighted) = (
      x, y, run, status, label, highlighted
    )
  }
}

public struct ScatterChart: Sendable {
  public var title: String
  public var xAxis: ChartAxis
  public var yAxis: ChartAxis
  public var points: [ScatterPoint]
  public var width: Int
  public var height: Int
  /// Prefix of ids inside the SVG; must differ between charts of one page.
  public var id: String

  public init(
    title: String, xAxis: ChartAxis, yAxis: ChartAxis, points: [ScatterPoint], width: Int = 460,
    height: Int = 340,
    id: String
  ) {
    precondition(width > 0 && height > 0, "chart size \(width)×\(height)")
    (self.title, self.xAxis, self.yAxis, self.points) = (title, xAxis, yAxis, points)
    (self.width, self.height, self.id) = (width, height, id)
  }

  /// Where the plot goes and how values map into it.
  public struct Layout: Sendable {
    public var plot: ChartRect
    public var xScale: ValueScale
    public var yTicks: NiceTicks
    /// SVG x of a parameter value (nil: the scale cannot place it).
    public func px(_ text: String) -> Double? { xScale.fraction(text).map { plot.x + $0 * plot.width } }
    /// SVG y of an objective value.
    public func py(_ y: Double) -> Double {
      plot.maxY - (y - yTicks.lower) / (yTicks.upper - yTicks.lower) * plot.height
    }
  }

  public func layout() -> Layout {
    let pad = ChartLayout.pad
    let top = pad + (title.isEmpty ? 4 : ChartFont.title + 12)
    let legendBlock = ChartLayout.legendRow + 8
    let bottom =
      pad + ChartLayout.tickLength + 4 + ChartFont.label + 10 + ChartFont.axisTitle + 8 + legendBlock
    let plotHeight = Swift.max(Double(height) - top - bottom, 20)
    let ys = points.map(\.y).filter(\.isFinite)
    let yTicks = NiceTicks(
      lo: ys.min() ?? 0, hi: ys.max() ?? 1, target: Swift.max(2, Int(plotHeight / 50)),
      integerSteps: yAxis.integerTicks)
    let yLabel = yTicks.values.map { ChartFont.width(yTicks.label($0), size: ChartFont.label) }.max() ?? 0
    let left = pad + ChartFont.axisTitle + 10 + yLabel + 4 + ChartLayout.tickLength
    let plotWidth = Swift.max(Double(width) - left - pad - 16, 20)
    let xScale = ValueScale(values: points.map(\.x), target: Swift.max(2, Int(plotWidth / 80)))
    return Layout(
      plot: ChartRect(x: left, y: top, width: plotWidth, height: plotHeight), xScale: xScale, yTicks: yTicks)
  }

  public func render() -> String {
    let l = layout()
    let p = l.plot
    let n = Markup.number
    var o = SVGFrame.open(
      cssClass: "scatter-chart", width: width, height: height, fontSize: ChartFont.label, title: title)
    let shown = ChartFont.fit(title, size: ChartFont.title, width: Double(width) - p.x - ChartLayout.pad)
    o += SVGFrame.title(shown, x: p.x)
    // Grid and ticks.
    let xMarks = l.xScale.tickMarks
    let slot = p.width / Double(Swift.max(xMarks.count, 1))
    o += SVGFrame.gridLines(xs: xMarks.map { p.x + $0.fraction * p.width }, ys: l.yTicks.values.map(l.py), plot: p)
    o += SVGFrame.plotFrame(p)
    // Categorical labels get their slot's width; numeric ones are short.
    let labelWidth = l.xScale.kind == .categorical ? slot - 4 : Double.infinity
    o += SVGFrame.axes(
      x: xMarks.map { (p.x + $0.fraction * p.width, ChartFont.fit($0.label, size: ChartFont.label, width: labelWidth)) },
      y: l.yTicks.values.map { (l.py($0), l.yTicks.label($0)) }, plot: p,
      xTitle: ChartFont.fit(xAxis.label + l.xScale.titleSuffix, size: ChartFont.axisTitle, width: p.width),
      yTitle: ChartFont.fit(yAxis.label, size: ChartFont.axisTitle, width: p.height))

    // Markers: the best last, so it is on top.
    o += "<g class=\"data\">\n"
    for pt in points.filter({ !$0.highlighted }) + points.filter(\.highlighted) {
      guard pt.y.isFinite, let x = l.px(pt.x) else { continue }
      o += marker(pt, x: x, y: l.py(pt.y)) + "\n"
    }
    if points.isEmpty {
      o +=
        Markup.element(
          "text",
          [
            "class": "no-data", "x": n(p.x + p.width / 2), "y": n(p.y + p.height / 2),
            "text-anchor": "middle", "fill": "#666666",
          ],
          text: "no trial has an objective value yet") + "\n"
    }
    o += "</g>\n"
    o += legend(y: SVGFrame.xTitleBaseline(p) + 12, x: p.x)
    return o + "</svg>\n"
  }

  /// One trial's marker with its hover data.
  func marker(_ pt: ScatterPoint, x: Double, y: Double) -> String {
    let n = Markup.number
    let (color, filled) = TrialMarks.marker(pt.status)
    let tip = Markup.element("title", [:], text: pt.label + (pt.highlighted ? " — best so far" : ""))
    var out = ""
    if pt.highlighted {
      out += Markup.element(
        "circle",
        [
          "class": "best-ring", "cx": n(x), "cy": n(y), "r": "9", "fill": "none", "stroke": "#222222",
          "stroke-width": "2",
        ])
    }
    let cls = "trial-point status-\(pt.status)" + (pt.highlighted ? " best" : "")
    if pt.status == "failed" {
      let d =
        "M\(n(x - 4)),\(n(y - 4)) L\(n(x + 4)),\(n(y + 4)) M\(n(x - 4)),\(n(y + 4)) L\(n(x + 4)),\(n(y - 4))"
      return out
        + Markup.container(
          "path",
          [
            "class": cls, "data-run": "\(pt.run)", "data-x": pt.x, "data-y": Markup.value(pt.y), "cx": n(x),
            "cy": n(y), "d": d,
            "stroke": color, "stroke-width": "2", "fill": "none",
          ], inner: tip)
    }
    return out
      + Markup.container(
        "circle",
        [
          "class": cls, "data-run": "\(pt.run)", "data-x": pt.x, "data-y": Markup.value(pt.y), "cx": n(x),
          "cy": n(y),
          "r": pt.highlighted ? "5.5" : "4.5", "fill": filled ? color : "#ffffff",
          "fill-opacity": filled ? "0.85" : "1",
          "stroke": color, "stroke-width": "1.5",
        ], inner: tip)
  }

  /// One row under the plot: a marker per status drawn, and the best ring.
  func legend(y: Double, x: Double) -> String {
    let n = Markup.number
    let drawn = Set(points.filter { $0.y.isFinite }.map(\.status))
    var o = "<g class=\"legend\">\n"
    var cx = x + 6
    let cy = y + ChartLayout.legendRow / 2
    for s in TrialMarks.order + drawn.subtracting(TrialMarks.order).sorted() where drawn.contains(s) {
      let (color, filled) = TrialMarks.marker(s)
      o += "<g class=\"legend-entry\" data-status=\"\(Markup.escape(s))\">"
      o += Markup.element(
        "circle",
        [
          "cx": n(cx), "cy": n(cy), "r": "4.5", "fill": filled ? color : "#ffffff", "stroke": color,
          "stroke-width": "1.5",
        ])
      o += Markup.element(
        "text", ["class": "legend-label", "x": n(cx + 9), "y": n(cy), "dy": "0.35em"], text: s)
      o += "</g>\n"
      cx += 9 + ChartFont.width(s, size: ChartFont.label) + 18
    }
    if points.contains(where: \.highlighted) {
      o += "<g class=\"legend-entry\" data-status=\"best\">"
      o += Markup.element(
        "circle",
        ["cx": n(cx), "cy": n(cy), "r": "7", "fill": "none", "stroke": "#222222", "stroke-width": "2"])
      o += Markup.element(
        "text", ["class": "legend-label", "x": n(cx + 11), "y": n(cy), "dy": "0.35em"], text: "best so far")
      o += "</g>\n"
    }
    return o + "</g>\n"
  }
}
