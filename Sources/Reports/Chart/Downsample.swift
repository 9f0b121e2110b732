// Downsampling for drawing: a curve of 100,000 points drawn into a few hundred pixels keeps, per
// pixel-wide bucket of x, its first, lowest, highest and last point (in their order), so every
// spike and the line's envelope survive and the SVG stays a few thousand points. The exact
// values are in the CSV beside the chart, never in the drawing.

extension ChartSeries {
  /// The series with at most about 4 × `buckets` points (unchanged when it has fewer).
  /// Non-finite points are kept where they are (they break the line).
  public func downsampled(buckets: Int) -> ChartSeries {
    precondition(buckets > 0, "downsampling into \(buckets) buckets")
    guard points.count > 4 * buckets else { return self }
    let xs = points.lazy.filter(\.isDrawable).map(\.x)
    guard let lo = xs.min(), let hi = xs.max(), hi > lo else { return self }
    let width = (hi - lo) / Double(buckets)
    var out: [ChartPoint] = []
    out.reserveCapacity(4 * buckets + 8)
    var bucket = -1
    var kept: [Int] = []  // first, min, max, last indices of the open bucket
    var first = 0, minI = 0, maxI = 0, last = 0
    func flush() {
      guard bucket >= 0 else { return }
      kept = Array(Set([first, minI, maxI, last])).sorted()
      for i in kept { out.append(points[i]) }
    }
    for (i, p) in points.enumerated() {
      guard p.isDrawable else {
        flush()
        bucket = -1
        out.append(p)
        continue
      }
      let b = min(buckets - 1, Int((p.x - lo) / width))
      if b != bucket {
        flush()
        bucket = b
        (first, minI, maxI, last) = (i, i, i, i)
      } else {
        last = i
        if p.y < points[minI].y { minI = i }
        if p.y > points[maxI].y { maxI = i }
      }
    }
    flush()
    return ChartSeries(name: name, points: out, styleIndex: styleIndex)
  }
}
