// HTMLSection: one headed part of a report page and the blocks in it — paragraphs, tables,
// inline SVG figures, images by relative path, links to the CSVs beside the page. All text is
// escaped when the page is rendered; only SVG markup the caller made (SVGLineChart, Filmstrip)
// goes in as it is.
import Foundation

public struct HTMLSection: Sendable {
  enum Block: Sendable {
    case paragraph(String)
    case table(header: [String], rows: [[String]], caption: String?)
    case svg(markup: String, caption: String?)
    case image(src: String, alt: String, caption: String?, width: Int?)
    case links([(text: String, href: String)])
    case section(HTMLSection)
  }

  public var title: String
  /// The anchor the page's contents link to.
  public var id: String
  var blocks: [Block] = []

  /// - Parameter id: the anchor; nil derives one from the title ("Worst cases" → "worst-cases").
  public init(_ title: String, id: String? = nil) {
    self.title = title
    self.id = id ?? HTMLSection.slug(title)
  }

  public mutating func paragraph(_ text: String) { blocks.append(.paragraph(text)) }

  /// A table; cells that read as numbers ("0.91", "-3", "0.93 ± 0.02", "12%") are right-aligned,
  /// and so is the header of a column whose filled cells all do.
  public mutating func table(header: [String], rows: [[String]], caption: String? = nil) {
    for r in rows {
      precondition(r.count == header.count, "table row has \(r.count) cells for \(header.count) columns")
    }
    blocks.append(.table(header: header, rows: rows, caption: caption))
  }

  /// SVG markup drawn inline (a leading XML declaration is dropped).
  public mutating func svg(_ markup: String, caption: String? = nil) {
    var m = Substring(markup)
    if m.hasPrefix("<?xml"), let end = m.range(of: "?>") { m = m[end.upperBound...] }
    let trimmed = m.trimmingCharacters(in: .whitespacesAndNewlines)
    precondition(trimmed.hasPrefix("<svg"), "HTMLSection.svg needs SVG markup, got \(trimmed.prefix(40))")
    blocks.append(.svg(markup: trimmed, caption: caption))
  }

  /// An image by a path relative to the page (percent-encoded when rendered).
  public mutating func image(src: String, alt: String, caption: String? = nil, width: Int? = nil) {
    blocks.append(.image(src: src, alt: alt, caption: caption, width: width))
  }

  /// A line of links, e.g. to the CSV files behind a table or plot.
  public mutating func links(_ items: [(text: String, href: String)]) { blocks.append(.links(items)) }

  /// A nested section, headed one level lower.
  public mutating func subsection(_ s: HTMLSection) { blocks.append(.section(s)) }

  /// Lower-case letters, digits and single dashes.
  static func slug(_ s: String) -> String {
    var out = ""
    for u in s.lowercased().unicodeScalars {
      if (u >= "a" && u <= "z") || (u >= "0" && u <= "9") {
        out.unicodeScalars.append(u)
      } else if !out.isEmpty && !out.hasSuffix("-") {
        out += "-"
      }
    }
    while out.hasSuffix("-") { out.removeLast() }
    return out.isEmpty ? "section" : out
  }

  /// Whether a cell reads as a number or numbers joined by ±, with an optional % ("—" and ""
  /// do not count either way: see `table`).
  static func isNumeric(_ cell: String) -> Bool {
    let s = cell.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{2212}", with: "-")
    if s.isEmpty { return false }
    let body = s.hasSuffix("%") ? String(s.dropLast()) : s
    let parts = body.components(separatedBy: "±").map { $0.trimmingCharacters(in: .whitespaces) }
    return parts.allSatisfy { p in
      guard let first = p.first, first.isNumber || first == "-" || first == "+" || first == "." else {
        return ["nan", "inf", "-inf"].contains(p.lowercased())
      }
      return Double(p) != nil
    }
  }

  static func isBlank(_ cell: String) -> Bool {
    let s = cell.trimmingCharacters(in: .whitespaces)
    return s.isEmpty || s == "—" || s == "-"
  }

  /// The section's HTML; `level` is its heading level (2 for a top-level section).
  func render(level: Int) -> String {
    let e = Markup.escape
    let h = Swift.min(level, 6)
    var o = "<section id=\"\(e(id))\">\n<h\(h)>\(e(title))</h\(h)>\n"
    for b in blocks {
      switch b {
      case .paragraph(let t):
        o += "<p>\(e(t))</p>\n"
      case .table(let header, let rows, let caption):
        let numericColumn = header.indices.map { c in
          let filled = rows.map { $0[c] }.filter { !HTMLSection.isBlank($0) }
          return !filled.isEmpty && filled.allSatisfy(HTMLSection.isNumeric)
        }
        o += "<div class=\"wide\"><table>\n"  // a wide table scrolls in its box, not the page
        if let caption { o += "<caption>\(e(caption))</caption>\n" }
        o += "<thead><tr>"
        for (c, name) in header.enumerated() {
          o += numericColumn[c] ? "<th class=\"num\">\(e(name))</th>" : "<th>\(e(name))</th>"
        }
        o += "</tr></thead>\n<tbody>\n"
        for r in rows {
          o += "<tr>"
          for cell in r {
            o += HTMLSection.isNumeric(cell) ? "<td class=\"num\">\(e(cell))</td>" : "<td>\(e(cell))</td>"
          }
          o += "</tr>\n"
        }
        o += "</tbody>\n</table></div>\n"
      case .svg(let markup, let caption):
        o += "<figure>\n\(markup)\n"
        if let caption { o += "<figcaption>\(e(caption))</figcaption>\n" }
        o += "</figure>\n"
      case .image(let src, let alt, let caption, let width):
        let w = width.map { " width=\"\($0)\"" } ?? ""
        o += "<figure>\n<img src=\"\(e(HTMLSection.encodePath(src)))\" alt=\"\(e(alt))\"\(w)>\n"
        if let caption { o += "<figcaption>\(e(caption))</figcaption>\n" }
        o += "</figure>\n"
      case .links(let items):
        o +=
          "<p class=\"links\">"
          + items.map { "<a href=\"\(e(HTMLSection.encodePath($0.href)))\">\(e($0.text))</a>" }.joined(
            separator: " · ") + "</p>\n"
      case .section(let s):
        o += s.render(level: level + 1)
      }
    }
    return o + "</section>\n"
  }

  /// A relative path as a URL path: spaces, #, ? and non-ASCII percent-encoded, / kept.
  static func encodePath(_ path: String) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: "?#;")
    return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
  }
}
