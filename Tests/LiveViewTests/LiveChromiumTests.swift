// The live view in a real browser: `lmlab ui` (the built binary) on a free loopback port over a
// fresh SQLite registry, a short `lmlab train landmarks` started beside it, and headless
// Chromium driven over the DevTools protocol. On ONE load of the runs page the run appears; on
// ONE load of its page the loss chart's point count grows and the status badge turns finished —
// no reload (a mark set on the window at load is still there at the end).
import Foundation
import Registry
import TestSupport
import XCTest

final class LiveChromiumTests: XCTestCase {
  /// About 10 s of training here (100 steps/s on a quiet machine): several polls of the chart while it runs.
  static let steps = 800

  /// The tiny landmarks config the pipeline tests use (TinyRuns), with enough steps to be
  /// watched for several seconds.
  static func trainSets(steps: Int) -> [String] {
    [
      "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]", "spade_hidden=4",
      "batch_size=2", "use_vgg=false", "mse_lambda=1", "synth_sequences=10", "synth_frames=12", "temporal_min_gap=1",
      "temporal_max_gap=4", "max_steps=\(steps)", "checkpoint_every=\(steps)", "sample_every=\(steps)", "probe_every=0",
      "probe_frames=16", "seed=2",
    ]
  }

  func testRunAppearsChartGrowsStatusTurnsFinished() throws {
    let chromiumPath = try requireChromium()
    let dir = try temporaryFolder(self)
    let registry = dir + "/reg.sqlite"
    try Registry(path: registry).close()
    let ui = try UIServer(registry: registry, cwd: dir)
    let page = try DevToolsPage(chromiumPath: chromiumPath, profile: dir + "/chromium-profile")

    // The runs page, loaded once, before any run exists.
    try page.navigate(ui.base + "/runs")
    try page.waitFor("!!document.getElementById('runs-body')", within: 30, "the runs page loads")
    XCTAssertEqual(try page.evaluate("document.querySelectorAll('#runs-body tr').length"), "0")
    _ = try page.evaluate("window.__loadMark = 'runs'")

    let train = Process()
    train.executableURL = URL(fileURLWithPath: try builtLMLab())
    train.arguments =
      ["train", "landmarks", "--registry", registry, "--name", "watched"] + Self.trainSets(steps: Self.steps).flatMap { ["--set", $0] }
    train.currentDirectoryURL = URL(fileURLWithPath: dir)
    // Output to a file: a pipe nobody reads could fill and stall the run.
    let logPath = dir + "/train.log"
    FileManager.default.createFile(atPath: logPath, contents: nil)
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    train.standardOutput = log
    train.standardError = log
    try train.run()
    defer { if train.isRunning { train.terminate() } }

    try page.waitFor("!!document.querySelector('#runs-body tr[data-run=\"1\"]')", within: 60, "run 1 appears on the runs page")
    XCTAssertEqual(try page.evaluate("window.__loadMark"), "runs", "the runs page was not reloaded")
    XCTAssertTrue(try page.evaluate("document.querySelector('#runs-body tr[data-run=\"1\"]').textContent").contains("watched"))

    // The run's page, loaded once while the run trains.
    try page.navigate(ui.base + "/runs/1")
    try page.waitFor("!!document.getElementById('run-status')", within: 30, "the run page loads")
    _ = try page.evaluate("window.__loadMark = 'run'")
    let count = "(function(){var f=document.querySelector('figure.chart[data-series=\"loss\"]');return f?+f.getAttribute('data-points'):0;})()"
    let status = "document.getElementById('run-status').getAttribute('data-status')"
    var counts: [Int] = []
    var statuses: [String] = []
    let deadline = Date().addingTimeInterval(240)
    while Date() < deadline {
      counts.append(Int(try page.evaluate(count)) ?? -1)
      statuses.append(try page.evaluate(status))
      if statuses.last == "finished" && counts.count > 1 { break }
      Thread.sleep(forTimeInterval: 0.5)
    }
    let grew = zip(counts, counts.dropFirst()).contains { $0 > 0 && $1 > $0 }
    print("loss chart point counts seen on one load of /runs/1 (every 0.5 s): \(counts)")
    XCTAssertTrue(grew, "the loss chart gains points on one page load: \(counts)")
    XCTAssertTrue(statuses.contains("running"), "seen running first: \(statuses)")
    XCTAssertEqual(statuses.last, "finished", "the badge turns finished: \(statuses)")
    XCTAssertEqual(try page.evaluate("window.__loadMark"), "run", "the run page was not reloaded")
    XCTAssertEqual(Int(try page.evaluate(count)), Self.steps, "every step's loss is drawn at the end (\(counts.last ?? -1))")

    // Hover: the mouse over the middle of the loss plot shows the nearest point's step and value.
    let rect = try page.evaluate(
      "(function(){var f=document.querySelector('figure.chart[data-series=\"loss\"]');f.scrollIntoView();"
        + "var p=f.getAttribute('data-plot').split(' ').map(Number);var r=f.querySelector('svg').getBoundingClientRect();"
        + "return (r.left+p[0]+p[2]/2)+','+(r.top+p[1]+p[3]/2);})()")
    let xy = rect.split(separator: ",").compactMap { Double($0) }
    XCTAssertEqual(xy.count, 2, rect)
    try page.moveMouse(x: xy[0], y: xy[1])
    let hover = try page.evaluate("(function(){var h=document.querySelector('figure.chart[data-series=\"loss\"] .hover');return h.style.display+'|'+h.textContent;})()")
    XCTAssertTrue(hover.hasPrefix("block|loss: step "), hover)
    if let step = Int(hover.split(separator: " ").dropFirst(2).first?.trimmingCharacters(in: CharacterSet(charactersIn: ",")) ?? "") {
      XCTAssertTrue((Self.steps / 4...3 * Self.steps / 4).contains(step), "the hovered step is mid-curve: \(hover)")
    } else {
      XCTFail("no step in the hover text: \(hover)")
    }

    try waitForExit(train, within: 120, "lmlab train landmarks")
    let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    assertExitedCleanly(train, "lmlab train landmarks", output: text)
    try ui.stop()
  }
}
