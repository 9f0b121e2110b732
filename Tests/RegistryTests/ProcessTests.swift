// Real processes: concurrent writers, kill -9 detection, and queue claims across processes.
import Foundation
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
      for (p, out) in workers {
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
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
      let line = readLine(out)
      let id = try XCTUnwrap(Int64(line.replacingOccurrences(of: "run ", with: "")), line)
      var opts = RegistryOptions()
      opts.reapOnOpen = false
      XCTAssertEqual(try Registry(path: path, options: opts).run(id).status, .running)
      kill(p.processIdentifier, SIGKILL)
      // Not reaped yet: a zombie counts as gone too.
      Thread.sleep(forTimeInterval: 0.1)
      let r = try Registry(path: path)
      p.waitUntilExit()
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
      let id = try XCTUnwrap(Int64(readLine(out).replacingOccurrences(of: "run ", with: "")))
      var opts = RegistryOptions()
      opts.checkLocalProcesses = false
      opts.heartbeatTimeout = 2.0
      let r = try Registry(path: path, options: opts)
      Thread.sleep(forTimeInterval: 2.5)  // longer than the timeout: the heartbeat keeps it alive
      XCTAssertEqual(try r.reapInterrupted(), [])
      XCTAssertEqual(try r.run(id).status, .running)
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
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
      for (p, out) in workers {
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
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
      for (p, out) in workers {
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "round \(round): \(text)")
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

  /// Three processes drain a queue of 12 runs: every run is claimed exactly once.
  func testQueuedRunsAreClaimedExactlyOnceAcrossProcesses() throws {
    try forEachBackend { backend in
      let path = freshLocation(backend, "queue")
      let r = try Registry(path: path)
      for i in 0..<12 { try r.createRun(RunSpec(name: "trial\(i)", kind: "trial")) }
      let workers = try (0..<3).map { _ in try spawnStress(["claim", path]) }
      var claimed: [Int64] = []
      for (p, out) in workers {
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        claimed += text.split(separator: "\n").compactMap {
          Int64($0.replacingOccurrences(of: "claimed ", with: ""))
        }
      }
      XCTAssertEqual(claimed.sorted(), Array(1...12))
      XCTAssertEqual(try r.listRuns(filter: WhereExpr.parse("status=finished"), limit: 0).totalMatching, 12)
    }
  }
}
