// WorstCases: which sequences a method does worst on (DESIGN §3): ranked by the mean of a metric
// over the horizon, the sequences worst for several methods at once, and the worst sequence at
// each time step, per method and across methods.

/// One sequence's place in a method's ranking (rank 1 = worst).
public struct RankedSequence: Sendable, Equatable {
  public var sequence: String
  public var rank: Int
  /// Mean of the metric over the frames used (NaN values left out).
  public var mean: Double
  public var frames: Int
}

/// A method's sequences from worst to best by one metric.
public struct WorstCaseRanking: Sendable, Equatable {
  public var method: String
  public var metric: String
  public var direction: MetricDirection
  /// Every sequence with at least one non-NaN value, worst first; ties by sequence name.
  public var sequences: [RankedSequence]

  /// The `count` worst sequences.
  public func top(_ count: Int) -> [RankedSequence] { Array(sequences.prefix(Swift.max(count, 0))) }
}

/// A sequence that is among the worst for several methods.
public struct SharedWorstCase: Sendable, Equatable {
  public var sequence: String
  /// Methods that have it in their top N, in the order of the rankings given.
  public var methods: [String]
  /// Its mean rank over every ranking that holds it (also where it is outside the top N).
  public var meanRank: Double
}

/// The worst value at one frame index and whose it is.
public struct WorstAtIndex: Sendable, Equatable {
  public var index: Int
  public var method: String
  public var sequence: String
  public var value: Double
}

public enum WorstCases {
  /// One ranking per method (sorted by method name) of the mean of `metric` per sequence over
  /// the frames whose index lies in `indices` (all when nil).
  public static func rankings(
    _ rows: [FrameScoreRow], metric: String, direction: MetricDirection, indices: ClosedRange<Int>? = nil
  ) -> [WorstCaseRanking] {
    var sums: [String: [String: (sum: Double, count: Int)]] = [:]
    for r in rows where r.metric == metric && !r.value.isNaN && (indices?.contains(r.index) ?? true) {
      let s = sums[r.method, default: [:]][r.sequence, default: (0, 0)]
      sums[r.method, default: [:]][r.sequence] = (s.sum + r.value, s.count + 1)
    }
    return sums.keys.sorted().map { method in
      let means = sums[method]!.map {
        (sequence: $0.key, mean: $0.value.sum / Double($0.value.count), frames: $0.value.count)
      }
      let ordered = means.sorted { a, b in
        a.mean != b.mean ? isWorse(a.mean, than: b.mean, direction) : a.sequence < b.sequence
      }
      return WorstCaseRanking(
        method: method, metric: metric, direction: direction,
        sequences: ordered.enumerated().map {
          RankedSequence(sequence: $1.sequence, rank: $0 + 1, mean: $1.mean, frames: $1.frames)
        })
    }
  }

  /// Sequences in the top `top` of at least `minimumMethods` rankings, ordered by how many
  /// methods have them there (most first), then by mean rank (lower first), then by name.
  public static func shared(_ rankings: [WorstCaseRanking], top: Int, minimumMethods: Int = 2)
    -> [SharedWorstCase]
  {
    var inTop: [String: [String]] = [:]
    var ranks: [String: [Int]] = [:]
    for r in rankings {
      for s in r.sequences {
        ranks[s.sequence, default: []].append(s.rank)
        if s.rank <= top { inTop[s.sequence, default: []].append(r.method) }
      }
    }
    let cases = inTop.filter { $0.value.count >= Swift.max(minimumMethods, 1) }.map { seq, methods in
      let rs = ranks[seq]!
      return SharedWorstCase(
        sequence: seq, methods: methods, meanRank: Double(rs.reduce(0, +)) / Double(rs.count))
    }
    return cases.sorted { a, b in
      if a.methods.count != b.methods.count { return a.methods.count > b.methods.count }
      if a.meanRank != b.meanRank { return a.meanRank < b.meanRank }
      return a.sequence < b.sequence
    }
  }

  /// Per method (sorted by name) and frame index, the sequence with the worst value.
  public static func worstPerIndex(_ rows: [FrameScoreRow], metric: String, direction: MetricDirection)
    -> [String: [WorstAtIndex]]
  {
    var byMethod: [String: [FrameScoreRow]] = [:]
    for r in rows where r.metric == metric { byMethod[r.method, default: []].append(r) }
    return byMethod.mapValues { worstAtEachIndex($0, direction) }
  }

  /// Per frame index, the (method, sequence) with the worst value over all methods.
  public static func worstPerIndexAcrossMethods(
    _ rows: [FrameScoreRow], metric: String, direction: MetricDirection
  ) -> [WorstAtIndex] {
    worstAtEachIndex(rows.filter { $0.metric == metric }, direction)
  }

  /// Whether `a` is a worse score than `b`.
  public static func isWorse(_ a: Double, than b: Double, _ direction: MetricDirection) -> Bool {
    direction == .lowerIsBetter ? a > b : a < b
  }

  /// The worst non-NaN row per index, sorted by index; ties go to the smaller (method, sequence).
  static func worstAtEachIndex(_ rows: [FrameScoreRow], _ direction: MetricDirection) -> [WorstAtIndex] {
    var worst: [Int: FrameScoreRow] = [:]
    for r in rows where !r.value.isNaN {
      guard let w = worst[r.index] else {
        worst[r.index] = r
        continue
      }
      if isWorse(r.value, than: w.value, direction)
        || (r.value == w.value && (r.method, r.sequence) < (w.method, w.sequence))
      {
        worst[r.index] = r
      }
    }
    return worst.keys.sorted().map { i in
      let r = worst[i]!
      return WorstAtIndex(index: i, method: r.method, sequence: r.sequence, value: r.value)
    }
  }
}
