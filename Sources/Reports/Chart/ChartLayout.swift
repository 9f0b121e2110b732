// ChartLayout: where a line chart puts everything — margins sized from the estimated widths of
// tick labels and titles, the legend to the right of the plot or below it (never over it), tick
// counts chosen so neighbouring labels do not touch.

/// An axis-aligned rectangle in SVG user units (y down).
public struct ChartRect: Sendable, Equatable {
  public var x: Double, y: Double, width: Double, height: Double
  public var maxX: Double { x + width }
  public var maxY: Double { y + height }

  public init(x: Double, y: Double, width: Double, height: Double) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }

  /// Whether the two rectangles share interior points (touching edges do not count).
  public func overlaps(_ o: ChartRect) -> Bool { x < o.maxX && o.x < maxX && y < o.maxY && o.y < maxY }
  /// Whether `o` lies inside this rectangle (edges included).
  public func contains(_ o: ChartRect) -> Bool { o.x >= x && o.maxX <= maxX && o.y >= y && o.maxY <= maxY }
}

public enum LegendPlacement: Sendable, Equatable {
  /// Right of the plot when the legend is narrow enough (≤ 30% of the width), else below.
  case automatic
  case right
  case below
}

/// Sizes of the chart's text, in SVG user units (px).
enum ChartFont {
  static let title = 15.0
  static let label = 12.0  // ticks and legend
  static let axisTitle = 13.0

  /// A deliberately generous width estimate (no font metrics here): 0.6 em per Latin
  /// character, 1 em for others (CJK, symbols), so estimated boxes contain the real text.
  static func width(_ s: String, size: Double) -> Double {
    s.unicodeScalars.reduce(0) { $0 + ($1.value < 0x2000 ? 0.6 : 1.0) } * size
  }

  /// `s`, or as much of it as fits in `width` followed by "…".
  static func fit(_ s: String, size: Double, width: Double) -> String {
    if self.width(s, size: size) <= width { return s }
    var out = ""
    for ch in s {
      if self.width(out + String(ch) + "…", size: size) > width { break }
      out.append(ch)
    }
    return out + "…"
  }
}

public struct ChartLayout: Sendable, Equatable {
  public var plot: ChartRect
  /// nil when no series has a name to show.
  public var legend: ChartRect?
  /// `.right` or `.below` (resolved from `.automatic`).
  public var legendPlacement: LegendPlacement
  /// One box per legend entry (swatch and label), inside `legend`.
  public var legendEntries: [ChartRect]
  /// The series names as the legend shows them (shortened with "…" where a name would not fit
  /// in the chart's width).
  public var legendLabels: [String]
  /// The title as shown (shortened the same way).
  public var title: String
  public var xTicks: NiceTicks
  public var yTicks: NiceTicks

  static let pad = 10.0, tickLength = 5.0, legendRow = 18.0, legendPadding = 8.0, swatch = 30.0,
    swatchGap = 6.0

  /// Maps a data x to SVG x.
  public func px(_ x: Double) -> Double {
    plot.x + (x - xTicks.lower) / (xTicks.upper - xTicks.lower) * plot.width
  }
  /// Maps a data y to SVG y (up is larger).
  public func py(_ y: Double) -> Double {
    plot.maxY - (y - yTicks.lower) / (yTicks.upper - yTicks.lower) * plot.height
  }

  init(chart c: SVGLineChart) {
    let w = Double(c.width)
    let h = Double(c.height)
    let pad = ChartLayout.pad
    let (xLo, xHi) = ChartLayout.extent(c.series, axis: c.xAxis, values: { [$0.x] })
    let (yLo, yHi) = ChartLayout.extent(
      c.series, axis: c.yAxis, values: { p in [p.y, p.low ?? .nan, p.high ?? .nan] })

    // Legend size first: it decides the room left for the plot.
    let maxLabel = w - 2 * pad - 2 * ChartLayout.legendPadding - ChartLayout.swatch - ChartLayout.swatchGap
    let names = c.series.map { ChartFont.fit($0.name, size: ChartFont.label, width: maxLabel) }
    let entryWidth =
      ChartLayout.swatch + ChartLayout.swatchGap
      + (names.map { ChartFont.width($0, size: ChartFont.label) }.max() ?? 0)
    let top = pad + (c.title.isEmpty ? 4 : ChartFont.title + 12)
    let rightLegendSize = (
      w: entryWidth + 2 * ChartLayout.legendPadding,
      h: Double(names.count) * ChartLayout.legendRow + 2 * ChartLayout.legendPadding - 4
    )
    var placement = c.legendPlacement
    if placement == .automatic {
      placement = rightLegendSize.w <= 0.3 * w && rightLegendSize.h <= h - top - 60 ? .right : .below
    }
    let columnWidth = entryWidth + 18
    let columns = Swift.max(
      1, Swift.min(names.count, Int((w - 2 * pad - 2 * ChartLayout.legendPadding + 18) / columnWidth)))
    let rows = (names.count + columns - 1) / columns
    let belowSize = (
      w: Double(columns) * columnWidth - 18 + 2 * ChartLayout.legendPadding,
      h: Double(rows) * ChartLayout.legendRow + 2 * ChartLayout.legendPadding - 4
    )
    let hasLegend = names.contains { !$0.isEmpty }  // as documented: no legend when no series has a name

    let xAxisBlock = ChartLayout.tickLength + 4 + ChartFont.label + 10 + ChartFont.axisTitle
    var bottom = pad + xAxisBlock
    if hasLegend && placement == .below { bottom += belowSize.h + 12 }
    let plotHeight = Swift.max(h - top - bottom, 20)

    // y ticks: at most one label per 18 px so they never touch.
    var yTarget = Swift.max(2, Int(plotHeight / 45))
    var yTicks = NiceTicks(lo: yLo, hi: yHi, target: yTarget, integerSteps: c.yAxis.integerTicks)
    while yTarget > 1 && plotHeight / Double(Swift.max(yTicks.values.count - 1, 1)) < 18 {
      yTarget -= 1
      yTicks = NiceTicks(lo: yLo, hi: yHi, target: yTarget, integerSteps: c.yAxis.integerTicks)
    }
    let yLabelWidth =
      yTicks.values.map { ChartFont.width(yTicks.label($0), size: ChartFont.label) }.max() ?? 0
    let left = pad + ChartFont.axisTitle + 10 + yLabelWidth + 4 + ChartLayout.tickLength

    // x ticks: labels at least 10 px apart; the last label's half width is kept inside the
    // chart (and off the legend), which can shrink the plot and so needs a second pass.
    let legendRoom = hasLegend && placement == .right ? rightLegendSize.w + 14 : 0
    var rightGap = 12.0
    var xTicks = NiceTicks(lo: xLo, hi: xHi, target: 2, integerSteps: c.xAxis.integerTicks)
    var plotWidth = 20.0
    for _ in 0..<2 {
      plotWidth = Swift.max(w - left - pad - legendRoom - rightGap, 20)
      var target = Swift.max(2, Int(plotWidth / 70))
      while true {
        xTicks = NiceTicks(lo: xLo, hi: xHi, target: target, integerSteps: c.xAxis.integerTicks)
        let widest = xTicks.values.map { ChartFont.width(xTicks.label($0), size: ChartFont.label) }.max() ?? 0
        if target <= 1 || plotWidth / Double(Swift.max(xTicks.values.count - 1, 1)) >= widest + 10 { break }
        target -= 1
      }
      let lastHalf = ChartFont.width(xTicks.label(xTicks.upper), size: ChartFont.label) / 2 + 4
      if lastHalf <= rightGap { break }
      rightGap = lastHalf
    }
    plot = ChartRect(x: left, y: top, width: plotWidth, height: plotHeight)
    legendLabels = names
    title = ChartFont.fit(c.title, size: ChartFont.title, width: w - left - pad)
    self.xTicks = xTicks
    self.yTicks = yTicks
    legendPlacement = placement

    var entries: [ChartRect] = []
    if !hasLegend {
      legend = nil
    } else if placement == .right {
      let box = ChartRect(x: plot.maxX + 14, y: top, width: rightLegendSize.w, height: rightLegendSize.h)
      legend = box
      for i in names.indices {
        entries.append(
          ChartRect(
            x: box.x + ChartLayout.legendPadding,
            y: box.y + ChartLayout.legendPadding + Double(i) * ChartLayout.legendRow,
            width: entryWidth, height: ChartLayout.legendRow - 4))
      }
    } else {
      let y0 = plot.maxY + xAxisBlock + 12
      let x0 = Swift.max(pad, Swift.min(plot.x, w - pad - belowSize.w))
      let box = ChartRect(x: x0, y: y0, width: belowSize.w, height: belowSize.h)
      legend = box
      for i in names.indices {
        let r = i / columns
        let col = i % columns
        entries.append(
          ChartRect(
            x: box.x + ChartLayout.legendPadding + Double(col) * columnWidth,
            y: box.y + ChartLayout.legendPadding + Double(r) * ChartLayout.legendRow,
            width: entryWidth, height: ChartLayout.legendRow - 4))
      }
    }
    legendEntries = entries
  }

  /// The finite range of the values an axis shows, or its fixed range.
  static func extent(_ series: [ChartSeries], axis: ChartAxis, values: (ChartPoint) -> [Double]) -> (
    Double, Double
  ) {
    if let r = axis.range { return (r.lowerBound, r.upperBound) }
    var lo = Double.infinity
    var hi = -Double.infinity
    for s in series {
      for p in s.points where p.isDrawable {
        for v in values(p) where v.isFinite {
          lo = Swift.min(lo, v)
          hi = Swift.max(hi, v)
        }
      }
    }
    return lo <= hi ? (lo, hi) : (0, 1)
  }
}
