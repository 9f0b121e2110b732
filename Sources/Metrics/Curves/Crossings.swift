// Crossings: where two per-frame curves cross for good — the report's "starts higher on LPIPS
// but becomes competitive after 15 frames" made exact. The crossing frame is the first frame
// from which one method's mean stays better than the other's at every frame to the last frame
// both curves have; a pair whose ordering already holds from the first frame does not cross.

/// How two methods' mean curves of one metric are ordered over the frames they share.
public struct CurveCrossing: Sendable, Equatable {
  public var methodA: String
  public var methodB: String
  public var metric: String
  /// Frames compared: the indices where both curves have a finite mean, ascending.
  public var frames: [Int]
  /// The first frame from which `betterAfter` is strictly better at every compared frame to the
  /// last; nil when that already holds from the first frame (no crossing) or at no frame.
  public var frame: Int?
  /// Better from `frame` on (or at every frame when `frame` is nil); nil when the two means are
  /// equal at the last compared frame (no ordering holds to the end) or nothing was compared.
  public var betterAfter: String?
  /// Better at the compared frame before `frame`; nil without a crossing or when equal there.
  public var betterBefore: String?

  /// The other method of the pair.
  public func other(_ method: String) -> String { method == methodA ? methodB : methodA }

  /// "lstm vs pixel on ssim: …" — where the pair crosses, or that it does not within the frames
  /// compared (the report's sentence under each plot and the demo's headline).
  public var sentence: String {
    let pair = "\(methodA) vs \(methodB) on \(metric)"
    guard let last = frames.last else { return "\(pair): no frame has a mean of both." }
    guard let after = betterAfter else {
      return "\(pair): equal at frame \(last), so neither stays better to the end."
    }
    guard let frame else {
      return "\(pair): does not cross within \(frames.count) frames (\(after) is better at every frame)."
    }
    let before = betterBefore.map { "\($0) is better before" } ?? "the two are equal at the frame before"
    return "\(pair): crosses at frame \(frame): \(after) is better from frame \(frame) to \(last), \(before)."
  }
}

public enum Crossings {
  /// The crossing of `a` and `b`'s mean curves of `metric` among `points` (PredictionCurves).
  /// Points with n = 0 or a non-finite mean are left out: a frame is compared only where both
  /// methods have a mean (NaN never counts as better or worse).
  public static func crossing(
    _ points: [CurvePoint], a: String, b: String, metric: String, direction: MetricDirection
  ) -> CurveCrossing {
    func means(_ m: String) -> [Int: Double] {
      var out: [Int: Double] = [:]
      for p in points where p.method == m && p.metric == metric && p.n > 0 && p.mean.isFinite { out[p.index] = p.mean }
      return out
    }
    return crossing(means(a), means(b), a: a, b: b, metric: metric, direction: direction)
  }

  /// The same over two index → mean maps.
  public static func crossing(
    _ meansA: [Int: Double], _ meansB: [Int: Double], a: String, b: String, metric: String, direction: MetricDirection
  ) -> CurveCrossing {
    let frames = Set(meansA.keys).intersection(meansB.keys).filter { meansA[$0]!.isFinite && meansB[$0]!.isFinite }.sorted()
    var c = CurveCrossing(methodA: a, methodB: b, metric: metric, frames: frames, frame: nil, betterAfter: nil, betterBefore: nil)
    /// Which is strictly better at frame `i` (nil when equal).
    func better(_ i: Int) -> String? {
      let (x, y) = (meansA[i]!, meansB[i]!)
      if x == y { return nil }
      return (direction == .higherIsBetter ? x > y : x < y) ? a : b
    }
    guard let last = frames.last, let winner = better(last) else { return c }
    c.betterAfter = winner
    // Walk back from the end while the last frame's winner stays strictly better.
    var start = frames.count - 1
    while start > 0, better(frames[start - 1]) == winner { start -= 1 }
    if start > 0 {
      c.frame = frames[start]
      c.betterBefore = better(frames[start - 1])
    }
    return c
  }
}
