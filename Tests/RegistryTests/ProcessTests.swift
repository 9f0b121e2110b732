// Real processes: concurrent writers, kill -9 detection, and queue claims across processes.
// Every wait on a child has a deadline and every child's exit status is checked: a killed
// holder must have died of that SIGKILL (not exited on its own before it).
import Foundation
import TestSupport
import XCTest

@testable import Registry

#if canImport(Glibc)
  import Glibc
#endif

final class ProcessTests: XCTestCase {
  /// Processes (8 on PostgreSQL, 4 on SQLite) each log 2,500 points in batches of 25 into their
  /// own run while they drain a queue of 50 trials: no point is lost, every trial is claimed
  /// and finished exactly once.
  func testConcurrentLoggersAndClaimersLoseNothingAndClaimOnce() throws {
    try forEachBackend { backend in
      let processes = backend == .postgres ? 8 : 4
      let path = freshLocation(backend, "concurrent")
      let r = try Registry(path: path)
      let trials = try r.createRuns((0..<50).map { RunSpec(name: "trial\($0)", kind: "trial") })
      let workers = try (0..<processes).map { i in try spawnStress(["work", path, "worker\(i)", "2500", "25"]) }
      var claimed: [Int64] = []
      for (i, (p, out)) in workers.enumerated() {
        let text = try LineReader(out).readToEnd(within: 600, "registry-stress worker \(i)")
        try waitForExit(p, within: 60, "registry-stress worker \(i)")
        assertExitedCleanly(p, "registry-stress worker \(i)", output: text)
        claimed += text.split(separator: "\n").compactMap { Int64($0.replacingOccurrences(of: "claimed ", with: "")) }
      }
      XCTAssertEqual(try r.integrityCheck(), ["ok"])
      XCTAssertEqual(claimed.count, 50, "claims printed")
      XCTAssertEqual(claimed.sorted(), trials.map(\.id), "every trial claimed once")
      let (points, perRun, finishedTrials, claimPoints) = try r.read { c in
        (
          try c.int("SELECT COUNT(*) FROM series_points WHERE name = 'loss'"),
          try c.ints("SELECT points_logged FROM series_summaries WHERE name = 'loss' ORDER BY run_id", []),
          try c.int("SELECT COUNT(*) FROM runs WHERE kind = 'trial' AND status = 'finished'"),
          try c.int("SELECT COUNT(*) FROM series_points WHERE name = 'claimed_by_pid'")
        )
      }
      XCTAssertEqual(points, Int64(processes * 2500))
      XCTAssertEqual(perRun, Array(repeating: 2500, count: processes))
      XCTAssertEqual(finishedTrials, 50)
      XCTAssertEqual(claimPoints, 50)
      print("[\(backend.rawValue)] \(processes) processes: \(points ?? 0) points, \(claimed.count) trials claimed once each")
    }
  }

  /// kill -9 of a process holding a running run: the next open of the registry marks it
  /// interrupted (same host: its pid is gone).
  func testKilledProcessIsFoundInterruptedOnNextOpen() throws {
    try forEachBackend { backend in
      let path = freshLocation(backend, "kill")
      let (p, out) = try spawnStress(["hold", path, "victim"], env: ["LMLAB_HEARTBEAT_INTERVAL": "0.2"])
      let line = try readLine(out)
      let id = try XCTUnwrap(Int64(line.replacingOccurrences(of: "run ", with: "")), line)
      var opts = RegistryOptions()
      opts.reapOnOpen = false
      // The kill lands on a process that holds a running run (checked just before).
      XCTAssertEqual(try Registry(path: path, options: opts).run(id).status, .running)
      XCTAssertTrue(p.isRunning, "the holder exited before the kill")
      XCTAssertEqual(kill(p.processIdentifier, SIGKILL), 0, "kill -9 of the holder (pid \(p.processIdentifier))")
      // Not reaped yet: a zombie counts as gone too.
      Thread.sleep(forTimeInterval: 0.1)
      let r = try Registry(path: path)
      try waitForExit(p, within: 30, "killed registry-stress hold")
      assertKilled(p, by: SIGKILL, "registry-stress hold")
      XCTAssertEqual(r.reapedOnOpen, [id])
      let run = try r.run(id)
      XCTAssertEqual(run.status, .interrupted)
      XCTAssertTrue(run.error?.contains("process \(p.processIdentifier)") == true, run.error ?? "")
      XCTAssertEqual(try r.integrityCheck(), ["ok"])
    }
  }

  /// Without the pid check (another host), only the heartbeat tells: a live process keeps
  /// its run beyond the timeout, a killed one is marked within the timeout.
  func testKilledProcessIsInterruptedWithinHeartbeatTimeout() throws {
    try forEachBackend { backend in
      let path = freshLocation(backend, "kill2")
      let (p, out) = try spawnStress(["hold", path, "victim"], env: ["LMLAB_HEARTBEAT_INTERVAL": "0.2"])
      let id = try XCTUnwrap(Int64(try readLine(out).replacingOccurrences(of: "run ", with: "")))
      var opts = RegistryOptions()
      opts.checkLocalProcesses = false
      opts.heartbeatTimeout = 2.0
      let r = try Registry(path: path, options: opts)
      Thread.sleep(forTimeInterval: 2.5)  // longer than the timeout: the heartbeat keeps it alive
      XCTAssertEqual(try r.reapInterrupted(), [])
      XCTAssertEqual(try r.run(id).status, .running)
      XCTAssertTrue(p.isRunning, "the holder exited before the kill")
      XCTAssertEqual(kill(p.processIdentifier, SIGKILL), 0, "kill -9 of the holder (pid \(p.processIdentifier))")
      try waitForExit(p, within: 30, "killed registry-stress hold")
      assertKilled(p, by: SIGKILL, "registry-stress hold")
      let killedAt = Date()
      while try r.run(id).status == .running {
        try r.reapInterrupted()
        if Date().timeIntervalSince(killedAt) > 5 { return XCTFail("not marked interrupted within 5 s") }
        Thread.sleep(forTimeInterval: 0.05)
      }
      let waited = Date().timeIntervalSince(killedAt)
      XCTAssertLessThanOrEqual(waited, opts.heartbeatTimeout + 0.5)
      XCTAssertEqual(try r.run(id).status, .interrupted)
      XCTAssertTrue(try r.run(id).error?.contains("no heartbeat") == true)
    }
  }

  /// Eight processes each open and close the registry 40 times (a look-only open, then a
  /// listing and a run started and finished through one handle): every run gets its own id and keeps its own points, and the file
  /// stays sound. A closing process empties the WAL while others are connected; a look-only
  /// open that then removed the "empty" -wal/-shm files split the processes onto different
  /// shared-memory files, so two of them wrote run 2 at once and corrupted the file.
  func testShortLivedProcessesOpeningAndClosingKeepIdsUniqueAndTheFileSound() throws {
    try forEachBackend { backend in
      let path = freshLocation(backend, "churn")
      try Registry(path: path).close()
      let n = 40, processes = 8
      let workers = try (0..<processes).map { i in try spawnStress(["churn", path, "p\(i)", "\(n)"]) }
      var ids: [Int64] = []
      for (i, (p, out)) in workers.enumerated() {
        let text = try LineReader(out).readToEnd(within: 600, "registry-stress worker \(i)")
        try waitForExit(p, within: 60, "registry-stress worker \(i)")
        assertExitedCleanly(p, "registry-stress worker \(i)", output: text)
        ids += text.split(separator: "\n").compactMap { Int64($0.replacingOccurrences(of: "run ", with: "")) }
      }
      XCTAssertEqual(ids.count, n * processes, "runs reported")
      XCTAssertEqual(Set(ids).count, ids.count, "an id was given to two runs")
      let r = try Registry(path: path)
      XCTAssertEqual(try r.integrityCheck(), ["ok"])
      let (runs, names, points) = try r.read { c in
        (
          try c.int("SELECT COUNT(*) FROM runs WHERE kind = 'churn' AND status = 'finished'"),
          try c.int("SELECT COUNT(DISTINCT name) FROM runs"),
          try c.int("SELECT COUNT(*) FROM series_points")
        )
      }
      XCTAssertEqual(runs, Int64(n * processes))
      XCTAssertEqual(names, Int64(n * processes))
      XCTAssertEqual(points, Int64(n * processes))
    }
  }

  /// Six processes start at once on a registry nobody has open (no -wal or -shm beside it),
  /// twenty times over: every run gets its own id and the file stays sound. When a look at the
  /// file removed -wal/-shm files it took for its own, processes that had just opened them
  /// were split onto different shared memory: two runs got the same id and the file read as
  /// "database disk image is malformed" within a few rounds.
  func testProcessesStartingTogetherOnAClosedRegistryShareIt() throws {
    let path = freshLocation(.sqlite, "together")
    try Registry(path: path).close()
    var ids: [Int64] = []
    for round in 0..<20 {
      // A registry nobody has open may be just the file (copied, or closed by its last writer).
      for c in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + c) }
      let workers = try (0..<6).map { i in try spawnStress(["log", path, "r\(round)p\(i)", "5", "1"]) }
      for (i, (p, out)) in workers.enumerated() {
        let text = try LineReader(out).readToEnd(within: 300, "round \(round) worker \(i)")
        try waitForExit(p, within: 60, "round \(round) worker \(i)")
        assertExitedCleanly(p, "round \(round) worker \(i)", output: text)
        ids += text.split(separator: "\n").compactMap { Int64($0.split(separator: " ").dropFirst().first ?? "") }
      }
    }
    XCTAssertEqual(ids.count, 120, "runs reported")
    XCTAssertEqual(Set(ids).count, ids.count, "an id was given to two runs")
    let r = try Registry(path: path)
    XCTAssertEqual(try r.integrityCheck(), ["ok"])
    XCTAssertEqual(try r.read { c in try c.int("SELECT COUNT(DISTINCT name) FROM runs") }, 120)
    XCTAssertEqual(try r.read { c in try c.int("SELECT COUNT(*) FROM series_points") }, 600)
  }

  /// A process that logs a run and ends (releasing its handle, no close()) while another
  /// process has the registry open: its run is in the file itself, not only in the -wal. Before,
  /// SQLite's checkpoint at the last close was the only one, and it is skipped while another
  /// connection is attached; so the file alone (a copy, or the -wal removed once nobody has it
  /// open, as `testProcessesStartingTogetherOnAClosedRegistryShareIt` does) lacked the run and
  /// the next run got its id again. Deterministic: this process is the one attached.
  func testARunLoggedWhileAnotherProcessHasTheRegistryOpenIsInTheFileItself() throws {
    let path = freshLocation(.sqlite, "attached")
    try Registry(path: path).close()
    // Attached, looking only (it never checkpoints, writes or removes anything).
    let watcher = try Registry(path: path, options: .lookingOnly(busyTimeout: 5))
    XCTAssertEqual(try watcher.listRuns(limit: 0).totalMatching, 0)
    func logOne(_ name: String) throws -> Int64 {
      let (p, out) = try spawnStress(["log", path, name, "5", "1"])
      let text = try LineReader(out).readToEnd(within: 120, "registry-stress log \(name)")
      try waitForExit(p, within: 60, "registry-stress log \(name)")
      assertExitedCleanly(p, "registry-stress log \(name)", output: text)
      return try XCTUnwrap(Int64(text.split(separator: " ").dropFirst().first ?? ""), text)
    }
    let first = try logOne("first")
    XCTAssertEqual(try watcher.run(first).status, .finished)
    // The file alone, as a copy of it sees it.
    let copy = freshLocation(.sqlite, "attached-copy")
    try FileManager.default.copyItem(atPath: path, toPath: copy)
    let alone = try Registry(path: copy, options: .lookingOnly(busyTimeout: 5))
    XCTAssertEqual(try alone.listRuns(limit: 0).totalMatching, 1, "the run is in the -wal only, not in the file")
    try alone.close()
    // Nobody has it open now: without its -wal and -shm the file still gives out a new id.
    try watcher.close()
    for c in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + c) }
    let second = try logOne("second")
    XCTAssertNotEqual(second, first, "an id was given to two runs")
    let r = try Registry(path: path)
    XCTAssertEqual(try r.integrityCheck(), ["ok"])
    XCTAssertEqual(try r.read { c in try c.int("SELECT COUNT(*) FROM series_points") }, 10)
  }

  /// Three processes drain a queue of 12 runs: every run is claimed exactly once.
  func testQueuedRunsAreClaimedExactlyOnceAcrossProcesses() throws {
    try forEachBackend { backend in
      let path = freshLocation(backend, "queue")
      let r = try Registry(path: path)
      for i in 0..<12 { try r.createRun(RunSpec(name: "trial\(i)", kind: "trial")) }
      let workers = try (0..<3).map { _ in try spawnStress(["claim", path]) }
      var claimed: [Int64] = []
      for (i, (p, out)) in workers.enumerated() {
        let text = try LineReader(out).readToEnd(within: 300, "registry-stress claim \(i)")
        try waitForExit(p, within: 60, "registry-stress claim \(i)")
        assertExitedCleanly(p, "registry-stress claim \(i)", output: text)
        claimed += text.split(separator: "\n").compactMap {
          Int64($0.replacingOccurrences(of: "claimed ", with: ""))
        }
      }
      XCTAssertEqual(claimed.sorted(), Array(1...12))
      XCTAssertEqual(try r.listRuns(filter: WhereExpr.parse("status=finished"), limit: 0).totalMatching, 12)
    }
  }
}
