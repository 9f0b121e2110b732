// LiveMarkup: what the live pages (`lmlab ui`'s compare and sweep pages) share — their CSS, a
// status badge, links to a run and a sweep with names percent-encoded into the path, and
// number formats. Every name and value goes through Markup.escape.
import Foundation

public enum LiveMarkup {
  /// Styles the compare and sweep bodies rely on (badges, the parameter table's highlight,
  /// chart grids); each body carries them in a <style> so it renders the same in any shell.
  public static let css = """
    .lv-badge{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:600;color:#fff;background:#7f7f7f}
    .lv-badge.status-finished{background:#2e7d32}.lv-badge.status-running{background:#ef6c00}
    .lv-badge.status-failed{background:#c62828}.lv-badge.status-interrupted{background:#6d4c41}
    .lv-badge.status-queued{background:#78909c}
    .lv-table{border-collapse:collapse;margin:8px 0;font-size:14px}
    .lv-table th,.lv-table td{border-bottom:1px solid #e3e3e3;padding:3px 10px;text-align:left;vertical-align:top}
    .lv-table th{border-bottom:2px solid #bbb}.lv-table .num{text-align:right;font-variant-numeric:tabular-nums}
    .lv-table tr.changed td{background:#fff6d6}.lv-table tr.changed td:first-child{font-weight:600}
    .lv-table tr.best td{background:#e3f2e5;font-weight:600}.lv-table td.missing{color:#999}
    .lv-swatch{display:inline-block;width:22px;height:0;border-top:3px solid;vertical-align:middle;margin-right:6px}
    .lv-charts{display:flex;flex-wrap:wrap;gap:8px 16px}.lv-charts figure{margin:0;max-width:100%}
    .lv-charts svg{max-width:100%;height:auto;display:block}
    .lv-note{color:#555;font-size:14px}.lv-best{border-left:4px solid #2e7d32;padding:4px 10px;background:#f3faf4}
    """

  static let e = Markup.escape

  /// `<span class="lv-badge status-finished">finished</span>`.
  static func badge(_ status: String) -> String {
    let cls =
      status.unicodeScalars.allSatisfy { CharacterSet.lowercaseLetters.contains($0) }
      ? " status-\(status)" : ""
    return "<span class=\"lv-badge\(cls)\">\(e(status))</span>"
  }

  /// A link to the run's page.
  static func runLink(_ id: Int64, _ text: String? = nil) -> String {
    "<a href=\"/runs/\(id)\">\(e(text ?? "run \(id)"))</a>"
  }

  /// A path segment with everything but unreserved characters percent-encoded (a name with
  /// "/", "?", "#" or quotes stays one segment).
  static func segment(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
  }

  /// A link to the sweep's page.
  static func sweepLink(_ name: String) -> String {
    "<a href=\"/sweeps/\(e(segment(name)))\">\(e(name))</a>"
  }

  /// A value for a table cell: 4 decimals below 100, 1 above; "—" for none.
  static func value(_ v: Double?) -> String {
    guard let v, v.isFinite else { return "—" }
    return String(format: abs(v) >= 100 ? "%.1f" : "%.4f", v)
  }

  /// A table: header and rows of already-escaped cell markup; `rowClass` per row.
  static func table(
    _ header: [String], _ rows: [[String]], rowClass: [String?]? = nil, numeric: Set<Int> = []
  ) -> String {
    var o = "<div class=\"wide\"><table class=\"lv-table\"><thead><tr>"
    for (i, h) in header.enumerated() {
      o += "<th\(numeric.contains(i) ? " class=\"num\"" : "")>\(e(h))</th>"
    }
    o += "</tr></thead><tbody>\n"
    for (k, r) in rows.enumerated() {
      let cls = rowClass?[k].map { " class=\"\(e($0))\"" } ?? ""
      o +=
        "<tr\(cls)>"
        + r.enumerated().map {
          "<td\(numeric.contains($0.offset) ? " class=\"num\"" : "")>\($0.element)</td>"
        }.joined() + "</tr>\n"
    }
    return o + "</tbody></table></div>\n"
  }
}
