// The live pages' charts, parsed back as XML: a 100,000-point series drawn through Downsample
// keeps its extremes in a few thousand vertices; scatter markers sit where their values map on
// linear, log and discrete axes; parallel coordinates draw one line per trial through the axes
// it has values on, dashed and red for failed trials, the best one marked.
import Foundation
import TestSupport
import XCTest

@testable import Reports

#if canImport(FoundationXML)
  import FoundationXML
#endif

final class LiveChartsTests: XCTestCase {
  func testLongSeriesIsDrawnWithFewVerticesAndKeepsItsExtremes() throws {
    // 100,000 steps of a gentle wave with one spike up and one dip down far from the ends.
    var points = (0..<100_000).map { i in ChartPoint(x: Double(i), y: sin(Double(i) / 3000)) }
    points[54_321].y = 50
    points[77_777].y = -40
    let kept = Downsample.minMax(points, buckets: 600)
    XCTAssertLessThanOrEqual(kept.count, 2 * 600 + 2)
    XCTAssertTrue(kept.contains { $0.x == 54_321 && $0.y == 50 }, "the spike is kept")
    XCTAssertTrue(kept.contains { $0.x == 77_777 && $0.y == -40 }, "the dip is kept")
    XCTAssertEqual(kept.first?.x, 0)
    XCTAssertEqual(kept.last?.x, 99_999)
    XCTAssertEqual(kept.map(\.x), kept.map(\.x).sorted(), "kept in their order")
    XCTAssertEqual(
      Downsample.minMax(Array(points[0..<1000]), buckets: 600).count, 1000, "short series stay whole")

    var chart = SVGLineChart(
      title: "loss", xAxis: ChartAxis(title: "Step"), yAxis: ChartAxis(title: "loss"),
      series: [ChartSeries(name: "run <7>", points: points, styleIndex: 0, run: 7)], width: 620, height: 360)
    chart.downsample = true
    chart.hover = true
    let svg = chart.render()
    XCTAssertLessThan(svg.utf8.count, 200_000, "the SVG stays small")
    let root = try XCTUnwrap(try parseXML(svg).rootElement())
    let line = try XCTUnwrap(root.elements(withClass: "series-line").first)
    let vertices = try XCTUnwrap(line.string("d")).split(separator: "L").count
    XCTAssertLessThanOrEqual(vertices, 3000)
    XCTAssertGreaterThan(vertices, 500)
    XCTAssertEqual(line.string("data-run"), "7")
    let ys = try XCTUnwrap(line.string("data-y")).split(separator: " ").compactMap { Double($0) }
    XCTAssertEqual(ys.count, vertices, "one hover value per drawn vertex")
    XCTAssertEqual(ys.max(), 50)
    XCTAssertEqual(ys.min(), -40)
    // The drawn extremes are where the layout puts 50 and -40.
    let layout = chart.layout()
    let yCoords = try XCTUnwrap(line.string("d")).dropFirst().split(separator: "L").map {
      Double($0.split(separator: ",")[1].trimmingCharacters(in: .whitespaces))!
    }
    XCTAssertEqual(yCoords.min()!, layout.py(50), accuracy: 0.01)
    XCTAssertEqual(yCoords.max()!, layout.py(-40), accuracy: 0.01)
    let tip = try XCTUnwrap(line.child("title")?.stringValue)
    XCTAssertTrue(tip.hasPrefix("run <7>: "), tip)
    XCTAssertTrue(tip.contains("100000 points"), tip)
  }

  func testScatterMarkersSitWhereTheirValuesMap() throws {
    func chart(_ xs: [String], _ ys: [Double]) -> ScatterChart {
      ScatterChart(
        title: "acc", xAxis: ChartAxis(title: "k"), yAxis: ChartAxis(title: "acc"),
        points: xs.indices.map {
          ScatterPoint(x: xs[$0], y: ys[$0], run: Int64($0 + 1), status: "finished", label: "run \($0 + 1)")
        },
        id: "s")
    }
    func markers(_ c: ScatterChart) throws -> [String: (cx: Double, cy: Double)] {
      let root = try XCTUnwrap(try parseXML(c.render()).rootElement())
      var out: [String: (cx: Double, cy: Double)] = [:]
      for m in root.elements(withClass: "trial-point") {
        out[m.string("data-run")!] = (m.number("cx")!, m.number("cy")!)
      }
      return out
    }
    // Linear: n_landmarks 3, 5, 10 against 0.5, 0.75, 0.6.
    let linear = chart(["3", "5", "10"], [0.5, 0.75, 0.6])
    let l = linear.layout()
    XCTAssertEqual(l.xScale.kind, .linear)
    let m = try markers(linear)
    XCTAssertEqual(m.count, 3)
    let (xt, yt) = (l.xScale.ticks, l.yTicks)
    XCTAssertEqual(
      m["2"]!.cx, l.plot.x + (5 - xt.lower) / (xt.upper - xt.lower) * l.plot.width, accuracy: 0.01)
    XCTAssertEqual(
      m["2"]!.cy, l.plot.maxY - (0.75 - yt.lower) / (yt.upper - yt.lower) * l.plot.height, accuracy: 0.01)
    XCTAssertLessThan(m["2"]!.cy, m["3"]!.cy, "a higher objective is drawn higher")
    XCTAssertLessThan(m["2"]!.cx, m["3"]!.cx)

    // Log: learning rates 1e-4 … 1e-2 take a decade each.
    let log = chart(["0.0001", "0.001", "0.01"], [0.5, 0.6, 0.7])
    XCTAssertEqual(log.layout().xScale.kind, .log)
    let lp = log.layout().plot
    let ml = try markers(log)
    XCTAssertEqual(ml["1"]!.cx, lp.x, accuracy: 0.01)
    XCTAssertEqual(ml["2"]!.cx, lp.x + lp.width / 2, accuracy: 0.01)
    XCTAssertEqual(ml["3"]!.cx, lp.maxX, accuracy: 0.01)

    // Discrete: booleans in the middle of two slots, the same value in the same slot.
    let discrete = chart(["true", "false", "true"], [0.5, 0.6, 0.7])
    XCTAssertEqual(discrete.layout().xScale.kind, .categorical)
    XCTAssertEqual(discrete.layout().xScale.categories, ["false", "true"])
    let dp = discrete.layout().plot
    let md = try markers(discrete)
    XCTAssertEqual(md["2"]!.cx, dp.x + 0.25 * dp.width, accuracy: 0.01)
    XCTAssertEqual(md["1"]!.cx, dp.x + 0.75 * dp.width, accuracy: 0.01)
    XCTAssertEqual(md["3"]!.cx, md["1"]!.cx, accuracy: 1e-9)
  }

  func testParallelCoordinatesDrawOneLinePerTrial() throws {
    let trials = [
      ParallelTrial(run: 1, status: "finished", values: ["3", "true"], objective: 0.5, label: "one"),
      ParallelTrial(
        run: 2, status: "finished", values: ["5", "false"], objective: 0.8, label: "two", highlighted: true),
      ParallelTrial(run: 3, status: "running", values: ["7", "true"], objective: nil, label: "three"),
      ParallelTrial(run: 4, status: "failed", values: ["9", "false"], objective: nil, label: "four <&>"),
    ]
    let chart = ParallelCoordinates(
      title: "all", parameters: ["n_landmarks", "use_gan"], objective: "acc", higherIsBetter: true,
      trials: trials, id: "p")
    let root = try XCTUnwrap(try parseXML(chart.render()).rootElement())
    let lines = root.elements(withClass: "trial-line")
    XCTAssertEqual(lines.count, 4, "one polyline per trial")
    var byRun: [String: XMLElement] = [:]
    for e in lines { byRun[e.string("data-run")!] = e }
    func vertices(_ run: String) -> [(Double, Double)] {
      byRun[run]!.string("points")!.split(separator: " ").map { p in
        let c = p.split(separator: ",").map { Double($0)! }
        return (c[0], c[1])
      }
    }
    XCTAssertEqual(vertices("1").count, 3, "two parameters and the objective")
    XCTAssertEqual(vertices("3").count, 2, "no objective yet: the line stops at the last parameter")
    XCTAssertEqual(vertices("4").count, 2)
    guard vertices("1").count == 3, vertices("2").count == 3 else { return }  // already failed above
    let l = chart.layout()
    // Run 2 (the best, 0.8) sits higher on the objective axis than run 1 (0.5), both on its x.
    XCTAssertEqual(vertices("2")[2].0, l.axisX[2], accuracy: 0.01)
    XCTAssertEqual(vertices("2")[2].1, l.y(l.scales[2].fraction(number: 0.8)!), accuracy: 0.01)
    XCTAssertLessThan(vertices("2")[2].1, vertices("1")[2].1)
    // n_landmarks 3 at the bottom of its linear axis, 9 at its top when the ticks end there.
    XCTAssertEqual(vertices("1")[0].1, l.y(l.scales[0].fraction("3")!), accuracy: 0.01)
    XCTAssertTrue(byRun["2"]!.string("class")!.contains("best"))
    XCTAssertFalse(byRun["1"]!.string("class")!.contains("best"))
    XCTAssertEqual(root.elements(withClass: "best-outline").count, 1)
    XCTAssertEqual(byRun["4"]!.string("stroke"), "#d62728", "failed: red")
    XCTAssertEqual(byRun["4"]!.string("stroke-dasharray"), "5 3", "failed: dashed")
    XCTAssertEqual(byRun["1"]!.string("stroke-dasharray"), "none")
    // Colour by objective: the best (highest) is the brightest end of the scale.
    XCTAssertEqual(byRun["2"]!.string("stroke"), TrialMarks.viridis(l.scales[2].fraction(number: 0.8)!))
    XCTAssertEqual(byRun["4"]!.child("title")?.stringValue, "four <&>")
    XCTAssertEqual(byRun["2"]!.string("data-y"), "0.8")
    XCTAssertEqual(byRun["2"]!.string("data-x"), "n_landmarks=5; use_gan=false")
  }
}

extension XMLElement {
  /// The first child element named `name` (looked up by name: see `string(_:)` on namespaces).
  func child(_ name: String) -> XMLElement? {
    (children ?? []).compactMap { $0 as? XMLElement }.first { $0.name == name || $0.localName == name }
  }
}
