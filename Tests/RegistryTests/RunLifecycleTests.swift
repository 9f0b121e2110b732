// Runs in one process: params, series summaries, leases, requeue, heartbeat timeouts, delete.
import Foundation
import XCTest

@testable import Registry

final class RunLifecycleTests: XCTestCase {
  func testRunRecordsParamsAndSummaries() throws {
    try forEachBackend { backend in
      let r = try seededRegistry(freshLocation(backend, "r"))
      let run = try r.run(1)
      XCTAssertEqual(run.status, .finished)
      XCTAssertEqual(run.configHash, SHA256.hex(of: Data("{\"n_landmarks\":10}".utf8)))
      let params = try r.params(runId: 1)
      XCTAssertEqual(params.first { $0.key == "n_landmarks" }?.number, 10)
      XCTAssertEqual(params.first { $0.key == "use_gan" }?.text, "true")
      let sums = try r.summaries(runId: 2)
      let loss = try XCTUnwrap(sums.first { $0.name == "loss" })
      XCTAssertEqual(loss.goal, .min)
      XCTAssertEqual(loss.pointsLogged, 10)
      XCTAssertEqual(loss.lastStep, 9)
      XCTAssertEqual(loss.lastValue, 2, accuracy: 1e-12)
      XCTAssertEqual(loss.bestValue, 2, accuracy: 1e-12)
      XCTAssertEqual(loss.maxValue, 11, accuracy: 1e-12)
      let acc = try XCTUnwrap(sums.first { $0.name == "keypoint_acc" })
      XCTAssertEqual(acc.goal, .max)
      XCTAssertEqual(try r.series(runId: 2, name: "loss").count, 10)
    }
  }

  /// A param a run learns as it starts (training's `train_split`) is recorded, and replaced
  /// when set again, on every backend.
  func testSetParamRecordsAndReplaces() throws {
    try forEachBackend { backend in
      let r = try Registry(path: freshLocation(backend, "p"))
      let h = try r.startRun(RunSpec(name: "a", kind: "train-landmarks", params: [.int("n_landmarks", 10)]))
      try h.setParam(.string("train_split", "all"))
      try h.setParam(.string("train_split", "train"))
      let params = try r.params(runId: h.runId)
      XCTAssertEqual(params.filter { $0.key == "train_split" }.map(\.text), ["train"])
      XCTAssertEqual(params.first { $0.key == "n_landmarks" }?.number, 10)
      try h.finish(.finished)
    }
  }

  func testSummariesAcrossBatchesAndRelogging() throws {
    try forEachBackend { backend in
      let r = try Registry(path: freshLocation(backend, "r"))
      let h = try r.startRun(RunSpec(name: "b", kind: "train"))
      h.batchSize = 3
      for s in 0..<10 { try h.log("psnr", step: Int64(s), value: Double(s % 4)) }
      try h.log("psnr", step: 9, value: 7)  // re-logged step replaces the value
      try h.finish()
      let s = try XCTUnwrap(try r.summaries(runId: h.runId).first)
      XCTAssertEqual(s.goal, .max)
      XCTAssertEqual(s.lastStep, 9)
      XCTAssertEqual(s.lastValue, 7, accuracy: 0)
      XCTAssertEqual(s.bestValue, 7, accuracy: 0)
      XCTAssertEqual(s.minValue, 0, accuracy: 0)
      XCTAssertEqual(try r.series(runId: h.runId, name: "psnr").count, 10)
    }
  }

  func testClaimGivesEachQueuedRunToExactlyOneWorker() throws {
    try forEachBackend { backend in
      let path = freshLocation(backend, "q")
      let a = try Registry(path: path)
      let b = try Registry(path: path)
      for i in 0..<6 { try a.createRun(RunSpec(name: "q\(i)", kind: "trial")) }
      var claimed: [Int64] = []
      while true {
        let ha = try a.claimNextQueued()
        let hb = try b.claimNextQueued()
        if ha == nil && hb == nil { break }
        for h in [ha, hb].compactMap({ $0 }) {
          claimed.append(h.runId)
          try h.finish()
        }
      }
      XCTAssertEqual(claimed.sorted(), [1, 2, 3, 4, 5, 6])
      XCTAssertEqual(try a.listRuns(filter: WhereExpr.parse("status=finished")).totalMatching, 6)
    }
  }

  func testClaimingOneRunTakesThatRunOnlyAndOnce() throws {
    try forEachBackend { backend in
      let path = freshLocation(backend, "one")
      let a = try Registry(path: path)
      let b = try Registry(path: path)
      for i in 0..<3 { try a.createRun(RunSpec(name: "q\(i)", kind: "trial")) }
      let h = try XCTUnwrap(try a.claimQueued(3))
      XCTAssertEqual(h.runId, 3)
      XCTAssertNil(try b.claimQueued(3), "a run is claimed at most once")
      XCTAssertEqual(try b.claimNextQueued()?.runId, 1, "the older queued runs stay queued")
    }
  }

  func testStaleHeartbeatIsInterruptedAndFreshOneIsNot() throws {
    try forEachBackend { backend in
      var o = RegistryOptions()
      o.heartbeatTimeout = 30
      let r = try Registry(path: freshLocation(backend, "h"), options: o)
      let live = try r.startRun(RunSpec(name: "live", kind: "train"))
      let stale = try r.startRun(RunSpec(name: "stale", kind: "train"))
      try r.write { c in try c.execute("UPDATE runs SET heartbeat_at = heartbeat_at - 31 WHERE id = ?", stale.runId) }
      XCTAssertEqual(try r.reapInterrupted(), [stale.runId])
      XCTAssertEqual(try r.run(live.runId).status, .running)
      let s = try r.run(stale.runId)
      XCTAssertEqual(s.status, .interrupted)
      XCTAssertTrue(s.error?.contains("no heartbeat") == true)
      // The stale process cannot finish a run it no longer holds.
      XCTAssertThrowsError(try stale.finish()) { XCTAssertTrue("\($0)".contains("lease lost")) }
      try live.finish()
    }
  }

  func testResumeRequeuesFromLatestCheckpoint() throws {
    try forEachBackend { backend in
      let dir = temporaryDirectory()
      let r = try Registry(path: freshLocation(backend, "r"))
      let h = try r.startRun(RunSpec(name: "t", kind: "train"))
      for step in [100, 200] {
        let ckpt = dir + "/ckpt-\(step).h5"
        _ = FileManager.default.createFile(atPath: ckpt, contents: Data("weights \(step)".utf8))
        let c = try h.addCheckpoint(step: Int64(step), path: ckpt)
        XCTAssertEqual(c.sha256, SHA256.hex(of: Data("weights \(step)".utf8)))
      }
      try h.finish(.failed, error: "NaN loss")
      let q = try r.requeue(h.runId)
      XCTAssertEqual(q.status, .queued)
      XCTAssertEqual(q.resumeFrom, dir + "/ckpt-200.h5")
      XCTAssertThrowsError(try r.requeue(999)) { XCTAssertEqual("\($0)", "no run with id 999 in the registry") }
      let claimed = try XCTUnwrap(try r.claimNextQueued())
      XCTAssertEqual(claimed.runId, h.runId)
      XCTAssertThrowsError(try r.requeue(h.runId)) { XCTAssertTrue("\($0)".contains("is running")) }
      try claimed.finish()
    }
  }

  /// A run killed after 300 s (last heartbeat), noticed 1000 s later, resumed and finished
  /// after 40 s more: TIME is 340 s in total and 40 s for this attempt, not 40 s or 1340 s.
  func testResumedRunTimeIsTheSumOfItsAttempts() throws {
    try forEachBackend { backend in
      let r = try Registry(path: freshLocation(backend, "t"))
      let h = try r.startRun(RunSpec(name: "t", kind: "train"))
      let t0 = try XCTUnwrap(try r.run(h.runId).startedAt)
      try r.write { c in
        try c.execute(
          "UPDATE runs SET status = 'interrupted', heartbeat_at = ?, ended_at = ?, worker = NULL WHERE id = ?",
          t0 + 300, t0 + 1300, h.runId)
      }
      let interrupted = try r.run(h.runId)
      XCTAssertEqual(try XCTUnwrap(interrupted.totalSeconds(now: 0)), 300, accuracy: 1e-6, "to the last heartbeat")
      XCTAssertEqual(try r.requeue(h.runId).earlierSeconds, 300, accuracy: 1e-6)
      let again = try XCTUnwrap(try r.claimQueued(h.runId))
      try again.finish()
      try r.write { c in
        try c.execute("UPDATE runs SET ended_at = started_at + 40, heartbeat_at = started_at + 40 WHERE id = ?", h.runId)
      }
      let run = try r.run(h.runId)
      XCTAssertEqual(run.resumes, 1)
      XCTAssertEqual(try XCTUnwrap(run.totalSeconds(now: 0)), 340, accuracy: 1e-6)
      XCTAssertEqual(try XCTUnwrap(run.attemptSeconds(now: 0)), 40, accuracy: 1e-6)
      let listing = RunFormat.listing(try r.listRuns())
      XCTAssertTrue(listing.split(separator: "\n")[1].hasSuffix("5m40s"), listing)
      let detail = RunFormat.detail(try r.detail(h.runId))
      XCTAssertTrue(detail.contains("time 5m40s over all attempts (this attempt 40s, resumed 1×)"), detail)
    }
  }

  func testDeleteRemovesRowsAndFilesButRefusesRunningRuns() throws {
    try forEachBackend { backend in
      let dir = temporaryDirectory()
      let r = try Registry(path: freshLocation(backend, "r"))
      let parent = try r.startRun(RunSpec(name: "p", kind: "train"))
      try parent.finish()
      let h = try r.startRun(RunSpec(name: "c", kind: "eval", parentId: parent.runId, params: [.int("k", 3)]))
      let file = dir + "/report.html"
      _ = FileManager.default.createFile(atPath: file, contents: Data("<html>".utf8))
      try h.addArtifact(kind: "report", path: file)
      try h.addFrameScores([
        FrameScore(runId: h.runId, method: "ours", sequence: "s1", frame: 0, metric: "ssim", value: 0.9)
      ])
      try h.log("loss", step: 0, value: 1)
      XCTAssertThrowsError(try r.deleteRun(h.runId)) { XCTAssertTrue("\($0)".contains("is running")) }
      try h.finish()
      let plan = try r.planDeletion(h.runId)
      XCTAssertEqual(plan.files, [file])
      XCTAssertEqual(plan.seriesPoints, 1)
      XCTAssertEqual(plan.frameScores, 1)
      XCTAssertEqual(try r.deleteRun(h.runId), [file])
      XCTAssertFalse(FileManager.default.fileExists(atPath: file))
      XCTAssertThrowsError(try r.run(h.runId))
      let leftovers = try r.read { c in
        try c.int(
            "SELECT (SELECT COUNT(*) FROM params) + (SELECT COUNT(*) FROM series_points) + (SELECT COUNT(*) FROM frame_scores) + (SELECT COUNT(*) FROM artifacts)"
        )
      }
      XCTAssertEqual(leftovers, 0)
      XCTAssertEqual(try r.run(parent.runId).status, .finished)
    }
  }
}
