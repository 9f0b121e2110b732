// Filmstrip: a worst-case gallery strip — the ground-truth frames in the top row, one row per
// method below, composed into one PNG with Imaging's `filmstrip` (one call per row). Imaging
// draws no text, so row labels, frame indices and per-frame scores are SVG text laid over the
// PNG at positions taken from the composition (`FilmstripImage.svgFigure`); the same numbers go
// into a table (`scoreTable`) and the report's CSV.
import Foundation
import Imaging

/// One row: a label and one frame per column (nil = no frame, drawn as a grey cell).
public struct FilmstripRow: Sendable, Equatable {
  public var label: String
  /// PNG paths.
  public var frames: [String?]
  /// One score per frame shown under it (nil = none); empty for a row without scores.
  public var scores: [Double?]

  public init(label: String, frames: [String?], scores: [Double?] = []) {
    precondition(
      scores.isEmpty || scores.count == frames.count,
      "row \(label): \(scores.count) scores for \(frames.count) frames")
    self.label = label
    self.frames = frames
    self.scores = scores
  }
}

public struct Filmstrip: Sendable {
  /// Above each column ("t+1", "3", …); empty for none.
  public var columnLabels: [String]
  public var groundTruth: FilmstripRow
  public var methods: [FilmstripRow]
  /// Nearest-neighbour upscale of every frame (64 px frames read better at 2).
  public var scale: Int
  /// Decimals of the scores under the frames.
  public var scoreDecimals: Int
  /// What the scores are ("LPIPS"), shown in grey beside each row's scores.
  public var scoreName: String?

  public init(
    columnLabels: [String] = [], groundTruth: FilmstripRow, methods: [FilmstripRow], scale: Int = 1,
    scoreDecimals: Int = 3,
    scoreName: String? = nil
  ) {
    precondition(scale >= 1, "filmstrip scale \(scale)")
    self.columnLabels = columnLabels
    self.groundTruth = groundTruth
    self.methods = methods
    self.scale = scale
    self.scoreDecimals = scoreDecimals
    self.scoreName = scoreName
  }

  var rows: [FilmstripRow] { [groundTruth] + methods }

  /// Loads the frames and composes the strip.
  /// - Throws: `ImagingError` naming a PNG that cannot be read.
  public func compose() throws -> FilmstripImage {
    let rows = self.rows
    let columns = Swift.max(rows.map(\.frames.count).max() ?? 0, columnLabels.count, 1)
    var loaded: [[RGBImage?]] = []
    for r in rows {
      loaded.append(try r.frames.map { path in try path.map { try readPNG($0).clamped().upscaled(scale) } })
    }
    let all = loaded.flatMap { $0.compactMap { $0 } }
    let cw = all.map(\.width).max() ?? 32 * scale
    let ch = all.map(\.height).max() ?? 32 * scale
    let gap = 2
    // Every cell at one size, so the rows' columns line up.
    let missing = RGBImage(width: cw, height: ch, fill: (0.85, 0.85, 0.85))
    func cell(_ im: RGBImage?) -> RGBImage {
      guard let im else { return missing }
      if im.width == cw && im.height == ch { return im }
      var c = RGBImage(width: cw, height: ch, fill: (1, 1, 1))
      c.paste(im, x: 0, y: 0)
      return c
    }
    // Only rows with scores get a band for them, so the ground truth sits close to the methods.
    let scoreBands = rows.map { $0.scores.isEmpty ? 0 : 16 }
    // A wider gap under the ground truth separates it from the methods.
    let groundTruthGap = 6
    let strips = loaded.map { r in
      Imaging.filmstrip((0..<columns).map { cell($0 < r.count ? r[$0] : nil) }, columns: columns, gap: gap)
    }
    let stripHeight = ch + 2 * gap
    var rowTops: [Int] = []
    var y = 0
    for i in strips.indices {
      rowTops.append(y)
      y += stripHeight + scoreBands[i] + (i == 0 ? groundTruthGap : 0)
    }
    var sheet = RGBImage(width: strips[0].width, height: y, fill: (1, 1, 1))
    for (i, s) in strips.enumerated() { sheet.paste(s, x: 0, y: rowTops[i]) }
    let layout = FilmstripLayout(
      cellWidth: cw, cellHeight: ch, gap: gap, columns: columns,
      frameTops: rowTops.map { $0 + gap }, scoreBands: scoreBands)
    return FilmstripImage(image: sheet, layout: layout, strip: self)
  }
}

/// Where the frames sit in the composed PNG (pixels).
public struct FilmstripLayout: Sendable, Equatable {
  public var cellWidth: Int, cellHeight: Int, gap: Int, columns: Int
  /// y of each row's frames (ground truth first).
  public var frameTops: [Int]
  /// Height of the blank band under each row where its scores go (0 for a row without).
  public var scoreBands: [Int]

  /// x of column `c`'s frames.
  public func frameLeft(_ c: Int) -> Int { gap + c * (cellWidth + gap) }
}

public struct FilmstripImage: Sendable {
  public var image: RGBImage
  public var layout: FilmstripLayout
  public var strip: Filmstrip

  public func writePNG(to path: String) throws { try Imaging.writePNG(image, to: path) }

  /// Inline SVG showing the PNG at `href` (relative to the page) with row labels to its left,
  /// column labels above and each score under its frame.
  public func svgFigure(href: String, title: String = "") -> String {
    let n = Markup.number
    let l = layout
    let rows = strip.rows
    let font = 12.0
    let labelWidth =
      (rows.map { ChartFont.width($0.label, size: font) } + [ChartFont.width(strip.scoreName ?? "", size: 11)])
      .max()! + 14
    let header = strip.columnLabels.isEmpty ? 0.0 : 18.0
    let w = n(labelWidth + Double(image.width))
    let h = n(header + Double(image.height))
    var o = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"filmstrip\" width=\"\(w)\" height=\"\(h)\" "
    o += "viewBox=\"0 0 \(w) \(h)\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"\(n(font))\" "
    o += "role=\"img\" aria-label=\"\(Markup.escape(title))\">\n"
    if !title.isEmpty { o += Markup.element("title", [:], text: title) + "\n" }
    // Upscaled frames stay crisp: the browser must not smooth them again.
    o +=
      Markup.element(
        "image",
        [
          "href": HTMLSection.encodePath(href), "x": n(labelWidth), "y": n(header), "width": "\(image.width)",
          "height": "\(image.height)", "style": "image-rendering:pixelated",
        ]) + "\n"
    func columnCentre(_ c: Int) -> String { n(labelWidth + Double(l.frameLeft(c)) + Double(l.cellWidth) / 2) }
    for (c, text) in strip.columnLabels.enumerated() where c < l.columns {
      o +=
        Markup.element(
          "text",
          [
            "class": "column-label", "x": columnCentre(c), "y": "13", "text-anchor": "middle",
            "fill": "#444444",
          ], text: text) + "\n"
    }
    for (r, row) in rows.enumerated() {
      let top = header + Double(l.frameTops[r])
      o +=
        Markup.element(
          "text",
          [
            "class": "row-label", "x": n(labelWidth - 8), "y": n(top + Double(l.cellHeight) / 2),
            "dy": "0.35em",
            "text-anchor": "end", "font-weight": r == 0 ? "bold" : "normal",
          ], text: row.label) + "\n"
      let scoreY = n(top + Double(l.cellHeight + l.gap + l.scoreBands[r]) - 3)
      if let name = strip.scoreName, !row.scores.isEmpty {
        o +=
          Markup.element(
            "text",
            [
              "class": "score-name", "x": n(labelWidth - 8), "y": scoreY, "text-anchor": "end",
              "font-size": "11",
              "fill": "#666666",
            ], text: name) + "\n"
      }
      for (c, s) in row.scores.enumerated() {
        guard let s, c < l.columns else { continue }
        o +=
          Markup.element(
            "text",
            [
              "class": "score", "x": columnCentre(c), "y": scoreY, "text-anchor": "middle", "font-size": "11",
            ], text: score(s)) + "\n"
      }
    }
    return o + "</svg>\n"
  }

  /// The scores as a table (header: "row" and the column labels), for the page and the CSV.
  public func scoreTable() -> (header: [String], rows: [[String]]) {
    let cols = layout.columns
    let header =
      ["row"] + (0..<cols).map { $0 < strip.columnLabels.count ? strip.columnLabels[$0] : "\($0 + 1)" }
    let rows = strip.rows.filter { !$0.scores.isEmpty }.map { r in
      [r.label] + (0..<cols).map { c in c < r.scores.count ? r.scores[c].map(score) ?? "" : "" }
    }
    return (header, rows)
  }

  func score(_ v: Double) -> String { v.isFinite ? String(format: "%.\(strip.scoreDecimals)f", v) : "\(v)" }
}
