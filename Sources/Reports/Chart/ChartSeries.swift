// ChartSeries and ChartAxis: what a line chart draws — named series of (x, y) points with an
// optional interval band, and axes with a title and a unit.

/// One point; `low`/`high` bound the band drawn around the line (e.g. the 95% interval).
public struct ChartPoint: Sendable, Equatable {
  public var x: Double
  public var y: Double
  public var low: Double?
  public var high: Double?

  public init(x: Double, y: Double, low: Double? = nil, high: Double? = nil) {
    self.x = x
    self.y = y
    self.low = low
    self.high = high
  }

  var isDrawable: Bool { x.isFinite && y.isFinite }
  var hasBand: Bool { x.isFinite && (low?.isFinite ?? false) && (high?.isFinite ?? false) }
}

public struct ChartSeries: Sendable, Equatable {
  /// Shown in the legend.
  public var name: String
  /// Drawn in the given order; points with a non-finite x or y are skipped and break the line.
  public var points: [ChartPoint]
  /// The palette entry (`ChartStyle.palette`); nil takes the series' position in the chart.
  /// Give each method the same index in every chart of a report.
  public var styleIndex: Int?
  /// The registry run the series belongs to: written as `data-run` on its line when the chart
  /// carries hover data (a live page links values back to runs).
  public var run: Int64?

  public init(name: String, points: [ChartPoint], styleIndex: Int? = nil, run: Int64? = nil) {
    self.name = name
    self.points = points
    self.styleIndex = styleIndex
    self.run = run
  }

  /// A series from parallel arrays, with a band when both `low` and `high` are given.
  public init(
    name: String, x: [Double], y: [Double], low: [Double]? = nil, high: [Double]? = nil,
    styleIndex: Int? = nil
  ) {
    precondition(x.count == y.count, "series \(name): \(x.count) x values, \(y.count) y values")
    precondition(
      low.map { $0.count == x.count } ?? true,
      "series \(name): low has \(low?.count ?? 0) values, not \(x.count)")
    precondition(
      high.map { $0.count == x.count } ?? true,
      "series \(name): high has \(high?.count ?? 0) values, not \(x.count)")
    self.init(
      name: name,
      points: x.indices.map { i in ChartPoint(x: x[i], y: y[i], low: low?[i], high: high?[i]) },
      styleIndex: styleIndex)
  }

  var hasBand: Bool { points.contains(where: \.hasBand) }
}

public struct ChartAxis: Sendable, Equatable {
  public var title: String
  /// Printed after the title in parentheses ("Frame index (frames)"); nil for unitless values.
  public var unit: String?
  /// A fixed range instead of one fitted to the data (widened to whole tick steps).
  public var range: ClosedRange<Double>?
  /// Ticks on whole numbers only (frame indices).
  public var integerTicks: Bool

  public init(
    title: String, unit: String? = nil, range: ClosedRange<Double>? = nil, integerTicks: Bool = false
  ) {
    self.title = title
    self.unit = unit
    self.range = range
    self.integerTicks = integerTicks
  }

  /// "title (unit)".
  public var label: String { unit.map { "\(title) (\($0))" } ?? title }
}
