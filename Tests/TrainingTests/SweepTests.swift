// Sweeps (issue 12): specs expand to the trials they say and bad specs are refused before
// anything is queued; a sweep of 12 real trials run by `lmlab sweep --workers 2`, killed with
// SIGKILL (launcher and workers) at seeded random moments three times and started again, ends
// with every trial exactly once, finished, and each trial's series identical to an
// uninterrupted sweep's (so continuous across the restarts). Each kill must hit a running
// launcher and end it; every wait has a deadline.
import Foundation
import Registry
import Reports
import TestSupport
import XCTest

@testable import Workbench

final class SweepTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try Self.tinyConfig.write(toFile: dir + "/tiny.yaml", atomically: true, encoding: .utf8)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  static let maxSteps = 16
  /// A landmark trial of a few seconds: 32 px, K 3, slim widths, a checkpoint every 4 steps.
  static let tinyConfig = """
    img_size: 32
    n_landmarks: 3
    nsf: 2
    ngc: 4
    n_filters: 4
    pose_decoder_channels: [8, 8, 8]
    spade_hidden: 4
    batch_size: 2
    synth_sequences: 8
    synth_frames: 12
    temporal_min_gap: 1
    temporal_max_gap: 4
    max_steps: \(maxSteps)
    checkpoint_every: 4
    sample_every: 100
    probe_every: 8
    probe_frames: 16

    """

  func writeSpec(_ name: String, _ body: String) throws -> String {
    let path = "\(dir)/\(name).sweep.yaml"
    try body.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  // MARK: specs

  func testGridRangesRandomDrawsAndSeedsExpandInOrder() throws {
    let path = try writeSpec(
      "expand",
      """
      trainer: landmarks
      base: tiny.yaml
      grid:
        n_landmarks: {range: [3, 7, 2]}
        learning_rate: {log_range: [1.0e-4, 1.0e-2, 3]}
      random:
        samples: 2
        seed: 5
        keys:
          equivariance_lambda: {uniform: [0.5, 2.0]}
          nsf: {int_uniform: [2, 4]}
      seeds: [1, 2]
      rank: metric.keypoint_acc
      """)
    let spec = try SweepSpec.load(path: path)
    XCTAssertEqual(spec.name, "expand")
    XCTAssertEqual(spec.rankGoal, .max)
    XCTAssertEqual(spec.sweptKeys, ["n_landmarks", "learning_rate", "equivariance_lambda", "nsf"])
    XCTAssertEqual(spec.grid[0].values.map(\.description), ["3", "5", "7"])
    XCTAssertEqual(spec.grid[1].values.map(\.description), ["0.0001", "0.001", "0.01"])
    let a = spec.assignments()
    XCTAssertEqual(a.count, 3 * 3 * 2 * 2)
    XCTAssertEqual(a[0].map(\.key), ["n_landmarks", "learning_rate", "equivariance_lambda", "nsf", "seed"])
    XCTAssertEqual(a[0][0].value.description, "3")
    XCTAssertEqual(a.last![0].value.description, "7")
    XCTAssertEqual(a.map { $0[4].value.description }, Array(repeating: ["1", "2"], count: 18).flatMap { $0 })
    for t in a {
      let e = Double(t[2].value.description)!, n = Int(t[3].value.description)!
      XCTAssertTrue((0.5...2.0).contains(e), "\(e)")
      XCTAssertTrue((2...4).contains(n), "\(n)")
    }
    // Draws come from the spec's seed: the same spec gives the same trials.
    XCTAssertEqual(try SweepSpec.load(path: path).assignments().map { $0.map(\.value) }, a.map { $0.map(\.value) })
    let plan = try spec.plan(registry: nil)
    XCTAssertEqual(plan.trials.count, 36)
    XCTAssertEqual(plan.trials[0].loaded.config.model.nLandmarks, 3)
    XCTAssertEqual(plan.trials[0].loaded.config.trainer.learningRate, 1e-4, accuracy: 1e-12)
    XCTAssertEqual(plan.trials[1].loaded.config.run.seed, 2)
    XCTAssertEqual(plan.trials[0].loaded.config.model.imgSize, 32, "the base config is applied")
  }

  /// `lmlab sweep SPEC` as a process: exit status and output.
  func lmlab(_ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try lmlabBinary())
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let what = "lmlab " + args.prefix(2).joined(separator: " ")
    let text = try LineReader(pipe).readToEnd(within: 300, what)
    try waitForExit(p, within: 30, what)
    if p.terminationReason != .exit { XCTFail("\(what) ended with \(exitDescription(p))\n\(text)") }
    return (p.terminationStatus, text)
  }

  func testBadSpecsAreRefusedBeforeAnythingIsQueued() throws {
    let registryPath = dir + "/bad.sqlite"
    let empty = try Registry(path: registryPath)
    try empty.close()
    let head = "trainer: landmarks\nbase: tiny.yaml\nrank: metric.keypoint_acc\n"
    let cases: [(String, String, [String])] = [
      ("unknown-spec-key", head + "grdi:\n  n_landmarks: [3, 4]\n", ["unknown sweep key 'grdi'", "did you mean 'grid'"]),
      ("unknown-config-key", head + "grid:\n  n_landmark: [3, 4]\n", ["unknown config key 'n_landmark'", "n_landmarks"]),
      ("empty-grid-list", head + "grid:\n  n_landmarks: []\n", ["grid n_landmarks: empty list"]),
      ("empty-grid", head + "grid: {}\n", ["grid is empty"]),
      ("range-low-high", head + "grid:\n  n_landmarks: {range: [40, 10, 10]}\n", ["n_landmarks.range: low 40 > high 10"]),
      // Values are typed when the spec is read: the error names the line of the bad value.
      ("value-out-of-range", head + "grid:\n  n_landmarks: [3, 0]\n", [".yaml:5:", "n_landmarks must be an integer in 1...512, got '0'"]),
      ("removed-key", head + "set:\n  save_freq: 3\n", [".yaml:5:", "config key 'save_freq' was removed; use checkpoint_every"]),
      ("wrong-type", head + "set:\n  use_gan: often\n", [".yaml:5:", "use_gan must be true or false, got 'often'"]),
      ("log-uniform-low", head + "random:\n  samples: 2\n  keys:\n    learning_rate: {log_uniform: [0, 1]}\n", ["log_uniform: low must be > 0"]),
      ("missing-landmark-run", "trainer: dynamics\nlandmarks_run: 99\nrank: min.val_mu_error_px\n", ["no run with id 99"]),
      ("landmark-sweep-missing", "trainer: dynamics\nlandmarks_sweep: nope\nrank: min.val_mu_error_px\n", ["no sweep 'nope'"]),
      ("rank-not-metric", head + "grid:\n  n_landmarks: [3, 4]\nrank2: x\n", ["unknown sweep key 'rank2'"]),
      ("missing-dataset", head + "set:\n  dataset: frames\n  dataset_path: /nonexistent/frames\n", ["/nonexistent/frames"]),
      ("dynamics-key-in-landmarks", head + "landmarks_run: 1\n", ["landmarks_run / landmarks_sweep are for trainer: dynamics"]),
    ]
    for (name, body, expected) in cases {
      let path = try writeSpec(name, body)
      let (code, text) = try lmlab(["sweep", path, "--registry", registryPath, "--workers", "0"])
      XCTAssertNotEqual(code, 0, "\(name): \(text)")
      for e in expected { XCTAssertTrue(text.contains(e), "\(name): expected '\(e)' in: \(text)") }
      XCTAssertTrue(text.contains(path), "\(name): the message names the spec: \(text)")
    }
    let r = try Registry(path: registryPath)
    XCTAssertEqual(try r.listRuns().totalMatching, 0)
    XCTAssertEqual(try r.sweeps().count, 0)
  }

  // MARK: exactly once under SIGKILL

  /// A `lmlab sweep` process with its output collected as it comes.
  final class SweepProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = ""
    var text: String { lock.withLock { collected } }

    init(_ args: [String]) throws {
      process.executableURL = URL(fileURLWithPath: try lmlabBinary())
      process.arguments = args
      let pipe = Pipe()
      process.standardOutput = pipe
      process.standardError = pipe
      pipe.fileHandleForReading.readabilityHandler = { [weak self] h in
        let d = h.availableData
        guard let self, !d.isEmpty else { return }
        self.lock.withLock { self.collected += String(decoding: d, as: UTF8.self) }
      }
      try process.run()
    }

    /// Worker pids from "started worker N (pid P, ...".
    var workerPids: [Int32] {
      text.components(separatedBy: "(pid ").dropFirst().compactMap { Int32($0.prefix { $0.isNumber }) }
    }
  }

  func sweepSpec(_ name: String) throws -> String {
    try writeSpec(
      name,
      """
      name: twelve
      trainer: landmarks
      base: tiny.yaml
      set:
        save_path: \(dir)/\(name)-runs
      grid:
        n_landmarks: [3, 4]
        learning_rate: [0.001, 0.0005]
      seeds: [1, 2, 3]
      rank: metric.keypoint_acc
      """)
  }

  func testSweepKilledThreeTimesEndsWithEveryTrialExactlyOnce() throws {
    var moments = KillMoments("sweep kill test")
    // The reference: the same 12 trials never interrupted.
    let started = Date()
    let clean = try SweepProcess(["sweep", try sweepSpec("clean"), "--registry", dir + "/clean.sqlite", "--workers", "2"])
    try waitForExit(clean.process, within: 600, "clean sweep")
    assertExitedCleanly(clean.process, "clean sweep", output: clean.text)
    print("clean sweep: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

    let killedPath = dir + "/killed.sqlite"
    let spec = try sweepSpec("killed")
    var killedTrials = Set<Int64>()
    for round in 1...3 {
      let p = try SweepProcess(["sweep", spec, "--registry", killedPath, "--workers", "2"])
      // Kill while trials run: wait for one to be running (a resumed sweep has less left to do
      // each round, so a fixed delay can outlast it), then a seeded moment into it.
      let deadline = Date().addingTimeInterval(120)
      func anyRunning() -> Bool {
        (try? Registry(path: killedPath).listRuns(filter: try WhereExpr.parse("status = running"), limit: 0).runs.isEmpty == false) ?? false
      }
      while p.process.isRunning && !anyRunning() && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
      let delay = moments.uniform(0.2...1.5)
      Thread.sleep(forTimeInterval: delay)
      // Whatever runs now dies without a chance to checkpoint: the launcher and its workers.
      let running = try Registry(path: killedPath).listRuns(filter: try WhereExpr.parse("status = running"), limit: 0).runs
      killedTrials.formUnion(running.map(\.id))
      XCTAssertTrue(p.process.isRunning, "round \(round): the sweep ended before the kill at \(delay) s:\n\(p.text)")
      let trialPids = running.compactMap { $0.pid.map { Int32($0) } }
      let pids = Array(Set([p.process.processIdentifier] + p.workerPids + trialPids))
      var missed: [Int32] = []
      for pid in pids where kill(pid, SIGKILL) != 0 { missed.append(pid) }
      XCTAssertFalse(missed.contains(p.process.processIdentifier), "round \(round): the launcher was gone before the kill")
      XCTAssertTrue(Set(trialPids).isDisjoint(with: missed), "round \(round): a trial's process \(missed) was gone before the kill")
      try waitForExit(p.process, within: 60, "round \(round) launcher")
      assertKilled(p.process, by: SIGKILL, "round \(round) launcher")
      // Workers are the launcher's children: once it is dead they are reaped by init (zombies count as gone).
      try waitUntilGone(pids, within: 60, "round \(round): killed launcher and workers")
      let r = try Registry(path: killedPath)
      let steps = try running.map { "\($0.id)@\(try r.series(runId: $0.id, name: "loss").count)" }
      print(
        "round \(round): killed after \(String(format: "%.2f", delay)) s: launcher \(p.process.processIdentifier), workers \(p.workerPids),"
          + " trials running then (id@losses logged): \(steps)")
    }
    let last = try SweepProcess(["sweep", spec, "--registry", killedPath, "--workers", "2"])
    try waitForExit(last.process, within: 600, "last sweep")
    assertExitedCleanly(last.process, "last sweep", output: last.text)
    print(last.text.split(separator: "\n").suffix(16).joined(separator: "\n"))

    let r = try Registry(path: killedPath)
    XCTAssertEqual(try r.integrityCheck(), ["ok"])
    let sweep = try r.sweep("twelve")
    let runs = try r.runs(experimentId: sweep.id)
    XCTAssertEqual(runs.count, 12, "every trial exactly once")
    XCTAssertEqual(try r.listRuns(limit: 0).totalMatching, 12, "no run outside the sweep")
    XCTAssertEqual(Set(runs.map(\.name)).count, 12)
    XCTAssertTrue(runs.allSatisfy { $0.status == .finished }, "\(runs.map { ($0.id, $0.status) })")
    XCTAssertFalse(killedTrials.isEmpty, "the kills hit running trials")
    XCTAssertGreaterThan(runs.map(\.resumes).reduce(0, +), 0, "interrupted trials were resumed")

    // The sweep's report leads with one row per arm: mean ± std over the 3 seeds.
    let data = try ReportInputs.load(.sweep("twelve"), registry: r, title: "twelve")
    let summary = try XCTUnwrap(data.sweep)
    XCTAssertEqual(summary.sweptKeys, ["n_landmarks", "learning_rate"])
    XCTAssertEqual(summary.trials.count, 12)
    let page = try ExperimentReport(data).write(to: dir + "/report")
    let html = try String(contentsOfFile: page, encoding: .utf8)
    XCTAssertTrue(html.contains("n_landmarks=4, learning_rate=0.0005"), "an arm row")
    XCTAssertTrue(html.contains("3/3"), "arms count their finished trials")
    let anyRun = try XCTUnwrap(runs.first { $0.name.contains("n_landmarks=4,learning_rate=0.0005,") })
    XCTAssertTrue(
      html.contains("run \(anyRun.id): learning_rate=0.0005, n_landmarks=4, seed"), "a curve's legend names its arm and seed")
    let rows = try String(contentsOfFile: dir + "/report/sweep_summary.csv", encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(rows.count, 1 + 4)
    // The CSV's mean is the mean of the arm's trials.
    let arm = runs.filter { $0.name.contains("n_landmarks=3,learning_rate=0.001,") }.map(\.id)
    let acc = try arm.map { try XCTUnwrap(r.series(runId: $0, name: "keypoint_acc").last?.value) }
    let row = try XCTUnwrap(rows.first { $0.hasPrefix("\"n_landmarks=3, learning_rate=0.001\"") })
    let fields = row.split(separator: ",").map(String.init)
    XCTAssertEqual(Double(fields[fields.count - 4])!, acc.reduce(0, +) / 3, accuracy: 1e-9, "\(row)")

    let c = try Registry(path: dir + "/clean.sqlite")
    let cleanRuns = Dictionary(uniqueKeysWithValues: try c.runs(experimentId: try c.sweep("twelve").id).map { ($0.name, $0) })
    XCTAssertEqual(cleanRuns.count, 12)
    for run in runs {
      let loss = try r.series(runId: run.id, name: "loss")
      XCTAssertEqual(loss.map(\.step), (1...Int64(Self.maxSteps)).map { $0 }, "run \(run.id): one loss point per step")
      guard let twin = cleanRuns[run.name] else { return XCTFail("no clean twin of \(run.name)") }
      for name in ["loss", "keypoint_acc"] {
        XCTAssertEqual(
          try r.series(runId: run.id, name: name).map(\.value), try c.series(runId: twin.id, name: name).map(\.value),
          "run \(run.id) (\(run.name), resumed \(run.resumes)×): \(name) differs from the uninterrupted trial")
      }
    }
  }
}
