// registry-stress: a helper process for the registry tests (real processes, real locks).
//
//   registry-stress log REGISTRY NAME POINTS BATCH   one run, POINTS points in batches, finish
//   registry-stress hold REGISTRY NAME               one running run with a heartbeat; prints
//                                                    "run ID" and waits to be killed
//   registry-stress claim REGISTRY                   claims queued runs until none is left,
//                                                    finishing each; prints "claimed ID" lines
//   registry-stress work REGISTRY NAME POINTS BATCH  both at once: logs POINTS points into its
//                                                    own run while claiming queued "trial" runs
//                                                    (one every 50 points, then the rest)
//   registry-stress churn REGISTRY NAME N            N times: open, look (list), close; open,
//                                                    start a run, log, finish, close (what many
//                                                    short commands and sweep workers do)
// REGISTRY is a SQLite path or a postgres:// URL.
import Foundation
import Registry

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("registry-stress: \(message)\n".utf8))
  exit(2)
}

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else { fail("usage: registry-stress log|hold|claim REGISTRY ...") }
let mode = args[0]
let path = args[1]

do {
  if mode == "churn" {
    // Each open and close on its own: a process that closes checkpoints the WAL to empty while
    // others are connected, and a look-only open must not disturb their shared memory.
    guard args.count == 4, let n = Int(args[3]) else { fail("usage: registry-stress churn REGISTRY NAME N") }
    for i in 0..<n {
      let look = try Registry(path: path, options: RegistryOptions.fromEnvironment())
      _ = try look.listRuns(limit: 1)
      try look.close()
      let r = try Registry(path: path, options: RegistryOptions.fromEnvironment())
      _ = try r.listRuns(limit: 1)
      let run = try r.startRun(RunSpec(name: "\(args[2])-\(i)", kind: "churn"))
      try run.log("loss", step: 0, value: Double(i))
      try run.finish()
      try r.close()
      print("run \(run.runId)")
    }
    exit(0)
  }
  let registry = try Registry(path: path, options: RegistryOptions.fromEnvironment())
  switch mode {
  case "log":
    guard args.count == 5, let points = Int(args[3]), let batch = Int(args[4]) else {
      fail("usage: registry-stress log REGISTRY NAME POINTS BATCH")
    }
    let run = try registry.startRun(RunSpec(name: args[2], kind: "stress", experiment: "stress"))
    run.batchSize = batch
    run.flushInterval = .infinity
    for step in 0..<points {
      try run.log("loss", step: Int64(step), value: 1.0 / Double(step + 1))
    }
    try run.finish()
    print("run \(run.runId) logged \(points)")
  case "hold":
    guard args.count == 3 else { fail("usage: registry-stress hold REGISTRY NAME") }
    let run = try registry.startRun(RunSpec(name: args[2], kind: "stress"))
    try run.log("loss", step: 0, value: 1)
    try run.flush()
    print("run \(run.runId)")
    fflush(stdout)
    while true { Thread.sleep(forTimeInterval: 60) }
  case "claim":
    while let run = try registry.claimNextQueued() {
      try run.log("claimed_by_pid", step: 0, value: Double(getpid()))
      try run.finish()
      print("claimed \(run.runId)")
    }
  case "work":
    guard args.count == 5, let points = Int(args[3]), let batch = Int(args[4]) else {
      fail("usage: registry-stress work REGISTRY NAME POINTS BATCH")
    }
    let run = try registry.startRun(RunSpec(name: args[2], kind: "stress", experiment: "stress"))
    run.batchSize = batch
    run.flushInterval = .infinity
    func claimOne() throws -> Bool {
      guard let trial = try registry.claimNextQueued(kind: "trial") else { return false }
      try trial.log("claimed_by_pid", step: 0, value: Double(getpid()))
      try trial.finish()
      print("claimed \(trial.runId)")
      return true
    }
    for step in 0..<points {
      try run.log("loss", step: Int64(step), value: 1.0 / Double(step + 1))
      if step % 50 == 49 { _ = try claimOne() }
    }
    try run.finish()
    while try claimOne() {}
    print("run \(run.runId) logged \(points)")
  default:
    fail("unknown mode '\(mode)'")
  }
} catch {
  fail("\(error)")
}
