// SVGFrame: what every chart's SVG shares — the root element with its size and font, an
// accessible title and a white background, the bold chart title, the gridlines under the data,
// the plot's outline and its axes — so the line, scatter and parallel-coordinates charts draw
// them one way.

enum SVGFrame {
  /// `<svg …>` with `<title>` and the background; `cssClass` names the chart kind (nil: none).
  static func open(cssClass: String?, width: Int, height: Int, fontSize: Double, title: String) -> String {
    let n = Markup.number
    var o = "<svg xmlns=\"http://www.w3.org/2000/svg\" "
    if let cssClass { o += "class=\"\(cssClass)\" " }
    o += "width=\"\(width)\" height=\"\(height)\" "
    o += "viewBox=\"0 0 \(width) \(height)\" font-family=\"Helvetica, Arial, sans-serif\" "
    o += "font-size=\"\(n(fontSize))\" role=\"img\" aria-label=\"\(Markup.escape(title))\">\n"
    o += Markup.element("title", [:], text: title) + "\n"
    o +=
      Markup.element(
        "rect", ["class": "background", "width": "\(width)", "height": "\(height)", "fill": "#ffffff"])
      + "\n"
    return o
  }

  /// The bold chart title at `x` (nothing for an empty text).
  static func title(_ text: String, x: Double) -> String {
    guard !text.isEmpty else { return "" }
    let n = Markup.number
    return Markup.element(
      "text",
      [
        "class": "chart-title", "x": n(x), "y": n(ChartLayout.pad + ChartFont.title),
        "font-size": n(ChartFont.title), "font-weight": "bold",
      ], text: text) + "\n"
  }

  /// Vertical gridlines at pixel xs and horizontal ones at pixel ys across `plot`.
  static func gridLines(xs: [Double], ys: [Double], plot p: ChartRect) -> String {
    let n = Markup.number
    var o = "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n"
    for x in xs {
      let attributes: KeyValuePairs = ["class": "grid-line x", "x1": n(x), "y1": n(p.y), "x2": n(x), "y2": n(p.maxY)]
      o += Markup.element("line", attributes) + "\n"
    }
    for y in ys {
      let attributes: KeyValuePairs = ["class": "grid-line y", "x1": n(p.x), "y1": n(y), "x2": n(p.maxX), "y2": n(y)]
      o += Markup.element("line", attributes) + "\n"
    }
    return o + "</g>\n"
  }

  /// Where the x axis title's baseline sits below the plot (a legend below goes under it).
  static func xTitleBaseline(_ p: ChartRect) -> Double {
    p.maxY + ChartLayout.tickLength + 4 + ChartFont.label + 10 + ChartFont.axisTitle * 0.8
  }

  /// The plot's outline.
  static func plotFrame(_ p: ChartRect) -> String {
    let n = Markup.number
    return Markup.element(
      "rect",
      [
        "class": "plot-frame", "x": n(p.x), "y": n(p.y), "width": n(p.width), "height": n(p.height),
        "fill": "none", "stroke": "#888888",
      ]) + "\n"
  }

  /// Tick marks and labels along the bottom (pixel x, label) and the left edge (pixel y, label),
  /// then the two axis titles (text as given: fit it first where it may run long).
  static func axes(
    x: [(px: Double, label: String)], y: [(px: Double, label: String)], plot p: ChartRect, xTitle: String,
    yTitle: String
  ) -> String {
    let n = Markup.number
    let tk = ChartLayout.tickLength
    var o = "<g class=\"axis x\">\n"
    for t in x {
      let px = n(t.px)
      o += Markup.element("line", ["x1": px, "y1": n(p.maxY), "x2": px, "y2": n(p.maxY + tk), "stroke": "#888888"])
      o +=
        Markup.element(
          "text",
          ["class": "tick-label x", "x": px, "y": n(p.maxY + tk + 4 + ChartFont.label * 0.8), "text-anchor": "middle"],
          text: t.label) + "\n"
    }
    o += "</g>\n<g class=\"axis y\">\n"
    for t in y {
      let py = n(t.px)
      o += Markup.element("line", ["x1": n(p.x - tk), "y1": py, "x2": n(p.x), "y2": py, "stroke": "#888888"])
      o +=
        Markup.element(
          "text",
          ["class": "tick-label y", "x": n(p.x - tk - 4), "y": py, "dy": "0.35em", "text-anchor": "end"],
          text: t.label) + "\n"
    }
    o += "</g>\n"
    let xTitleY = xTitleBaseline(p)
    o +=
      Markup.element(
        "text",
        [
          "class": "axis-title x", "x": n(p.x + p.width / 2), "y": n(xTitleY), "text-anchor": "middle",
          "font-size": n(ChartFont.axisTitle),
        ], text: xTitle) + "\n"
    let yTitleX = n(ChartLayout.pad + ChartFont.axisTitle * 0.8)
    let yTitleY = n(p.y + p.height / 2)
    o +=
      Markup.element(
        "text",
        [
          "class": "axis-title y", "x": yTitleX, "y": yTitleY, "transform": "rotate(-90 \(yTitleX) \(yTitleY))",
          "text-anchor": "middle", "font-size": n(ChartFont.axisTitle),
        ], text: yTitle) + "\n"
    return o
  }
}
