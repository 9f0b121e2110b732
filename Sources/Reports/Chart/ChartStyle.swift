// ChartStyle: the colour and dash pattern of a series. Colours are matplotlib's tab10 (readable
// on white, distinct for 10 series); each also gets its own dash pattern as a second cue for
// grey-scale prints and colour-blind readers. A report gives each method one style index and
// keeps it in every chart (STYLE habit 13).

public struct ChartStyle: Sendable, Equatable {
  /// A CSS colour ("#1f77b4").
  public var color: String
  /// An SVG stroke-dasharray ("" for solid).
  public var dash: String

  public init(color: String, dash: String) {
    self.color = color
    self.dash = dash
  }

  public static let colors = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf",
  ]
  public static let dashes = [
    "", "7 3", "2 3", "9 3 2 3", "14 4", "4 2 1 2", "1 2", "10 3 2 3 2 3", "5 5", "3 6",
  ]

  /// Style `i` of the palette; past 10 the colours repeat with the next dash patterns, so the
  /// first 100 styles are all distinct.
  public static func palette(_ i: Int) -> ChartStyle {
    let k = ((i % 100) + 100) % 100
    return ChartStyle(color: colors[k % colors.count], dash: dashes[(k + k / colors.count) % dashes.count])
  }
}
