// SweepLauncher: what `lmlab sweep SPEC --workers N` does after queueing — keeps N worker
// processes (`lmlab train worker --sweep ID`, each logging to its own file) running while the
// sweep has work, starts a new one where a worker died, prints the sweep's progress (counts,
// best so far, ETA), and on SIGINT/SIGTERM passes the signal on and waits for the workers to
// checkpoint. Killing the launcher itself loses nothing: workers are independent processes,
// and running the command again picks up what is left.
import Foundation
import Registry

public struct SweepLaunch {
  public var workers = 2
  /// The worker's executable and arguments (the CLI passes itself: `train worker --sweep ID`).
  public var executable: String
  public var arguments: [String]
  /// Each worker's output goes to `logDir/worker-N.log` (appended).
  public var logDir: String
  public var pollSeconds = 1.0
  /// Seconds between progress lines when nothing changed.
  public var quietInterval = 30.0
  /// Flushed per line: the launcher's output is often a file or a pipe.
  public var print: (String) -> Void = {
    Swift.print($0)
    fflush(stdout)
  }

  public init(executable: String, arguments: [String], logDir: String) {
    self.executable = executable
    self.arguments = arguments
    self.logDir = logDir
  }
}

public struct SweepLaunchError: Error, CustomStringConvertible, LocalizedError {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
  public var errorDescription: String? { message }
}

public enum SweepLauncher {
  /// Runs workers until every trial of `sweep` is finished or failed (or a stop signal came).
  /// Returns the final status and the signal that stopped it, if any.
  public static func run(_ sweep: Sweep, registry: Registry, launch: SweepLaunch) throws -> (SweepStatus, Int32?) {
    do {
      try FileManager.default.createDirectory(atPath: launch.logDir, withIntermediateDirectories: true)
    } catch {
      throw SweepLaunchError(message: "cannot create worker log folder \(launch.logDir): \(error.localizedDescription)")
    }
    let previous = StopSignals.install()
    defer { StopSignals.restore(previous) }
    var slots: [Process?] = Array(repeating: nil, count: max(1, launch.workers))
    var started: [Double] = Array(repeating: 0, count: slots.count)
    var quickFailures = 0
    var lastLine = "", lastPrint = 0.0
    while true {
      if let sig = StopSignals.received {
        for p in slots.compactMap({ $0 }) where p.isRunning { kill(p.processIdentifier, sig) }
        launch.print("sweep \(sweep.id): \(StopSignals.name(sig)) — waiting for the workers to checkpoint")
        for p in slots.compactMap({ $0 }) { p.waitUntilExit() }
        try registry.reapInterrupted()
        return (try SweepStatus.load(sweep, registry: registry), sig)
      }
      try registry.reapInterrupted()
      let status = try SweepStatus.load(sweep, registry: registry)
      let workLeft = status.count(.queued) + status.count(.interrupted) > 0
      for i in slots.indices {
        if let p = slots[i], !p.isRunning {
          let code = p.terminationStatus
          let lived = Date().timeIntervalSince1970 - started[i]
          if code != 0 && code != 130 {
            launch.print("sweep \(sweep.id): worker \(i + 1) (pid \(p.processIdentifier)) exited with status \(code); see \(logPath(launch, i))")
            quickFailures = lived < 10 ? quickFailures + 1 : 0
          }
          slots[i] = nil
        }
        if slots[i] == nil, workLeft {
          if quickFailures >= 3 {
            throw SweepLaunchError(
              message: "sweep \(sweep.id): workers keep failing at start (last log: \(logPath(launch, i))); fix that and run the sweep again")
          }
          let p = try spawn(launch, slot: i)
          slots[i] = p
          started[i] = Date().timeIntervalSince1970
          launch.print("sweep \(sweep.id): started worker \(i + 1) (pid \(p.processIdentifier), log \(logPath(launch, i)))")
        }
      }
      let alive = slots.contains { $0?.isRunning == true }
      let line = status.summaryLine
      let now = Date().timeIntervalSince1970
      if line != lastLine || now - lastPrint >= launch.quietInterval {
        launch.print(line)
        (lastLine, lastPrint) = (line, now)
      }
      // Done when nothing is left; trials still running without a worker of ours belong to
      // workers started elsewhere (an earlier launcher, a cluster): wait for them.
      if !alive && status.isDone { return (status, nil) }
      Thread.sleep(forTimeInterval: launch.pollSeconds)
    }
  }

  static func logPath(_ launch: SweepLaunch, _ slot: Int) -> String {
    (launch.logDir as NSString).appendingPathComponent("worker-\(slot + 1).log")
  }

  static func spawn(_ launch: SweepLaunch, slot: Int) throws -> Process {
    let path = logPath(launch, slot)
    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    guard let log = FileHandle(forWritingAtPath: path) else {
      throw SweepLaunchError(message: "cannot write worker log \(path)")
    }
    log.seekToEndOfFile()
    let p = Process()
    p.executableURL = URL(fileURLWithPath: launch.executable)
    p.arguments = launch.arguments
    // Workers share this machine's cores: each takes its share unless LMLAB_THREADS says.
    var env = ProcessInfo.processInfo.environment
    if env[ThreadSetting.environmentVariable] == nil {
      env[ThreadSetting.environmentVariable] = String(Swift.max(1, ThreadSetting.cores / Swift.max(1, launch.workers)))
    }
    p.environment = env
    p.standardOutput = log
    p.standardError = log
    p.standardInput = FileHandle.nullDevice
    do {
      try p.run()
    } catch {
      throw SweepLaunchError(message: "cannot start worker \(launch.executable): \(error.localizedDescription)")
    }
    try? log.close()
    return p
  }
}
