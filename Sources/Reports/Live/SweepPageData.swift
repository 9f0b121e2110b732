// SweepPageData: what the live sweep page shows beyond the report's SweepSummary (the trials,
// their swept values and objective): each trial's run name, time and error, and the sweep's ETA.
// The best trial follows the rule `lmlab sweep status` uses (SweepStatus.best): the finished
// trial with the best finite objective in the sweep's direction.
import Foundation

public struct SweepPageData: Sendable {
  public var summary: SweepSummary
  public var runNames: [Int64: String]
  /// Seconds each trial has run (over all attempts).
  public var seconds: [Int64: Double]
  /// Why a failed or interrupted trial ended.
  public var errors: [Int64: String]
  public var etaSeconds: Double?

  public init(
    summary: SweepSummary, runNames: [Int64: String] = [:], seconds: [Int64: Double] = [:],
    errors: [Int64: String] = [:],
    etaSeconds: Double? = nil
  ) {
    (self.summary, self.runNames, self.seconds, self.errors, self.etaSeconds) = (
      summary, runNames, seconds, errors, etaSeconds
    )
  }
}

extension SweepSummary {
  /// The finished trial with the best finite objective (`rankGoal` "max": highest), first on ties.
  public var best: Trial? {
    var best: Trial?
    for t in trials where t.status == "finished" {
      guard let r = t.rank, r.isFinite else { continue }
      if let b = best?.rank, rankGoal == "max" ? r <= b : r >= b { continue }
      best = t
    }
    return best
  }

  /// Trials per status, in the order finished, running, interrupted, queued, failed, others.
  public var statusCounts: [(status: String, count: Int)] {
    var counts: [String: Int] = [:]
    for t in trials { counts[t.status, default: 0] += 1 }
    let order = TrialMarks.order + counts.keys.filter { !TrialMarks.order.contains($0) }.sorted()
    return order.compactMap { s in counts[s].map { (s, $0) } }
  }

  /// The parameter axes the sweep pages draw: the swept keys, or the seed for a seeds-only sweep.
  var pageKeys: [String] { sweptKeys.isEmpty ? ["seed"] : sweptKeys }

  /// A trial's value of page key `key`.
  func value(_ t: Trial, _ key: String) -> String? {
    key == "seed" && sweptKeys.isEmpty ? t.seed.map { "\($0)" } : t.values[key]
  }
}
