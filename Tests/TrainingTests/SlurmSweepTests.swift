// Sweeps on Slurm (issue 13): `lmlab sweep --slurm` without sbatch is one line and writes
// nothing; on the one-node cluster of scripts/dev-cluster.sh, a sweep of 8 short trials
// submitted as a 2-task array, with the task holding a trial cancelled (`scancel`: SIGTERM, then
// SIGKILL after KillWait) mid-trial, finishes with every trial exactly once and the cancelled
// trial resumed from its checkpoint with a continuous series.
import Foundation
import Registry
import TestSupport
import XCTest

@testable import Workbench

final class SlurmSweepTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws {
    // Slurm runs the tasks as separate processes that must reach these files: not /tmp of a
    // private namespace, so a folder under the working directory.
    dir = FileManager.default.currentDirectoryPath + "/.build-slurm-tests/\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try SweepTests.tinyConfig.write(toFile: dir + "/tiny.yaml", atomically: true, encoding: .utf8)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  /// Runs `exe` to its end within `seconds` (ProcessSupport's runToEnd).
  func run(_ exe: String, _ args: [String], environment: [String: String]? = nil, within seconds: Double = 120) throws
    -> (Int32, String)
  {
    try runToEnd(exe, args, environment: environment, within: seconds)
  }

  func spec(trials: Int) throws -> String {
    let path = dir + "/eight.sweep.yaml"
    try """
      name: eight
      trainer: landmarks
      base: tiny.yaml
      set:
        save_path: \(dir)/runs
        max_steps: 40
        checkpoint_every: 5
      grid:
        n_landmarks: [3, 4]
      seeds: [\((1...(trials / 2)).map(String.init).joined(separator: ", "))]
      rank: metric.keypoint_acc
      """.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  func testSlurmWithoutSbatchIsOneLineAndWritesNothing() throws {
    let registry = dir + "/none.sqlite"
    let (code, text) = try run(try lmlabBinary(), ["sweep", try spec(trials: 8), "--slurm", "--registry", registry], environment: ["PATH": "/nonexistent"])
    XCTAssertNotEqual(code, 0)
    XCTAssertTrue(text.contains("--slurm: sbatch is not on PATH"), text)
    XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1, text)
    XCTAssertFalse(FileManager.default.fileExists(atPath: registry), "no registry was created")
    // The script it would submit is printed with --dry-run, Slurm or not.
    let (dryCode, script) = try run(try lmlabBinary(), ["sweep", try spec(trials: 8), "--slurm", "--dry-run", "--array-size", "3", "--registry", registry], environment: ["PATH": "/nonexistent"])
    XCTAssertEqual(dryCode, 0, script)
    XCTAssertTrue(script.contains("#SBATCH --array=0-2"), script)
    XCTAssertTrue(script.contains("train worker --sweep eight --registry"), script)
    XCTAssertFalse(FileManager.default.fileExists(atPath: registry))
  }

  /// Slurm's commands and a node that answers, else a skip (a failure under CI=true) saying how
  /// to start the cluster.
  func requireCluster() throws {
    guard let sbatch = SlurmArray.sbatch() else {
      throw componentMissing(
        .slurm, "sbatch not on PATH: `sudo bash scripts/dev-cluster.sh start --only slurm` installs and starts a one-node cluster")
    }
    let sinfo = (sbatch as NSString).deletingLastPathComponent + "/sinfo"
    let (code, text) = try run(sinfo, ["-h", "-o", "%T"], within: 30)
    guard code == 0, text.contains("idle") || text.contains("mix") || text.contains("alloc") else {
      throw componentMissing(
        .slurm,
        "the cluster does not answer (sinfo exit \(code): \(text.trimmingCharacters(in: .whitespacesAndNewlines)));"
          + " `sudo bash scripts/dev-cluster.sh start --only slurm` says why")
    }
  }

  func testSlurmArraySweepWithCancelledTaskFinishesExactlyOnce() throws {
    try requireCluster()
    let sbatchDir = (SlurmArray.sbatch()! as NSString).deletingLastPathComponent
    let registryPath = dir + "/slurm.sqlite"
    let (code, text) = try run(try lmlabBinary(), ["sweep", try spec(trials: 8), "--slurm", "--array-size", "2", "--registry", registryPath])
    XCTAssertEqual(code, 0, text)
    print(text)
    let r = try Registry(path: registryPath)
    let sweep = try r.sweep("eight")
    XCTAssertFalse(sweep.record.schedulerJobs.isEmpty, "the array job is recorded")

    // Wait for a trial past its first checkpoint, then cancel the array task that holds it.
    var cancelled: (run: Int64, task: String)?
    let deadline = Date().addingTimeInterval(300)
    while cancelled == nil && Date() < deadline {
      for trial in try r.runs(experimentId: sweep.id) where trial.status == .running {
        if let task = trial.schedulerJob, try r.series(runId: trial.id, name: "loss").count >= 8 {
          let (c, t) = try run(sbatchDir + "/scancel", [task])
          XCTAssertEqual(c, 0, t)
          cancelled = (trial.id, task)
          break
        }
      }
      Thread.sleep(forTimeInterval: 0.5)
    }
    let victim = try XCTUnwrap(cancelled, "no trial was seen running under Slurm")
    print("scancel \(victim.task) while it trained run \(victim.run)")
    // The other task requeues the cancelled trial and finishes the sweep.
    while Date() < deadline {
      if try SweepStatus.load(sweep, registry: r).isDone { break }
      Thread.sleep(forTimeInterval: 1)
    }
    let status = try SweepStatus.load(sweep, registry: r)
    print(status.text)
    XCTAssertTrue(status.isDone, status.text)
    XCTAssertEqual(status.total, 8)
    XCTAssertEqual(status.count(.finished), 8, status.text)
    XCTAssertEqual(try r.listRuns(limit: 0).totalMatching, 8, "every trial exactly once")
    XCTAssertEqual(try r.integrityCheck(), ["ok"])
    // The scheduler's SIGTERM reached the worker: it checkpointed and marked the trial interrupted.
    let log = try String(contentsOfFile: "\(dir)/sweeps/\(sweep.id)-eight/slurm-\(victim.task).log", encoding: .utf8)
    XCTAssertTrue(log.contains("run \(victim.run) interrupted: stopped by SIGTERM"), log)
    let resumed = try r.run(victim.run)
    XCTAssertGreaterThanOrEqual(resumed.resumes, 1, "the cancelled trial was queued again")
    XCTAssertEqual(try r.series(runId: victim.run, name: "loss").map(\.step), (1...40).map { Int64($0) }, "continuous across the cancel")
    XCTAssertTrue(try r.runs(experimentId: sweep.id).allSatisfy { $0.schedulerJob?.contains("_") ?? false }, "every trial ran in an array task")
  }
}
