// PredictionCurves: per (method, metric, frame index), the mean over sequences of a per-frame
// metric with its 95% interval (DESIGN §3, the report's Figs. 5, 7 and 13).

/// One point of a curve: the statistic of all sequences' values at one frame index.
public struct CurvePoint: Sendable, Equatable {
  public var method: String
  public var metric: String
  public var index: Int
  public var stats: MeanInterval

  public var n: Int { stats.n }
  public var mean: Double { stats.mean }
  public var ciLow: Double { stats.low }
  public var ciHigh: Double { stats.high }
}

public enum PredictionCurves {
  /// Curve points sorted by method, metric and index; NaN values are left out of every
  /// statistic (a point whose values are all NaN has n = 0 and NaN mean and bounds).
  /// - Parameter confidence: the interval's coverage (0.95 in DESIGN §3).
  public static func points(_ rows: [FrameScoreRow], confidence: Double = 0.95) -> [CurvePoint] {
    struct Key: Hashable, Comparable {
      let method: String, metric: String, index: Int
      static func < (a: Key, b: Key) -> Bool { (a.method, a.metric, a.index) < (b.method, b.metric, b.index) }
    }
    var groups: [Key: [Double]] = [:]
    for r in rows {
      groups[Key(method: r.method, metric: r.metric, index: r.index), default: []].append(r.value)
    }
    // The t quantile costs a root search: compute it once per sample size.
    var criticalByN: [Int: Double] = [:]
    let critical: (Int) -> Double = { n in
      if let t = criticalByN[n] { return t }
      let t = StudentT.criticalValue(confidence: confidence, degreesOfFreedom: Double(n - 1))
      criticalByN[n] = t
      return t
    }
    return groups.keys.sorted().map { k in
      CurvePoint(
        method: k.method, metric: k.metric, index: k.index,
        stats: MeanInterval(values: groups[k]!, confidence: confidence, critical: critical))
    }
  }

  /// The points of one (method, metric) curve, by index.
  public static func curve(_ points: [CurvePoint], method: String, metric: String) -> [CurvePoint] {
    points.filter { $0.method == method && $0.metric == metric }.sorted { $0.index < $1.index }
  }
}
