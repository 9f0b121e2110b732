// `lmlab demo` must-shows on a tiny config (32 px, K 3, a few steps): every stage is a run
// linked to its parent; a second demo reuses every stage; a demo killed with kill -9 in the
// middle and started again ends with the same runs (no duplicates) and the same per-frame
// scores as one that was never interrupted.
import Foundation
import Registry
import XCTest

@testable import Workbench

final class DemoPipelineTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  static let experiments = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Experiments").path

  static let landmarkSets = [
    "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]", "spade_hidden=4",
    "batch_size=2", "synth_sequences=10", "synth_frames=12", "temporal_min_gap=1", "temporal_max_gap=4", "max_steps=6",
    "checkpoint_every=3", "sample_every=3", "probe_every=3", "probe_frames=16", "seed=2",
  ]
  static let dynamicsSets = [
    "n_inputs=2", "n_future=3", "lstm_layers=2", "lstm_hidden=8", "dyn_batch_size=4", "dyn_steps=6", "dyn_checkpoint_every=3",
    "synth_sequences=10",
  ]
  /// The demo's horizon (28) and rollout (200) run past these 12-frame sequences: the rest is unscored.
  static let runsPerDemo = 2 + 5 + 1 + 5

  func request(_ name: String) -> DemoRequest {
    var r = DemoRequest(
      landmarksConfig: Self.experiments + "/landmarks-learn.yaml", dynamicsConfig: Self.experiments + "/dynamics-demo.yaml")
    r.out = "\(dir)/\(name)/out"
    r.landmarkOverrides = Self.landmarkSets + ["save_path=\(dir)/\(name)/runs"]
    r.dynamicsOverrides = Self.dynamicsSets
    r.lpipsWeights = "none"
    return r
  }

  /// Every frame score of a registry as sorted "method sequence frame metric value" lines.
  func scores(_ path: String) throws -> [String] {
    let r = try Registry(path: path)
    return try r.read { c in
      try c.strings(
        """
        SELECT method || ' ' || sequence || ' ' || frame || ' ' || metric || ' ' || printf('%.17g', value)
        FROM frame_scores ORDER BY 1
        """)
    }
  }

  func testSecondDemoReusesEveryStage() throws {
    let registry = try Registry(path: dir + "/a.sqlite")
    let a = try DemoPipeline.run(request("a"), registry: registry, print: { _ in })
    XCTAssertEqual(try registry.listRuns().totalMatching, Self.runsPerDemo)
    XCTAssertTrue(a.stages.allSatisfy { !$0.reused })
    XCTAssertEqual(try registry.run(a.dynamicsRun).parentId, a.landmarksRun)
    for (_, id) in a.predictRuns + a.interpolateRuns.map({ ($0.scheme, $0.run) }) {
      XCTAssertEqual(try registry.run(id).parentId, a.dynamicsRun)
      XCTAssertEqual(try registry.run(id).status, .finished)
    }
    XCTAssertEqual(a.predictRuns.map(\.method), PredictionMethod.allCases.map(\.rawValue))
    let b = try DemoPipeline.run(request("a"), registry: registry, print: { _ in })
    // Every run is reused; the report (not a run) is drawn again from the registry.
    XCTAssertTrue(b.stages.filter { $0.stage != "report" }.allSatisfy(\.reused), "\(b.stages)")
    XCTAssertNotNil(b.reportPath)
    XCTAssertEqual(b.predictRuns.map(\.run), a.predictRuns.map(\.run))
    XCTAssertEqual(try registry.listRuns().totalMatching, Self.runsPerDemo)
    let headline = try DemoHeadline(b, registry: registry).text
    XCTAssertTrue(headline.contains("keypoint accuracy"), headline)
    XCTAssertTrue(headline.contains("200-frame LSTM rollout: 0 non-finite or invalid states"), headline)
  }

  /// `lmlab demo` on the tiny config in registry `name`, killed with SIGKILL `delay` seconds
  /// after its output shows `killAt` (nil: runs to the end). Returns the output.
  @discardableResult
  func demoProcess(_ name: String, killAt: String?, delay: Double = 0) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try lmlabBinary())
    let r = request(name)
    p.arguments =
      ["demo", "--registry", "\(dir)/\(name).sqlite", "--out", r.out, "--lpips-weights", "none"]
      + r.landmarkOverrides.flatMap { ["--set", $0] } + r.dynamicsOverrides.flatMap { ["--dyn-set", $0] }
    var env = ProcessInfo.processInfo.environment
    env["LMLAB_EXPERIMENTS"] = Self.experiments
    p.environment = env
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    try p.run()
    var text = ""
    let fh = pipe.fileHandleForReading
    while true {
      let d = fh.availableData
      if d.isEmpty { break }
      text += String(decoding: d, as: UTF8.self)
      if let k = killAt, text.contains(k) {
        Thread.sleep(forTimeInterval: delay)
        kill(p.processIdentifier, SIGKILL)
        break
      }
    }
    p.waitUntilExit()
    if killAt == nil { XCTAssertEqual(p.terminationStatus, 0, text) }
    return text
  }

  func testDemoKilledMidStageFinishesWithSameNumbers() throws {
    try demoProcess("clean", killAt: nil)
    // Killed inside dynamics training, then inside a prediction stage, then run to the end.
    try demoProcess("killed", killAt: "demo [2/", delay: 0.5)
    try demoProcess("killed", killAt: "demo [5/", delay: 0.2)
    let last = try demoProcess("killed", killAt: nil)
    XCTAssertTrue(last.contains("landmarks") && last.contains("reused"), last)
    let registry = try Registry(path: "\(dir)/killed.sqlite")
    XCTAssertEqual(try registry.listRuns().totalMatching, Self.runsPerDemo, "no duplicate runs")
    XCTAssertEqual(try registry.listRuns(filter: try WhereExpr.parse("status = finished")).totalMatching, Self.runsPerDemo)
    XCTAssertEqual(try registry.integrityCheck(), ["ok"])
    let clean = try scores("\(dir)/clean.sqlite"), killed = try scores("\(dir)/killed.sqlite")
    XCTAssertFalse(clean.isEmpty)
    XCTAssertEqual(clean, killed)
  }

  /// `--minutes N` scales both training stages by N/15, recorded in the runs' configs: the
  /// tiny recipe's 6 + 6 steps become 3 + 3 at 7.5 minutes, 12 + 12 at 30.
  func testMinutesScalesTrainingStepsAndRecordsThem() throws {
    for (minutes, steps) in [(7.5, 3), (30.0, 12)] {
      let registry = try Registry(path: dir + "/m\(Int(minutes)).sqlite")
      var r = request("m\(Int(minutes))")
      r.minutes = minutes
      var lines: [String] = []
      let result = try DemoPipeline.run(r, registry: registry, print: { lines.append($0) })
      XCTAssertTrue(lines.contains { $0.contains("landmarks 6 → \(steps) steps, dynamics 6 → \(steps) steps") }, "\(lines.prefix(3))")
      XCTAssertEqual(try registry.series(runId: result.landmarksRun, name: "loss").last?.step, Int64(steps))
      XCTAssertEqual(try registry.series(runId: result.dynamicsRun, name: "loss").last?.step, Int64(steps))
    }
    var bad = request("bad")
    bad.minutes = 0
    XCTAssertThrowsError(try DemoPipeline.run(bad, registry: try Registry(path: dir + "/bad.sqlite"), print: { _ in })) {
      XCTAssertTrue("\($0)".contains("--minutes must be > 0"), "\($0)")
    }
  }
}
