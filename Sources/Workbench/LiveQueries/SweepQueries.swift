// SweepQueries: the registry read behind the live sweep pages — every sweep's summary for the
// index and one sweep's trials with names, times and errors — through SweepStatus, the same read
// as `lmlab sweep status` and a sweep's report, so the page and the terminal agree on the best
// trial and the counts.
import Foundation
import Registry
import Reports

public enum SweepQueries {
  /// Every sweep in the registry, oldest first.
  public static func summaries(registry: Registry) throws -> [SweepSummary] {
    try registry.sweeps().map { ReportInputs.summary(try SweepStatus.load($0, registry: registry)) }
  }

  /// Sweep `name` (or its id) with its trials.
  /// - Throws: `LiveQueryError` `.notFound` naming the sweep (and the sweeps there are).
  public static func data(name: String, registry: Registry) throws -> SweepPageData {
    let sweep: Sweep
    do { sweep = try registry.sweep(name) } catch RegistryError.invalidState(let message) {
      throw LiveQueryError(.notFound, message)
    }
    let status = try SweepStatus.load(sweep, registry: registry)
    var names: [Int64: String] = [:]
    var seconds: [Int64: Double] = [:]
    var errors: [Int64: String] = [:]
    for t in status.trials {
      names[t.run.id] = t.run.name
      seconds[t.run.id] = t.seconds
      errors[t.run.id] = t.run.error
    }
    return SweepPageData(
      summary: ReportInputs.summary(status), runNames: names, seconds: seconds, errors: errors,
      etaSeconds: status.isDone ? nil : status.etaSeconds)
  }
}
