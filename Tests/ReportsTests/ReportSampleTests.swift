// A sample report page built the way `lmlab report` will build one — synthetic per-frame scores
// → PredictionCurves → charts and CSVs, WorstCases → a filmstrip — written to
// $REPORT_SAMPLE_DIR (default: a per-process temporary folder, so concurrent test runs do not
// share one) and, where Debian's `chromium` is installed, rendered headless to shot.png and
// checked for drawn plots and a loaded strip.
import Foundation
import Imaging
import EvalMetrics
import TestSupport
import XCTest

@testable import Reports

final class ReportSampleTests: XCTestCase {
  static let methods = ["lstm", "hold-state", "constant-velocity", "copy-last"]
  static let discColor: (Float, Float, Float) = (0.95, 0.3, 0.1)

  /// A 64 px frame: a blue-grey gradient with an orange disc at (cx, cy).
  static func frame(cx: Float, cy: Float, radius: Float = 9) -> RGBImage {
    var im = RGBImage(width: 64, height: 64)
    for y in 0..<64 {
      for x in 0..<64 {
        im[0, y, x] = 0.15 + 0.2 * Float(y) / 63
        im[1, y, x] = 0.2 + 0.25 * Float(y) / 63
        im[2, y, x] = 0.35 + 0.3 * Float(x) / 63
      }
    }
    let c = discColor
    im.fillCircle(cx: cx, cy: cy, radius: radius, color: RGBColor(c.0, c.1, c.2))
    return im
  }

  /// Deterministic scores: methods drift apart with the horizon, sequences differ by a noise term.
  static func rows() -> [FrameScoreRow] {
    var state: UInt64 = 11
    func noise() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) / Double(1 << 53) - 0.5
    }
    var rows: [FrameScoreRow] = []
    for (k, m) in methods.enumerated() {
      for s in 0..<8 {
        let hard = Double(s % 3) * 0.02
        for t in 1...28 {
          let base = 0.04 + (0.004 + 0.002 * Double(k)) * Double(t) + hard
          rows.append(
            FrameScoreRow(
              method: m, sequence: "seq\(s)", index: t, metric: "lpips-alex", value: base + 0.02 * noise()))
        }
      }
    }
    return rows
  }

  /// Writes index.html, two CSVs and the strip PNG into `dir`; returns the page's path.
  @discardableResult
  static func writeSample(to dir: String) throws -> String {
    try FileManager.default.createDirectory(atPath: dir + "/frames", withIntermediateDirectories: true)
    let rows = rows()
    let points = PredictionCurves.points(rows)
    var curveCSV = TidyCSV(header: TidyCSV.curveHeader)
    for p in points {
      curveCSV.append(
        [p.method, p.metric, "\(p.index)", "\(p.n)"] + [p.mean, p.ciLow, p.ciHigh].map(TidyCSV.number))
    }
    try curveCSV.write(to: dir + "/curves.csv")
    var frameCSV = TidyCSV(header: TidyCSV.perFrameHeader)
    for r in rows {
      frameCSV.append([r.method, r.sequence, "\(r.index)", r.metric, TidyCSV.number(r.value)])
    }
    try frameCSV.write(to: dir + "/per_frame.csv")

    // One style index per method, used by every chart (STYLE habit 13).
    let style = Dictionary(uniqueKeysWithValues: methods.enumerated().map { ($1, $0) })
    let lpips = SVGLineChart(
      title: "LPIPS against prediction horizon (mean over 8 sequences, 95% interval)",
      xAxis: ChartAxis(
        title: "Predicted frame", unit: "frames after the 2 context frames", integerTicks: true),
      yAxis: ChartAxis(title: "LPIPS-alex distance, lower is better"),
      series: methods.map { m in
        let c = PredictionCurves.curve(points, method: m, metric: "lpips-alex")
        return ChartSeries(
          name: m,
          points: c.map { ChartPoint(x: Double($0.index), y: $0.mean, low: $0.ciLow, high: $0.ciHigh) },
          styleIndex: style[m])
      },
      width: 760, height: 420, id: "lpips")
    let schemes = [
      "linear in (μ, L)", "linear in covariance", "principal axes (angle, magnitude)",
      "Wasserstein-2 geodesic", "pixel cross-fade", "nearest frame",
    ]
    let ssim = SVGLineChart(
      title: "Interpolation SSIM against frame index",
      xAxis: ChartAxis(title: "Frame index", unit: "frames from the first", integerTicks: true),
      yAxis: ChartAxis(title: "SSIM, higher is better", range: 0...1),
      series: schemes.enumerated().map { k, name in
        let x = (0...10).map(Double.init)
        return ChartSeries(
          name: name, x: x, y: x.map { 1 - (0.3 + 0.05 * Double(k)) * sin(Double.pi * $0 / 10) },
          styleIndex: 4 + k)
      },
      width: 760, height: 420, id: "ssim")

    let ranking = WorstCases.rankings(rows, metric: "lpips-alex", direction: .lowerIsBetter)
    let shared = WorstCases.shared(ranking, top: 3)
    let worst = shared.first?.sequence ?? "seq0"
    let columns = [1, 4, 8, 12, 16, 20, 24, 28]
    func framePath(_ row: String, _ t: Int) -> String { "\(dir)/frames/\(row)-\(t).png" }
    for t in columns {
      try writePNG(frame(cx: 10 + 1.6 * Float(t), cy: 32), to: framePath("gt", t))
      try writePNG(frame(cx: 10 + 1.5 * Float(t), cy: 33), to: framePath("lstm", t))
      try writePNG(frame(cx: 12, cy: 32), to: framePath("hold-state", t))
      try writePNG(frame(cx: 10 + 1.9 * Float(t), cy: 32, radius: 7), to: framePath("constant-velocity", t))
    }
    func scores(_ m: String) -> [Double?] {
      columns.map { t in rows.first { $0.method == m && $0.sequence == worst && $0.index == t }?.value }
    }
    let strip = Filmstrip(
      columnLabels: columns.map { "t+\($0)" },
      groundTruth: FilmstripRow(label: "ground truth", frames: columns.map { framePath("gt", $0) }),
      methods: ["lstm", "hold-state", "constant-velocity"].map { m in
        FilmstripRow(label: m, frames: columns.map { framePath(m, $0) }, scores: scores(m))
      },
      scale: 2, scoreName: "LPIPS")
    let composed = try strip.compose()
    try composed.writePNG(to: dir + "/worst-\(worst).png")

    var report = HTMLReport(
      title: "LandmarkLab sample report", subtitle: "synthetic scores; layout check for Reports")
    var curves = HTMLSection("Prediction curves")
    curves.svg(
      lpips.render(),
      caption: "Mean LPIPS per predicted frame; bands are 95% Student-t intervals over sequences.")
    curves.svg(ssim.render(), caption: "SSIM of interpolated frames between the first and last frame.")
    curves.links([(text: "curves.csv", href: "curves.csv"), (text: "per_frame.csv", href: "per_frame.csv")])
    report.add(curves)
    var gallery = HTMLSection("Worst cases")
    gallery.table(
      header: ["sequence", "methods in their top 3", "mean rank"],
      rows: shared.map {
        [$0.sequence, $0.methods.joined(separator: ", "), String(format: "%.2f", $0.meanRank)]
      },
      caption: "Sequences worst for several methods at once (LPIPS over the horizon)")
    gallery.svg(
      composed.svgFigure(href: "worst-\(worst).png", title: "worst sequence \(worst)"),
      caption: "\(worst): ground truth on top, LPIPS under each frame.")
    let table = composed.scoreTable()
    gallery.table(header: table.header, rows: table.rows, caption: "LPIPS per frame of \(worst)")
    report.add(gallery)
    let page = dir + "/index.html"
    try report.write(to: page)
    return page
  }

  /// To look at the page: REPORT_SAMPLE_DIR=/tmp/report-sample scripts/run-tests.sh --filter ReportSample
  /// (kept); without it the page goes to a temporary folder removed after the test.
  func sampleDir() throws -> String {
    if let dir = ProcessInfo.processInfo.environment["REPORT_SAMPLE_DIR"] { return dir }
    return try temporaryFolder("sample")
  }

  func testSamplePageIsWritten() throws {
    let dir = try sampleDir()
    let page = try ReportSampleTests.writeSample(to: dir)
    let html = try String(contentsOfFile: page, encoding: .utf8)
    XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 3, "two charts and one filmstrip")
    let curves = try TidyCSV.parse(
      try String(contentsOfFile: dir + "/curves.csv", encoding: .utf8))
    XCTAssertEqual(curves.first, TidyCSV.curveHeader)
    XCTAssertEqual(curves.count, 1 + 4 * 28)
  }

  /// Renders the page in headless Chromium and checks the pixels: the first chart's blue lines
  /// and the filmstrip's orange discs must be on screen (a broken image shows neither).
  func testSamplePageRendersInChromium() throws {
    let chromium = try requireChromium()
    let dir = try sampleDir()
    let page = try ReportSampleTests.writeSample(to: dir)
    let shot = dir + "/shot.png"
    try? FileManager.default.removeItem(atPath: shot)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: chromium)
    p.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot=\(shot)",
      "--window-size=1400,2000", "file://\(page)",
    ]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    try waitForExit(p, within: 120, "headless chromium screenshot")
    assertExitedCleanly(p, "headless chromium")
    let im = try readPNG(shot)
    func count(_ rgb: (Float, Float, Float), within tol: Float) -> Int {
      var n = 0
      for y in 0..<im.height {
        for x in 0..<im.width
        where abs(im[0, y, x] - rgb.0) < tol && abs(im[1, y, x] - rgb.1) < tol
          && abs(im[2, y, x] - rgb.2) < tol
        {
          n += 1
        }
      }
      return n
    }
    // tab10 blue #1f77b4 (the lstm line) and the discs' orange.
    XCTAssertGreaterThan(count((31 / 255, 119 / 255, 180 / 255), within: 0.04), 300, "chart lines not drawn")
    XCTAssertGreaterThan(count(ReportSampleTests.discColor, within: 0.04), 4000, "filmstrip not drawn")
  }
}
