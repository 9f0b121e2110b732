// ParallelCoordinates: a sweep at a glance — one vertical axis per swept parameter (ValueScale:
// linear, log or discrete) and one for the objective, one polyline per trial through its values,
// coloured by its objective (viridis, brighter is better; a colour bar on the right). Trials
// that did not finish are dashed (failed ones red, ones without an objective grey and stopping
// at the last parameter axis); the best trial is drawn last, thick, over a dark outline.
import Foundation

/// One trial's line.
public struct ParallelTrial: Sendable, Equatable {
  public var run: Int64
  public var status: String
  /// The parameter values as recorded, one per parameter axis (nil: not recorded).
  public var values: [String?]
  public var objective: Double?
  /// The tooltip.
  public var label: String
  public var highlighted: Bool

  public init(
    run: Int64, status: String, values: [String?], objective: Double?, label: String,
    highlighted: Bool = false
  ) {
    (self.run, self.status, self.values, self.objective, self.label, self.highlighted) =
      (run, status, values, objective, label, highlighted)
  }
}

public struct ParallelCoordinates: Sendable {
  public var title: String
  /// The parameter axes' titles, left to right; the objective's axis comes last.
  public var parameters: [String]
  public var objective: String
  /// Which end of the objective is better (the colour scale is brighter there).
  public var higherIsBetter: Bool
  public var trials: [ParallelTrial]
  public var width: Int
  public var height: Int
  /// Prefix of ids inside the SVG (its gradient); must differ between charts of one page.
  public var id: String

  public init(
    title: String, parameters: [String], objective: String, higherIsBetter: Bool, trials: [ParallelTrial],
    width: Int = 900,
    height: Int = 380, id: String
  ) {
    precondition(width > 0 && height > 0, "chart size \(width)×\(height)")
    for t in trials {
      precondition(
        t.values.count == parameters.count,
        "trial \(t.run): \(t.values.count) values for \(parameters.count) axes")
    }
    (self.title, self.parameters, self.objective, self.higherIsBetter) = (
      title, parameters, objective, higherIsBetter
    )
    (self.trials, self.width, self.height, self.id) = (trials, width, height, id)
  }

  public struct Layout: Sendable {
    /// Axis i's SVG x; the objective's axis is last.
    public var axisX: [Double]
    public var top: Double
    public var bottom: Double
    /// One scale per axis, the objective's last (always linear).
    public var scales: [ValueScale]
    public var colorBar: ChartRect
    /// SVG y of fraction `f` (0 at the bottom) along an axis.
    public func y(_ f: Double) -> Double { bottom - f * (bottom - top) }
  }

  static let fontSize = 11.0

  public func layout() -> Layout {
    let pad = ChartLayout.pad
    var scales = parameters.indices.map { i in
      ValueScale(values: trials.compactMap { $0.values[i] }, target: 5)
    }
    let objectives = trials.compactMap(\.objective).filter(\.isFinite)
    let objTicks = NiceTicks(lo: objectives.min() ?? 0, hi: objectives.max() ?? 1, target: 5)
    scales.append(ValueScale(numbers: [objTicks.lower, objTicks.upper], linear: true))
    let firstLabels = scales[0].tickMarks.map { ChartFont.width($0.label, size: Self.fontSize) }.max() ?? 0
    // The first axis's tick labels sit left of it and its title is centred on it: room for both.
    let firstTitle = ChartFont.width(parameters.first ?? objective, size: ChartFont.label) / 2
    let left = pad + Swift.max(Swift.min(firstLabels, 120) + 10, Swift.min(firstTitle, 100))
    let barRoom = 90.0
    let right = Double(width) - pad - barRoom
    let count = scales.count
    let axisX =
      count == 1
      ? [(left + right) / 2] : (0..<count).map { left + Double($0) * (right - left) / Double(count - 1) }
    let top = pad + (title.isEmpty ? 4 : ChartFont.title + 12) + ChartFont.label + 14
    let bottom = Double(height) - pad - 8
    let bar = ChartRect(x: Double(width) - pad - barRoom + 34, y: top, width: 12, height: bottom - top)
    return Layout(axisX: axisX, top: top, bottom: bottom, scales: scales, colorBar: bar)
  }

  /// The vertices of `t`'s line (axes where it has a placeable value), left to right.
  public func vertices(_ t: ParallelTrial, _ l: Layout) -> [(x: Double, y: Double)] {
    var out: [(x: Double, y: Double)] = []
    for (i, v) in t.values.enumerated() {
      if let v, let f = l.scales[i].fraction(v) { out.append((l.axisX[i], l.y(f))) }
    }
    if let o = t.objective, let f = l.scales.last!.fraction(number: o) { out.append((l.axisX.last!, l.y(f))) }
    return out
  }

  /// The line colour of an objective value: viridis over the objective axis, brighter where better.
  func color(_ objective: Double?, _ l: Layout) -> String? {
    guard let o = objective, let f = l.scales.last!.fraction(number: o) else { return nil }
    return TrialMarks.viridis(higherIsBetter ? f : 1 - f)
  }

  public func render() -> String {
    let l = layout()
    let n = Markup.number
    let fs = Self.fontSize
    var o = SVGFrame.open(cssClass: "parallel-chart", width: width, height: height, fontSize: fs, title: title)
    o += SVGFrame.title(
      ChartFont.fit(title, size: ChartFont.title, width: Double(width) - 2 * ChartLayout.pad), x: ChartLayout.pad)
    // Lines first (not-finished trials under finished ones, the best last), axes on top.
    let ordered =
      trials.filter { $0.status != "finished" && !$0.highlighted }
      + trials.filter { $0.status == "finished" && !$0.highlighted }
      + trials.filter(\.highlighted)
    o += "<g class=\"data\" fill=\"none\">\n"
    for t in ordered {
      let pts = vertices(t, l).map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
      let finished = t.status == "finished"
      let stroke = t.status == "failed" ? "#d62728" : color(t.objective, l) ?? "#999999"
      var attributes: KeyValuePairs<String, String> = [:]
      let cls = "trial-line status-\(t.status)" + (t.highlighted ? " best" : "")
      let data = t.values.enumerated().map { "\(parameters[$0.offset])=\($0.element ?? "-")" }.joined(
        separator: "; ")
      let y = t.objective.map(Markup.value) ?? ""
      if t.highlighted {
        o +=
          Markup.element(
            "polyline",
            [
              "class": "best-outline", "points": pts, "stroke": "#222222", "stroke-width": "6",
              "stroke-linejoin": "round",
            ])
          + "\n"
      }
      attributes = [
        "class": cls, "data-run": "\(t.run)", "data-x": data, "data-y": y, "points": pts, "stroke": stroke,
        "stroke-width": t.highlighted ? "3.5" : "1.6", "stroke-opacity": finished ? "0.9" : "0.7",
        "stroke-dasharray": finished ? "none" : "5 3", "stroke-linejoin": "round",
      ]
      let tip = t.label + (t.highlighted ? " — best so far" : "")
      o += Markup.container("polyline", attributes, inner: Markup.element("title", [:], text: tip)) + "\n"
    }
    o += "</g>\n"
    // Axes: a line, ticks with labels left of it, the title above.
    let spacing = l.axisX.count > 1 ? l.axisX[1] - l.axisX[0] : Double(width) / 2
    let titles = parameters + [objective]
    for (i, x) in l.axisX.enumerated() {
      let s = l.scales[i]
      o += "<g class=\"axis parallel-axis\" data-axis=\"\(Markup.escape(titles[i]))\">\n"
      o += Markup.element(
        "line",
        [
          "x1": n(x), "y1": n(l.top), "x2": n(x), "y2": n(l.bottom), "stroke": "#555555",
          "stroke-width": "1.2",
        ])
      for t in s.tickMarks {
        let y = n(l.y(t.fraction))
        o += Markup.element("line", ["x1": n(x - 4), "y1": y, "x2": n(x), "y2": y, "stroke": "#555555"])
        o +=
          Markup.element(
            "text",
            [
              "class": "tick-label", "x": n(x - 6), "y": y, "dy": "0.35em", "text-anchor": "end",
              "stroke": "#ffffff",
              "stroke-width": "3", "paint-order": "stroke",
            ], text: ChartFont.fit(t.label, size: fs, width: Swift.min(spacing * 0.45, 120)))
      }
      o +=
        Markup.element(
          "text",
          [
            "class": "axis-title", "x": n(x), "y": n(l.top - 10), "text-anchor": "middle",
            "font-size": n(ChartFont.label),
            "font-weight": i == l.axisX.count - 1 ? "bold" : "normal",
          ], text: ChartFont.fit(titles[i] + s.titleSuffix, size: ChartFont.label, width: spacing - 8)) + "\n"
      o += "</g>\n"
    }
    // The colour bar: objective values along the objective axis's ticks.
    let bar = l.colorBar
    let gradient = "\(id)-objective"
    o += "<defs><linearGradient id=\"\(Markup.escape(gradient))\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
    for k in 0...8 {
      let f = Double(k) / 8
      o += "<stop offset=\"\(n(f))\" stop-color=\"\(TrialMarks.viridis(higherIsBetter ? f : 1 - f))\"/>"
    }
    o += "</linearGradient></defs>\n<g class=\"color-bar\">\n"
    o += Markup.element(
      "rect",
      [
        "x": n(bar.x), "y": n(bar.y), "width": n(bar.width), "height": n(bar.height),
        "fill": "url(#\(gradient))", "stroke": "#888888",
      ])
    for t in l.scales.last!.tickMarks {
      o += Markup.element(
        "text", ["class": "tick-label", "x": n(bar.maxX + 4), "y": n(l.y(t.fraction)), "dy": "0.35em"],
        text: t.label)
    }
    o += "</g>\n"
    if trials.isEmpty {
      o +=
        Markup.element(
          "text",
          [
            "class": "no-data", "x": n(Double(width) / 2), "y": n(Double(height) / 2),
            "text-anchor": "middle", "fill": "#666666",
          ],
          text: "no trials") + "\n"
    }
    return o + "</svg>\n"
  }
}
