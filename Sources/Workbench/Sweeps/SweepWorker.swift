// SweepWorker: the loop of `lmlab train worker --sweep ID`, one plain process that anything
// able to start processes can run (the sweep command, a shell loop, a Slurm array task).
// Each pass: mark runs whose process is gone as interrupted, queue the sweep's interrupted
// trials again (they continue from their latest checkpoint), claim the oldest queued trial and
// train it. A failed trial is recorded with its error and the worker goes on. With nothing
// queued the worker waits while other workers still run trials — one of them may die and its
// trial come back — and stops when the sweep has nothing queued or running.
import Foundation
import Registry

public struct SweepWorkerOptions {
  public var train = TrainOptions()
  /// Seconds between looks at the queue while other workers run the last trials.
  public var pollSeconds = 2.0
  /// Stop after this many trials (0: no limit).
  public var maxTrials = 0
  public init() {}
}

public struct SweepWorkerSummary: Sendable {
  public var trained: [Int64] = []
  public var failed: [Int64] = []
  /// The trial a stop signal interrupted (the worker stops after it).
  public var interrupted: Int64?
}

public enum SweepWorker {
  public static func run(sweep text: String, registry: Registry, options: SweepWorkerOptions = .init()) throws -> SweepWorkerSummary {
    let sweep = try registry.sweep(text)
    let out = options.train.print
    var summary = SweepWorkerSummary()
    while options.maxTrials == 0 || summary.trained.count + summary.failed.count < options.maxTrials {
      try registry.reapInterrupted()
      let (requeued, gaveUp) = try registry.requeueInterrupted(experimentId: sweep.id, maxResumes: sweep.record.maxResumes)
      if !requeued.isEmpty { out("sweep \(sweep.id): queued interrupted trial(s) \(ids(requeued)) again") }
      if !gaveUp.isEmpty { out("sweep \(sweep.id): gave up on trial(s) \(ids(gaveUp)) (interrupted too often; marked failed)") }
      guard let handle = try registry.claimNextQueued(experimentId: sweep.id) else {
        let runs = try registry.runs(experimentId: sweep.id)
        if !runs.contains(where: { $0.status == .running || $0.status == .queued || $0.status == .interrupted }) { break }
        Thread.sleep(forTimeInterval: options.pollSeconds)
        continue
      }
      let run = try registry.run(handle.runId)
      out("sweep \(sweep.id): trial \(run.id) \(run.name)" + (run.resumeFrom.map { " (continuing from \($0))" } ?? ""))
      do {
        let s = try train(handle, kind: run.kind, registry: registry, options: options.train)
        if s.status == .interrupted {
          summary.interrupted = run.id
          break
        }
        summary.trained.append(run.id)
      } catch {
        // The trainer has recorded the run as failed with this error; the sweep goes on.
        summary.failed.append(run.id)
        out("sweep \(sweep.id): trial \(run.id) failed: \(error)")
      }
    }
    return summary
  }

  static func train(_ handle: RunHandle, kind: String, registry: Registry, options: TrainOptions) throws -> TrainSummary {
    try TrainingRuns.continueClaimed(handle, registry: registry, options: options)
  }

  static func ids(_ xs: [Int64]) -> String { xs.map(String.init).joined(separator: ", ") }
}
