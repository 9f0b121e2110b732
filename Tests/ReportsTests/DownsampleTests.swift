// Downsampling for drawing: a 100,000-point curve becomes at most 2 points per pixel bucket, and
// what the eye must see survives — the first and last points, every bucket's extremes (a lone
// spike), and the gaps non-finite values make.
import XCTest

@testable import Reports

final class DownsampleTests: XCTestCase {
  func testKeepsEnvelopeSpikesEndsAndGaps() {
    let n = 100_000
    var y = (0..<n).map { 1 / Double($0 + 1) + 0.01 * sin(Double($0)) }
    y[31_337] = 50  // a spike
    y[77_777] = -20  // a dip
    y[50_000] = .nan  // a gap
    let s = ChartSeries(name: "loss", x: (0..<n).map(Double.init), y: y)
    let d = s.downsampled(buckets: 500)
    XCTAssertLessThanOrEqual(d.points.count, 2 * 500 + 8)
    XCTAssertGreaterThan(d.points.count, 500)
    XCTAssertEqual(d.points.first, s.points.first)
    XCTAssertEqual(d.points.last, s.points.last)
    XCTAssertTrue(d.points.contains { $0.x == 31_337 && $0.y == 50 }, "the spike is drawn")
    XCTAssertTrue(d.points.contains { $0.x == 77_777 && $0.y == -20 }, "the dip is drawn")
    XCTAssertTrue(d.points.contains { $0.x == 50_000 && $0.y.isNaN }, "the gap still breaks the line")
    XCTAssertEqual(d.points.map(\.x), d.points.map(\.x).sorted(), "order kept")
    // Per bucket, the drawn extremes are the data's extremes.
    let width = Double(n - 1) / 500
    for b in stride(from: 0, to: 500, by: 37) {
      let inBucket = { (p: ChartPoint) in p.y.isFinite && min(499, Int(p.x / width)) == b }
      XCTAssertEqual(d.points.filter(inBucket).map(\.y).max(), s.points.filter(inBucket).map(\.y).max(), "bucket \(b) max")
      XCTAssertEqual(d.points.filter(inBucket).map(\.y).min(), s.points.filter(inBucket).map(\.y).min(), "bucket \(b) min")
    }
    // Short series are left alone.
    let short = ChartSeries(name: "a", x: [0, 1, 2], y: [3, 1, 2])
    XCTAssertEqual(short.downsampled(buckets: 500), short)
  }
}
