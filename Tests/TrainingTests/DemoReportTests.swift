// The demo's report: written as a self-contained folder, rendered in headless Chromium (plots
// and filmstrips drawn, no broken image), refused with one line for bad selections, and never
// half-overwritten.
import Foundation
import Imaging
import Registry
import Reports
import TestSupport
import XCTest

@testable import Workbench

extension DemoPipelineTests {
  func testDemoReportIsCompleteAndRendersInChromium() throws {
    let registry = try Registry(path: dir + "/r.sqlite")
    let result = try DemoPipeline.run(request("r"), registry: registry, print: { _ in })
    let page = try XCTUnwrap(result.reportPath)
    let folder = (page as NSString).deletingLastPathComponent
    let html = try String(contentsOfFile: page, encoding: .utf8)
    for name in ["runs.csv", "keypoint_accuracy.csv", "training_series.csv", "per_frame.csv", "prediction_curves.csv",
      "interpolation_curves.csv", "worst_cases.csv"]
    {
      XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/" + name), name)
      XCTAssertTrue(html.contains("href=\"\(name)\""), "page links \(name)")
    }
    // The notes name the landmark run's decoder, read from its recorded config (landmarks-learn.yaml's).
    XCTAssertTrue(
      html.contains("decodes with: pixel MSE at weight 1.0, perceptual term over effnet-lite0 (weight 0.1), reference-frame skip with"),
      "the decoder note")
    XCTAssertTrue(html.contains("(16 channels per scale), no GAN."), "the decoder note's skip and GAN")
    // Nothing from the network (SVG namespace URIs are names, not loads).
    for load in ["src=\"http", "href=\"http", "url(http", "@import"] { XCTAssertFalse(html.contains(load), "page loads \(load)…") }
    // Every image the page shows is a PNG in the folder that decodes.
    let refs = html.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
      + html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    let pngs = Set(refs.filter { $0.hasSuffix(".png") })
    XCTAssertTrue(pngs.contains { $0.hasPrefix("worst-") }, "a filmstrip: \(pngs)")
    XCTAssertTrue(pngs.contains { $0.hasPrefix("landmarks-") }, "landmarks on test frames: \(pngs)")
    for p in pngs { XCTAssertNoThrow(try readPNG(folder + "/" + p), p) }
    // Per-frame CSV: DESIGN §4 columns, every value of the registry's prediction runs.
    let perFrame = try TidyCSV.parse(String(contentsOfFile: folder + "/per_frame.csv", encoding: .utf8))
    XCTAssertEqual(perFrame.first, TidyCSV.perFrameHeader)
    let scored = try registry.frameScores(runIds: result.predictRuns.map(\.run) + [result.rolloutRun] + result.interpolateRuns.map(\.run))
    XCTAssertEqual(perFrame.count - 1, scored.count)

    let chromium = try requireChromium()
    func screenshot(_ page: String) throws -> RGBImage {
      let shot = dir + "/shot-\(UUID().uuidString).png"
      let p = Process()
      p.executableURL = URL(fileURLWithPath: chromium)
      p.arguments = [
        "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot=\(shot)", "--window-size=1400,16000",
        "file://\(page)",
      ]
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      try p.run()
      try waitForExit(p, within: 120, "headless chromium screenshot of \(page)")
      assertExitedCleanly(p, "headless chromium")
      return try readPNG(shot)
    }
    let im = try screenshot(page)
    // Plots: the LSTM's line colour (tab10 blue, 31,119,180) is drawn.
    var blue = 0
    for y in 0..<im.height {
      for x in 0..<im.width where abs(im[0, y, x] * 255 - 31) < 12 && abs(im[1, y, x] * 255 - 119) < 12 && abs(im[2, y, x] * 255 - 180) < 12 {
        blue += 1
      }
    }
    XCTAssertGreaterThan(blue, 500, "the LSTM's curves are drawn")
    // Filmstrip: the same page with that strip's PNG missing (what a broken image looks like)
    // must look different over at least half the strip's area.
    let stripName = pngs.sorted().first { $0.hasPrefix("worst-") }!
    let strip = try readPNG(folder + "/" + stripName)
    let brokenPage = folder + "/broken-strip.html"
    try html.replacingOccurrences(of: "href=\"\(stripName)\"", with: "href=\"missing.png\"").write(toFile: brokenPage, atomically: true, encoding: .utf8)
    let broken = try screenshot(brokenPage)
    XCTAssertEqual([im.width, im.height], [broken.width, broken.height])
    var differing = 0
    for y in 0..<min(im.height, broken.height) {
      for x in 0..<im.width where abs(im[0, y, x] - broken[0, y, x]) + abs(im[1, y, x] - broken[1, y, x]) + abs(im[2, y, x] - broken[2, y, x]) > 0.1 {
        differing += 1
      }
    }
    XCTAssertGreaterThan(differing, strip.width * strip.height / 2, "the filmstrip \(stripName) is drawn (not a broken image)")
  }

  func testReportRefusesBadInputAndNeverHalfOverwrites() throws {
    let registry = try Registry(path: dir + "/b.sqlite")
    let result = try DemoPipeline.run(request("b"), registry: registry, print: { _ in })
    func message(_ body: () throws -> Void) -> String {
      do { try body() } catch { return "\(error)" }
      return "no error"
    }
    let nothing = message { _ = try ReportInputs.load(.filter("kind = nonexistent"), registry: registry, title: "t") }
    XCTAssertTrue(nothing.contains("matches no run"), nothing)
    XCTAssertFalse(nothing.contains("\n"))
    // A dynamics run alone has neither keypoint accuracy nor per-frame scores.
    let unscored = message { _ = try ReportInputs.load(.runs([result.dynamicsRun]), registry: registry, title: "t") }
    XCTAssertTrue(unscored.contains("nothing to report"), unscored)
    let data = try ReportInputs.load(.runs(result.predictRuns.map(\.run)), registry: registry, title: "t")
    try FileManager.default.createDirectory(atPath: dir + "/ro", withIntermediateDirectories: true)
    chmod(dir + "/ro", 0o555)
    defer { chmod(dir + "/ro", 0o755) }
    if getuid() != 0 {  // root writes anywhere
      let ro = message { try ExperimentReport(data).write(to: dir + "/ro/report") }
      XCTAssertTrue(ro.contains("not writable"), ro)
    }
    let notFolder = message { try ExperimentReport(data).write(to: dir + "/b.sqlite/report") }
    XCTAssertTrue(notFolder.contains("cannot"), notFolder)
    // A report that fails leaves the previous one as it was (and no staging folder behind).
    let out = dir + "/rep"
    try ExperimentReport(data).write(to: out)
    let before = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
    let bad = message { try ExperimentReport(data, worstMetric: "no-such-metric").write(to: out) }
    XCTAssertTrue(bad.contains("no-such-metric"), bad)
    XCTAssertEqual(try String(contentsOfFile: out + "/index.html", encoding: .utf8), before)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("rep.") }, [])
  }
}
