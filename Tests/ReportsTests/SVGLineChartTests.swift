// SVG line charts, parsed back as XML: ticks where the layout maps them, one legend entry per
// series off the plot, bands, escaping, and charts with empty, single-point and NaN series.
import Foundation
import XCTest

@testable import Reports

#if canImport(FoundationXML)
  import FoundationXML
#endif

final class SVGLineChartTests: XCTestCase {
  /// Three methods over 28 frames, LPIPS-like, two with 95% bands.
  private func horizonChart(
    width: Int = 720, height: Int = 420, legend: LegendPlacement = .automatic, names: [String]? = nil
  ) -> SVGLineChart {
    let names = names ?? ["lstm", "hold-state", "copy-last"]
    let x = (1...28).map(Double.init)
    let series = names.enumerated().map { k, name in
      let y = x.map { 0.05 + 0.01 * Double(k + 1) * $0.squareRoot() }
      return k < 2
        ? ChartSeries(name: name, x: x, y: y, low: y.map { $0 - 0.01 }, high: y.map { $0 + 0.01 })
        : ChartSeries(name: name, x: x, y: y)
    }
    return SVGLineChart(
      title: "LPIPS against horizon",
      xAxis: ChartAxis(title: "Predicted frame", unit: "frames after context", integerTicks: true),
      yAxis: ChartAxis(title: "LPIPS", unit: "distance, lower is better"), series: series, width: width,
      height: height,
      legendPlacement: legend)
  }

  func testTicksSitWhereTheLayoutMapsThem() throws {
    let chart = horizonChart()
    let layout = chart.layout()
    let root = try XCTUnwrap(try parseXML(chart.render()).rootElement())
    let xLabels = root.elements(withClass: "tick-label").filter { $0.string("class")!.contains(" x") }
    XCTAssertEqual(xLabels.map { $0.stringValue ?? "" }, layout.xTicks.values.map(layout.xTicks.label))
    for (e, v) in zip(xLabels, layout.xTicks.values) {
      XCTAssertEqual(try XCTUnwrap(e.number("x")), layout.px(v), accuracy: 0.01)
    }
    // The ticks cover the data (1…28) on a 1-2-5 step, and the end ticks are the plot's edges.
    XCTAssertLessThanOrEqual(layout.xTicks.lower, 1)
    XCTAssertGreaterThanOrEqual(layout.xTicks.upper, 28)
    XCTAssertEqual(layout.px(layout.xTicks.lower), layout.plot.x, accuracy: 1e-9)
    XCTAssertEqual(layout.py(layout.yTicks.upper), layout.plot.y, accuracy: 1e-9)
    let yLabels = root.elements(withClass: "tick-label").filter { $0.string("class")!.contains(" y") }
    XCTAssertEqual(yLabels.count, layout.yTicks.values.count)
    XCTAssertGreaterThanOrEqual(yLabels.count, 3)
    XCTAssertEqual(root.elements(withClass: "grid-line").count, xLabels.count + yLabels.count)
    // Neighbouring x labels (estimated widths) do not touch.
    let xs = xLabels.compactMap { $0.number("x") }
    let widest = xLabels.map { ChartFont.width($0.stringValue ?? "", size: ChartFont.label) }.max() ?? 0
    for (a, b) in zip(xs, xs.dropFirst()) { XCTAssertGreaterThan(b - a, widest) }
    // Axis titles carry their units.
    XCTAssertEqual(
      root.elements(withClass: "axis-title").map { $0.stringValue ?? "" },
      ["Predicted frame (frames after context)", "LPIPS (distance, lower is better)"])
  }

  func testSeriesBandsAndLegendEntries() throws {
    let root = try XCTUnwrap(try parseXML(horizonChart().render()).rootElement())
    let lines = root.elements(withClass: "series-line")
    XCTAssertEqual(lines.compactMap { $0.string("data-series") }, ["lstm", "hold-state", "copy-last"])
    XCTAssertEqual(
      root.elements(withClass: "band").compactMap { $0.string("data-series") }, ["lstm", "hold-state"])
    // 28 points: one move and 27 line segments.
    XCTAssertEqual(lines[0].string("d")?.filter { $0 == "L" }.count, 27)
    // Distinct colour and dash per series.
    XCTAssertEqual(Set(lines.compactMap { $0.string("stroke") }).count, 3)
    XCTAssertEqual(Set(lines.map { $0.string("stroke-dasharray") ?? "" }).count, 3)
    XCTAssertEqual(
      root.elements(withClass: "legend-label").map { $0.stringValue ?? "" },
      ["lstm", "hold-state", "copy-last"])
  }

  func testLegendNeverOverlapsThePlot() throws {
    let long = [
      "LSTM residual predictor (3×256)", "hold-state baseline", "constant-velocity baseline",
      "pixel copy-last", "linear (μ, L)",
    ]
    let cases: [(SVGLineChart, LegendPlacement)] = [
      (horizonChart(), .right),
      (horizonChart(names: long), .below),
      (horizonChart(legend: .below), .below),
      (horizonChart(width: 900, legend: .right, names: long), .right),
      (horizonChart(width: 360, height: 300, names: long), .below),
      // A name longer than the chart is wide is shortened, not drawn past the edge.
      (
        horizonChart(
          width: 300, height: 300, names: ["a", String(repeating: "very long method name ", count: 4)]),
        .below
      ),
    ]
    for (chart, expected) in cases {
      let l = chart.layout()
      let legend = try XCTUnwrap(l.legend)
      XCTAssertEqual(l.legendPlacement, expected, "\(chart.width)px, \(chart.series.map(\.name))")
      XCTAssertFalse(legend.overlaps(l.plot), "legend \(legend) over plot \(l.plot)")
      let page = ChartRect(x: 0, y: 0, width: Double(chart.width), height: Double(chart.height))
      XCTAssertTrue(
        page.contains(legend), "legend \(legend) outside the \(chart.width)×\(chart.height) chart")
      if expected == .below {
        // Below the x tick labels and the x-axis title, not on them.
        XCTAssertGreaterThanOrEqual(
          legend.y, l.plot.maxY + ChartLayout.tickLength + 4 + ChartFont.label + 10 + ChartFont.axisTitle)
      }
      // Each label's estimated box stays inside the legend box, entries do not overlap.
      let root = try XCTUnwrap(try parseXML(chart.render()).rootElement())
      let labels = root.elements(withClass: "legend-label")
      XCTAssertEqual(labels.count, chart.series.count)
      for t in labels {
        let x = try XCTUnwrap(t.number("x"))
        let y = try XCTUnwrap(t.number("y"))
        let box = ChartRect(
          x: x, y: y - ChartFont.label / 2,
          width: ChartFont.width(t.stringValue ?? "", size: ChartFont.label), height: ChartFont.label)
        XCTAssertTrue(legend.contains(box), "label \(t.stringValue ?? "") \(box) outside legend \(legend)")
        XCTAssertFalse(box.overlaps(l.plot))
      }
      for (name, shown) in zip(chart.series.map(\.name), l.legendLabels) {
        XCTAssertTrue(
          shown == name || (shown.hasSuffix("…") && name.hasPrefix(shown.dropLast())), "\(shown) for \(name)")
      }
      for (i, a) in l.legendEntries.enumerated() {
        for b in l.legendEntries[(i + 1)...] { XCTAssertFalse(a.overlaps(b), "legend entries \(a) and \(b)") }
      }
    }
  }

  func testTextIsEscaped() throws {
    let name = "A<b>&\"c\" 'd'"
    let chart = SVGLineChart(
      title: "x < y & z", xAxis: ChartAxis(title: "t", unit: "<s>"), yAxis: ChartAxis(title: "v"),
      series: [ChartSeries(name: name, x: [1, 2], y: [3, 4])])
    let svg = chart.render()
    XCTAssertFalse(svg.contains("<b>"))
    let root = try XCTUnwrap(try parseXML(svg).rootElement())
    XCTAssertEqual(root.elements(withClass: "legend-label").first?.stringValue, name)
    XCTAssertEqual(root.elements(withClass: "series-line").first?.string("data-series"), name)
    XCTAssertEqual(root.elements(withClass: "chart-title").first?.stringValue, "x < y & z")
    XCTAssertEqual(root.elements(withClass: "axis-title").first?.stringValue, "t (<s>)")
    XCTAssertEqual(Markup.escape("a\u{1}b"), "a\u{FFFD}b")
  }

  func testEmptySinglePointAndNaNSeries() throws {
    let chart = SVGLineChart(
      title: "edge cases", xAxis: ChartAxis(title: "frame", unit: "index"), yAxis: ChartAxis(title: "SSIM"),
      series: [
        ChartSeries(name: "empty", points: []),
        ChartSeries(name: "one", x: [3], y: [0.5]),
        ChartSeries(
          name: "gappy", x: [1, 2, 3, 4, 5], y: [0.1, 0.2, .nan, 0.4, 0.5], low: [0, 0.1, 0.2, .nan, 0.4],
          high: [0.2, 0.3, 0.4, .nan, 0.6]),
      ])
    let svg = chart.render()
    XCTAssertFalse(svg.lowercased().contains("nan"), "a NaN reached the markup")
    XCTAssertFalse(svg.contains("inf"))
    let root = try XCTUnwrap(try parseXML(svg).rootElement())
    XCTAssertEqual(root.elements(withClass: "point-marker").compactMap { $0.string("data-series") }, ["one"])
    // The NaN at x = 3 splits "gappy" in two lines; its band breaks at x = 4 instead.
    XCTAssertEqual(
      root.elements(withClass: "series-line").compactMap { $0.string("data-series") }, ["gappy", "gappy"])
    XCTAssertEqual(root.elements(withClass: "band").count, 2)
    XCTAssertEqual(root.elements(withClass: "legend-entry").count, 3)
    XCTAssertTrue(root.elements(withClass: "no-data").isEmpty)

    let blank = SVGLineChart(
      title: "", xAxis: ChartAxis(title: "x"), yAxis: ChartAxis(title: "y"), series: [])
    let blankRoot = try XCTUnwrap(try parseXML(blank.render()).rootElement())
    XCTAssertEqual(blankRoot.elements(withClass: "no-data").count, 1)
    XCTAssertNil(blank.layout().legend)
    XCTAssertTrue(blankRoot.elements(withClass: "series-line").isEmpty)
  }

  func testFixedRangeAndStyleIndex() throws {
    let chart = SVGLineChart(
      title: "SSIM", xAxis: ChartAxis(title: "frame"), yAxis: ChartAxis(title: "SSIM", range: 0...1),
      series: [ChartSeries(name: "b", x: [1, 2], y: [0.6, 0.7], styleIndex: 3)])
    let l = chart.layout()
    XCTAssertEqual(l.yTicks.lower, 0, accuracy: 0)
    XCTAssertEqual(l.yTicks.upper, 1, accuracy: 0)
    let root = try XCTUnwrap(try parseXML(chart.render()).rootElement())
    XCTAssertEqual(
      root.elements(withClass: "series-line").first?.string("stroke"), ChartStyle.palette(3).color)
    // Ten styles: ten colours and ten dash patterns, all different.
    let styles = (0..<10).map(ChartStyle.palette)
    XCTAssertEqual(Set(styles.map(\.color)).count, 10)
    XCTAssertEqual(Set(styles.map(\.dash)).count, 10)
    XCTAssertEqual(Set((0..<100).map { "\(ChartStyle.palette($0))" }).count, 100)
  }
}
