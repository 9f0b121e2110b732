// SweepStatus: where a sweep stands — trials by status, an ETA from the finished trials'
// times, the best trial so far by the sweep's rank — and its text for `lmlab sweep status`.
import Foundation
import Registry

public struct SweepStatus: Sendable {
  public struct Trial: Sendable {
    public var run: Run
    /// Swept key → value as recorded (seed included when the sweep has seeds).
    public var values: [String: String]
    public var rank: Double?
    public var seconds: Double?
  }

  public var sweep: Sweep
  public var trials: [Trial]
  public var keys: [String]
  public var now: Double

  public static func load(_ sweep: Sweep, registry: Registry, now: Double = Date().timeIntervalSince1970) throws -> SweepStatus {
    let runs = try registry.runs(experimentId: sweep.id)
    var keys = sweep.record.sweptKeyList
    if Set(runs.compactMap(\.seed)).count > 1, !keys.contains("seed") { keys.append("seed") }
    let values = try registry.trialValues(runIds: runs.map(\.id), keys: keys, rankField: sweep.record.rankField)
    let trials = runs.map {
      Trial(run: $0, values: values[$0.id]?.params ?? [:], rank: values[$0.id]?.rank, seconds: $0.totalSeconds(now: now))
    }
    return SweepStatus(sweep: sweep, trials: trials, keys: keys, now: now)
  }

  public func count(_ s: RunStatus) -> Int { trials.filter { $0.run.status == s }.count }
  public var total: Int { trials.count }
  /// Nothing left to run: every trial finished or failed.
  public var isDone: Bool { trials.allSatisfy { $0.run.status == .finished || $0.run.status == .failed } }

  /// The finished trial with the best rank value.
  public var best: Trial? {
    let ranked = trials.filter { $0.run.status == .finished && $0.rank?.isFinite == true }
    switch sweep.record.rankGoal {
    case .max: return ranked.max { $0.rank! < $1.rank! }
    case .min: return ranked.min { $0.rank! < $1.rank! }
    }
  }

  /// Seconds left: the mean time of a finished trial × the trials still to run (a running one
  /// counts half), spread over the trials running now. nil before any trial finished.
  public var etaSeconds: Double? {
    let done = trials.filter { $0.run.status == .finished }.compactMap(\.seconds)
    guard !done.isEmpty else { return nil }
    let mean = done.reduce(0, +) / Double(done.count)
    let left = Double(count(.queued) + count(.interrupted)) + 0.5 * Double(count(.running))
    return mean * left / Double(max(1, count(.running)))
  }

  /// One line: counts, best so far and ETA.
  public var summaryLine: String {
    var parts = ["\(count(.finished))/\(total) finished"]
    for s in [RunStatus.running, .queued, .interrupted, .failed] where count(s) > 0 { parts.append("\(count(s)) \(s.rawValue)") }
    var line = "sweep \(sweep.id) '\(sweep.name)': " + parts.joined(separator: ", ")
    if let b = best, let r = b.rank { line += " · best \(sweep.record.rankField) \(formatValue(r)) (run \(b.run.id))" }
    if !isDone, let eta = etaSeconds { line += " · ETA " + formatDuration(eta) }
    return line
  }

  /// The status table: one row per trial.
  public var text: String {
    let jobs = trials.contains { $0.run.schedulerJob != nil }
    var rows: [[String]] = [["run", "status"] + keys + [sweep.record.rankField, "time"] + (jobs ? ["slurm job"] : []) + ["note"]]
    let bestId = best?.run.id
    for t in trials {
      var note = t.run.id == bestId ? "best" : ""
      if t.run.resumes > 0 { note += (note.isEmpty ? "" : "; ") + "resumed \(t.run.resumes)×" }
      if t.run.status == .failed, let e = t.run.error { note += (note.isEmpty ? "" : "; ") + String(e.prefix(80)) }
      rows.append(
        [String(t.run.id), t.run.status.rawValue] + keys.map { t.values[$0] ?? "-" }
          + [t.rank.map(formatValue) ?? "-", t.seconds.map(formatDuration) ?? "-"] + (jobs ? [t.run.schedulerJob ?? "-"] : []) + [note])
    }
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    let table = rows.map { r in
      zip(r, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        .trimmingCharacters(in: .whitespaces)
    }
    var head = [summaryLine, "rank: \(sweep.record.rankGoal.rawValue) \(sweep.record.rankField)"]
    if !sweep.record.schedulerJobs.isEmpty { head.append("slurm array jobs: \(sweep.record.schedulerJobs)") }
    return (head + [""] + table).joined(separator: "\n")
  }
}

func formatValue(_ v: Double) -> String { String(format: abs(v) >= 100 ? "%.1f" : "%.4f", v) }

func formatDuration(_ s: Double) -> String { ProgressReporter.formatDuration(s) }
