// `lmlab demo` must-shows on a tiny config (32 px, K 3, a few steps): every stage is a run
// linked to its parent; a second demo reuses every stage; a demo killed with kill -9 inside
// dynamics training and again inside a frame stage, then started again, ends with the same
// runs (no duplicates) and the same per-frame scores as one that was never interrupted. Each
// kill is checked to have landed where the test says (stage, step, process).
import Foundation
import Registry
import TestSupport
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
  static let pixelSets = [
    "n_inputs=2", "n_future=3", "img_size=32", "synth_frames=12", "pixel_channels=[4,4]", "pixel_kernels=2", "pixel_kernel_size=3", "pixel_batch_size=2",
    "pixel_steps=4", "pixel_checkpoint_every=2", "synth_sequences=10",
  ]
  /// The demo's horizon (28) and rollout (200) run past these 12-frame sequences: the rest is unscored.
  /// Runs: landmarks, dynamics, pixel; 6 predictions; the rollout; 5 interpolations.
  static let runsPerDemo = 3 + 6 + 1 + 5

  func request(_ name: String) -> DemoRequest {
    var r = DemoRequest(
      landmarksConfig: Self.experiments + "/landmarks-learn.yaml", dynamicsConfig: Self.experiments + "/dynamics-demo.yaml",
      pixelConfig: Self.experiments + "/pixel-demo.yaml")
    r.out = "\(dir)/\(name)/out"
    r.landmarkOverrides = Self.landmarkSets + ["save_path=\(dir)/\(name)/runs"]
    r.dynamicsOverrides = Self.dynamicsSets
    r.pixelOverrides = Self.pixelSets
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
    for (method, id) in a.predictRuns + a.interpolateRuns.map({ ($0.scheme, $0.run) }) {
      XCTAssertEqual(try registry.run(id).parentId, method == "pixel" ? a.pixelRun : a.dynamicsRun, method)
      XCTAssertEqual(try registry.run(id).status, .finished)
    }
    XCTAssertEqual(try registry.run(a.pixelRun).kind, PixelTraining.runKind)
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
    // The pixel predictor is scored like every method and its crossings are written out.
    XCTAssertTrue(headline.contains("\n  pixel "), headline)
    XCTAssertTrue(headline.contains("lstm vs pixel on ssim: "), headline)
    XCTAssertTrue(headline.contains("pixel vs copy-last on ssim: "), headline)
  }

  /// Dynamics long enough to be killed in: 200 steps (about 3 ms each here) with a checkpoint
  /// every 10, so a kill after a checkpoint lands with 100+ steps still to go.
  static let killDynamicsSets = dynamicsSets + ["dyn_steps=200", "dyn_checkpoint_every=10"]

  /// Where a kill is aimed: after the (flushed) stage line `stage` appears, wait until `ready`
  /// sees the stage under way (polled every 5 ms), pause `pause` seconds, SIGSTOP the demo (so
  /// what it had done can be read exactly), then SIGKILL it.
  struct KillPoint {
    let stage: String
    let ready: () -> Bool
    let pause: Double
  }

  /// What the demo had done when the kill landed.
  struct Killed {
    var output: String
    /// The last "demo [i/N] label" line printed: the stage the process died in.
    var lastStage: String?
  }

  func demoArguments(_ name: String, dynamics: [String]) throws -> [String] {
    let r = request(name)
    return ["demo", "--registry", "\(dir)/\(name).sqlite", "--out", r.out, "--lpips-weights", "none"]
      + r.landmarkOverrides.flatMap { ["--set", $0] } + dynamics.flatMap { ["--dyn-set", $0] }
      + r.pixelOverrides.flatMap { ["--pixel-set", $0] }
  }

  /// `lmlab demo` on the tiny config in registry `name`, run to its end: it must exit 0.
  @discardableResult
  func demoProcess(_ name: String, dynamics: [String]) throws -> String {
    let (p, reader) = try startDemo(name, dynamics: dynamics)
    let what = "lmlab demo (\(name))"
    let text = try reader.readToEnd(within: 600, what)
    try waitForExit(p, within: 60, what)
    assertExitedCleanly(p, what, output: text)
    return text
  }

  func startDemo(_ name: String, dynamics: [String]) throws -> (Process, LineReader) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try lmlabBinary())
    p.arguments = try demoArguments(name, dynamics: dynamics)
    var env = ProcessInfo.processInfo.environment
    env["LMLAB_EXPERIMENTS"] = Self.experiments
    p.environment = env
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    try p.run()
    return (p, LineReader(pipe))
  }

  /// SIGKILLs a demo stopped by `killedDemo`, reads what it printed, and checks that SIGKILL ended it.
  func finishKill(_ p: Process, _ reader: LineReader, _ what: String) throws -> Killed {
    XCTAssertEqual(Foundation.kill(p.processIdentifier, SIGKILL), 0, "SIGKILL \(what)")
    let text = try reader.readToEnd(within: 60, what)
    try waitForExit(p, within: 60, what)
    assertKilled(p, by: SIGKILL, what)
    return Killed(output: text, lastStage: Self.stageLines(text).last)
  }

  /// The "demo [i/N] label" stage lines of an output, as "demo [i/N] label".
  static func stageLines(_ text: String) -> [String] {
    text.split(separator: "\n").filter { $0.hasPrefix("demo [") }.map { line in
      let l = String(line)
      guard let end = l.range(of: "  elapsed") else { return l }
      return String(l[..<end.lowerBound])
    }
  }

  /// The closing per-stage lines of a finished demo ("  <stage padded to 28><reused or time>"):
  /// stage → "reused" or its time, for the demo's stages only.
  static func stageSummary(_ text: String) -> [String: String] {
    let stages = Set(DemoPipeline.stages().map(\.label))
    var out: [String: String] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("  ") && line.count > 30 {
      let l = String(line.dropFirst(2))
      let stage = String(l.prefix(28)).trimmingCharacters(in: .whitespaces)
      if stages.contains(stage) { out[stage] = String(l.dropFirst(28)).trimmingCharacters(in: .whitespaces) }
    }
    return out
  }

  /// "demo [i/N] label" of stage `label`.
  static func stageLine(_ label: String) -> String {
    let stages = DemoPipeline.stages()
    let i = stages.firstIndex { $0.label == label }!
    return "demo [\(i + 1)/\(stages.count)] \(label)"
  }

  /// Dynamics checkpoints written so far under `runs`: the run folder holding them and the steps.
  static func dynamicsCheckpoints(under runs: String) -> (dir: String, steps: [Int])? {
    let fm = FileManager.default
    for run in (try? fm.contentsOfDirectory(atPath: runs)) ?? [] {
      let files = (try? fm.contentsOfDirectory(atPath: runs + "/" + run)) ?? []
      let steps = files.compactMap { f -> Int? in
        guard f.hasPrefix("dynamics_"), f.hasSuffix(".h5") else { return nil }
        return Int(f.dropFirst("dynamics_".count).dropLast(3))
      }
      if !steps.isEmpty { return (runs + "/" + run, steps.sorted()) }
    }
    return nil
  }

  func testDemoKilledMidStageFinishesWithSameNumbers() throws {
    var moments = KillMoments("demo kill test")
    try demoProcess("clean", dynamics: Self.killDynamicsSets)
    let runs = "\(dir)/killed/runs"
    let frames = request("killed").out + "/frames/rollout-\(DemoPipeline.longRollout)"
    func dynamicsRun(_ r: Registry) throws -> Run {
      try XCTUnwrap(try r.listRuns(limit: 0).runs.first { $0.kind == DynamicsTraining.runKind }, "no dynamics run")
    }

    // Kill 1: inside dynamics training, after its checkpoint at a seeded step k of 200.
    let k = 10 * Int(moments.uniform(1...8.999))
    var onDisk: [Int] = []
    let first = try killedDemo(
      "killed",
      KillPoint(
        stage: Self.stageLine("dynamics"), ready: { (Self.dynamicsCheckpoints(under: runs)?.steps.last ?? 0) >= k },
        pause: moments.uniform(0...0.01)),
      evidence: { onDisk = Self.dynamicsCheckpoints(under: runs)?.steps ?? [] })
    print("kill 1: aimed after dynamics checkpoint \(k); checkpoints on disk when it landed: \(onDisk)")
    XCTAssertEqual(first.lastStage, Self.stageLine("dynamics"), "kill 1 landed in another stage:\n\(first.output)")
    let reached = try XCTUnwrap(onDisk.last, "no dynamics checkpoint at kill 1")
    XCTAssertTrue((k..<200).contains(reached), "kill 1 after checkpoint \(reached), aimed at \(k)…190: not mid-training")
    // The registry records a checkpoint just after its file: the latest row is that one or the one before.
    let resumable = [reached, reached - 10]
    var loggedBeforeKill = 0
    do {
      let r = try Registry(path: "\(dir)/killed.sqlite")  // opening reaps the killed run
      let dyn = try dynamicsRun(r)
      XCTAssertEqual(dyn.status, .interrupted, "the dynamics run after kill 1")
      let latest = try r.detail(dyn.id).checkpoints.map(\.step).max() ?? -1
      XCTAssertTrue(resumable.contains(Int(latest)), "latest registered checkpoint \(latest), files up to \(reached)")
      loggedBeforeKill = try r.series(runId: dyn.id, name: "loss").count
      XCTAssertLessThan(loggedBeforeKill, 200, "kill 1 came before the last step")
      try r.close()
    }

    // Kill 2: inside the 200-frame rollout (a frame stage): its run registered, frames being written.
    // A frame stage writes into a hidden staging folder beside its destination
    // (.rollout-200.partial-PID) and renames it only when complete and scored: count both, or the
    // frames appear only once the stage is all but over and the kill lands in the next one.
    let framesParent = URL(fileURLWithPath: frames).deletingLastPathComponent().path
    let stageFolder = URL(fileURLWithPath: frames).lastPathComponent
    func pngs() -> Int {
      let fm = FileManager.default
      let folders = ((try? fm.contentsOfDirectory(atPath: framesParent)) ?? []).filter {
        $0 == stageFolder || $0.hasPrefix(".\(stageFolder).partial-")
      }
      return folders.reduce(0) { n, f in
        n + ((try? fm.subpathsOfDirectory(atPath: framesParent + "/" + f)) ?? []).filter { $0.hasSuffix(".png") }.count
      }
    }
    var written = 0
    let second = try killedDemo(
      "killed", KillPoint(stage: Self.stageLine("rollout 200"), ready: { pngs() > 0 }, pause: moments.uniform(0...0.02)),
      evidence: { written = pngs() })
    print("kill 2: in the rollout stage with \(written) frames written")
    XCTAssertEqual(second.lastStage, Self.stageLine("rollout 200"), "kill 2 landed in another stage:\n\(second.output)")
    // The second demo continued the dynamics run from the checkpoint kill 1 left.
    let resumedAt = second.output.components(separatedBy: "\n").first { $0.contains(": resumed from ") }
    let step = resumedAt.flatMap { $0.components(separatedBy: " at step ").last.flatMap { Int($0) } }
    XCTAssertTrue(step.map(resumable.contains) ?? false, "dynamics resumed at \(String(describing: resumedAt)), expected step \(resumable)")
    do {
      let r = try Registry(path: "\(dir)/killed.sqlite")
      let unfinished = try r.listRuns(limit: 0).runs.filter { $0.status != .finished }
      XCTAssertEqual(unfinished.map(\.kind), [Prediction.runKind], "kill 2 left the rollout's run unfinished, nothing else")
      try r.close()
    }

    let last = try demoProcess("killed", dynamics: Self.killDynamicsSets)
    let summary = Self.stageSummary(last)
    XCTAssertEqual(summary.count, DemoPipeline.stages().count, "one closing line per stage: \(summary)")
    for stage in ["landmarks", "dynamics", "pixel"] + PredictionMethod.allCases.map({ "predict \($0.rawValue)" }) {
      XCTAssertEqual(summary[stage], "reused", "\(stage) finished before kill 2, so the third demo reuses it")
    }
    XCTAssertNotEqual(summary["rollout 200"], "reused", "the rollout killed mid-stage is redone")
    XCTAssertNotNil(summary["rollout 200"])
    let registry = try Registry(path: "\(dir)/killed.sqlite")
    XCTAssertEqual(try registry.listRuns().totalMatching, Self.runsPerDemo, "no duplicate runs")
    XCTAssertEqual(try registry.listRuns(filter: try WhereExpr.parse("status = finished")).totalMatching, Self.runsPerDemo)
    let dyn = try dynamicsRun(registry)
    XCTAssertEqual(dyn.resumes, 1, "the dynamics run was resumed once")
    // Resume observed in the registry, not only in the output: the step it continued from, and
    // the optimizer steps it took after (the additive points_logged count, not the upserted rows):
    // the steps logged before the kill plus 200 − c. A resume that ignored its checkpoint would
    // record step 0 and log 200 more.
    let c = try XCTUnwrap(dyn.resumedFromStep, "the dynamics run records no resumed_from_step")
    XCTAssertTrue(resumable.contains(Int(c)) && c > 0, "resumed from step \(c), expected one of \(resumable)")
    XCTAssertEqual(
      try registry.summaries(runId: dyn.id).first { $0.name == "loss" }?.pointsLogged, Int64(loggedBeforeKill) + 200 - c,
      "loss points logged: \(loggedBeforeKill) before the kill + \(200 - c) after resuming at \(c)")
    XCTAssertEqual(try registry.series(runId: dyn.id, name: "loss").map(\.step), (1...200).map { Int64($0) }, "one loss per step")
    XCTAssertEqual(try registry.integrityCheck(), ["ok"])
    let clean = try scores("\(dir)/clean.sqlite"), killed = try scores("\(dir)/killed.sqlite")
    XCTAssertFalse(clean.isEmpty)
    XCTAssertEqual(clean, killed)
  }

  /// A demo run up to `point`, stopped, `evidence` read while it is stopped, then SIGKILLed.
  func killedDemo(_ name: String, _ point: KillPoint, evidence: () -> Void) throws -> Killed {
    let (p, reader) = try startDemo(name, dynamics: Self.killDynamicsSets)
    let what = "lmlab demo (\(name), kill at '\(point.stage)')"
    while true {
      guard let line = try reader.nextLine(within: 300, "\(what): waiting for the stage line") else {
        try waitForExit(p, within: 60, what)
        XCTFail("\(what) ended (\(exitDescription(p))) without printing '\(point.stage)': nothing was killed")
        return Killed(output: reader.text, lastStage: Self.stageLines(reader.text).last)
      }
      if line.hasPrefix(point.stage) { break }
    }
    let deadline = Date().addingTimeInterval(300)
    while !point.ready() {
      if !p.isRunning || Date() >= deadline {
        if p.isRunning { Foundation.kill(p.processIdentifier, SIGKILL) }
        let text = try reader.readToEnd(within: 60, what)
        try waitForExit(p, within: 60, what)
        XCTFail("\(what): the stage never got under way before the demo \(p.terminationReason == .exit ? "ended" : "was stopped")")
        return Killed(output: text, lastStage: Self.stageLines(text).last)
      }
      Thread.sleep(forTimeInterval: 0.005)
    }
    Thread.sleep(forTimeInterval: point.pause)
    XCTAssertTrue(p.isRunning, "\(what) exited before the kill")
    XCTAssertEqual(Foundation.kill(p.processIdentifier, SIGSTOP), 0, "SIGSTOP \(what)")
    Thread.sleep(forTimeInterval: 0.05)  // a stop is delivered asynchronously
    evidence()
    return try finishKill(p, reader, what)
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
