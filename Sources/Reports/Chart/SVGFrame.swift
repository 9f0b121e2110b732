// SVGFrame: what every chart's SVG shares — the root element with its size and font, an
// accessible title and a white background, the bold chart title, and the gridlines under the
// data — so the line, scatter and parallel-coordinates charts draw them one way.

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
}
