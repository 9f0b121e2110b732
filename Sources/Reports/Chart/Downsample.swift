// Downsample: the points a line needs to look the same on screen — per pixel-wide bucket of x,
// the points with the smallest and the largest y, in their order, plus the first and last point.
// A 100,000-point series drawn 600 px wide keeps ≤ 1,202 vertices, and its extremes (a spike, a
// NaN-free minimum) are never dropped: the exact values stay in the registry and its CSV export.
// The one downsampling of the charts: SVGLineChart's `downsample` (per drawn stretch) and the
// live view's `ChartSeries.downsampled` (a whole series, gaps kept) both come here.

public enum Downsample {
  /// `points` (ordered by x) reduced to the min-y and max-y point of each of `buckets` equal
  /// x intervals over their x range, keeping the first and last points; unchanged when there
  /// are at most `2 × buckets` points. Points must be finite (a chart splits its lines at
  /// non-finite ones first).
  /// `range`: the x interval the buckets divide (default: the points' own).
  public static func minMax(_ points: [ChartPoint], buckets: Int, over range: ClosedRange<Double>? = nil)
    -> [ChartPoint]
  {
    indices(count: points.count, buckets: buckets, over: range, x: { points[$0].x }, y: { points[$0].y }).map {
      points[$0]
    }
  }

  /// The indices `minMax` keeps, ascending.
  public static func indices(
    count: Int, buckets: Int, over range: ClosedRange<Double>? = nil, x: (Int) -> Double, y: (Int) -> Double
  ) -> [Int] {
    let buckets = Swift.max(1, buckets)
    guard count > 2 * buckets else { return Array(0..<count) }
    var lo = range?.lowerBound ?? Double.infinity
    var hi = range?.upperBound ?? -Double.infinity
    if range == nil {
      for i in 0..<count {
        lo = Swift.min(lo, x(i))
        hi = Swift.max(hi, x(i))
      }
    }
    let scale = hi > lo ? Double(buckets) / (hi - lo) : 0
    var out: [Int] = [0]
    out.reserveCapacity(2 * buckets + 2)
    var current = -1
    var minI = 0
    var maxI = 0
    func flush() {
      guard current >= 0 else { return }
      for i in (minI <= maxI ? [minI, maxI] : [maxI, minI]) where i != out.last! { out.append(i) }
    }
    for i in 0..<count {
      let b = Swift.max(0, Swift.min(buckets - 1, Int((x(i) - lo) * scale)))
      if b != current {
        flush()
        (current, minI, maxI) = (b, i, i)
      } else {
        if y(i) < y(minI) { minI = i }
        if y(i) > y(maxI) { maxI = i }
      }
    }
    flush()
    if out.last! != count - 1 { out.append(count - 1) }
    return out
  }
}

extension ChartSeries {
  /// The series reduced to each x bucket's lowest and highest point (`Downsample.minMax` over
  /// the series' whole x range, stretch by stretch), first and last points kept; non-finite
  /// points stay where they are (they break the line). Unchanged with at most 2 × `buckets` points.
  public func downsampled(buckets: Int) -> ChartSeries {
    precondition(buckets > 0, "downsampling into \(buckets) buckets")
    guard points.count > 2 * buckets else { return self }
    let xs = points.lazy.filter(\.isDrawable).map(\.x)
    guard let lo = xs.min(), let hi = xs.max(), hi > lo else { return self }
    var out: [ChartPoint] = []
    var stretch: [ChartPoint] = []
    func flush() {
      out += Downsample.minMax(stretch, buckets: buckets, over: lo...hi)
      stretch = []
    }
    for p in points {
      if p.isDrawable {
        stretch.append(p)
      } else {
        flush()
        out.append(p)
      }
    }
    flush()
    return ChartSeries(name: name, points: out, styleIndex: styleIndex)
  }
}
