// RunsPage: the `runs list` table in the browser — a `--where` filter box, headers that sort,
// status badges the script refreshes, the params that differ between the runs shown, and boxes
// to pick runs for the Compare page.

public enum RunsPage {
  /// The fixed columns, with the `--sort` field each header sorts by.
  static let fixed: [(label: String, field: String?)] = [
    ("", nil), ("ID", "id"), ("status", "status"), ("kind", "kind"), ("name", "name"), ("experiment", "experiment"),
    ("started", nil), ("time", nil),
  ]

  public static func page(_ t: LiveRunsTable) -> String {
    LiveShell.page(title: "Runs", body: body(t), liveScript: true)
  }

  public static func body(_ t: LiveRunsTable) -> String {
    var o = "<h1>Runs</h1>\n<form class=\"filter\" method=\"get\" action=\"/runs\">"
    o += "<input type=\"text\" name=\"where\" value=\"\(Markup.escape(t.filter))\" "
    o += "placeholder=\"--where, e.g. status=finished and n_landmarks=30 and metric.loss&lt;0.1\">"
    if !t.sort.isEmpty { o += "<input type=\"hidden\" name=\"sort\" value=\"\(Markup.escape(t.sort))\">" }
    o += "<input type=\"submit\" value=\"filter\"><button type=\"button\" id=\"compare-selected\">compare selected</button></form>\n"
    if let e = t.error { o += "<div class=\"error\" id=\"filter-error\">\(Markup.escape(e))</div>\n" }
    o += "<p class=\"muted\" id=\"runs-count\">" + countText(t)
    o += ". Param columns: the values that differ between the runs shown.</p>\n"
    let pager = pager(t)
    o += pager
    o += "<table class=\"runs\"><thead><tr>"
    for c in fixed { o += "<th>" + header(c.label, field: c.field, t) + "</th>" }
    for c in t.columns { o += "<th>" + header(c, field: c, t) + "</th>" }
    o += "</tr></thead>\n"
    o += "<tbody id=\"runs-body\" data-src=\"\(Markup.escape(rowsURL(t)))\">" + rows(t) + "</tbody></table>\n"
    return o + pager
  }

  /// "runs 501–1000 of 10000 matching (page 2 of 20)"; all on one page: "12 of 12 matching runs".
  static func countText(_ t: LiveRunsTable) -> String {
    let runs = "run\(t.totalMatching == 1 ? "" : "s")"
    if t.offset == 0 && t.rows.count == t.totalMatching { return "\(t.rows.count) of \(t.totalMatching) matching \(runs)" }
    if t.rows.isEmpty { return "none of \(t.totalMatching) matching \(runs) on page \(t.page) (there are \(t.pageCount))" }
    return "\(runs) \(t.offset + 1)–\(t.offset + t.rows.count) of \(t.totalMatching) matching (page \(t.page) of \(t.pageCount))"
  }

  /// Previous / next links keeping the filter and sort; nothing when one page holds them all.
  static func pager(_ t: LiveRunsTable) -> String {
    guard t.pageCount > 1 || t.page > 1 else { return "" }
    func link(_ page: Int, _ label: String, _ cls: String) -> String {
      "<a class=\"\(cls)\" href=\"\(Markup.escape(query(where: t.filter, sort: t.sort, page: page, path: "/runs")))\">\(label)</a>"
    }
    var parts: [String] = []
    if t.page > 1 { parts.append(link(1, "« first", "first")); parts.append(link(min(t.page - 1, t.pageCount), "‹ previous", "prev")) }
    parts.append("page \(t.page) of \(t.pageCount)")
    if t.page < t.pageCount { parts.append(link(t.page + 1, "next ›", "next")); parts.append(link(t.pageCount, "last »", "last")) }
    return "<p class=\"pager\">" + parts.joined(separator: " · ") + "</p>\n"
  }

  /// The table's rows alone (what the page polls).
  public static func rows(_ t: LiveRunsTable) -> String {
    var o = ""
    for r in t.rows {
      o += "<tr data-run=\"\(r.run.id)\"><td><input type=\"checkbox\" class=\"pick\" value=\"\(r.run.id)\"></td>"
      o += "<td class=\"num\"><a href=\"/runs/\(r.run.id)\">\(r.run.id)</a></td>"
      o += "<td>" + LiveShell.badge(r.run.status) + "</td>"
      o += "<td>\(Markup.escape(r.run.kind))</td><td><a href=\"/runs/\(r.run.id)\">\(Markup.escape(r.run.name))</a></td>"
      o += "<td>\(Markup.escape(r.experiment))</td><td>\(Markup.escape(r.started))</td><td class=\"num\">\(Markup.escape(r.time))</td>"
      for c in r.cells { o += "<td class=\"num\">\(Markup.escape(c))</td>" }
      o += "</tr>\n"
    }
    return o
  }

  /// A header that sorts by `field`, descending first; clicking the current sort flips it.
  static func header(_ label: String, field: String?, _ t: LiveRunsTable) -> String {
    guard let field else { return Markup.escape(label) }
    let current = t.sort.split(separator: ",").first.map(String.init) ?? ""
    let next = current == "-" + field ? field : "-" + field
    let arrow = current == field ? " ▲" : current == "-" + field ? " ▼" : ""
    return "<a href=\"\(Markup.escape(query(where: t.filter, sort: next, path: "/runs")))\">\(Markup.escape(label))\(arrow)</a>"
  }

  static func rowsURL(_ t: LiveRunsTable) -> String { query(where: t.filter, sort: t.sort, page: t.page, path: "/runs/rows") }

  /// A link keeping the filter and sort; a new sort starts again at page 1 (the default).
  static func query(where w: String, sort: String, page: Int = 1, path: String) -> String {
    var parts: [String] = []
    if !w.isEmpty { parts.append("where=" + percentEncode(w)) }
    if !sort.isEmpty { parts.append("sort=" + percentEncode(sort)) }
    if page > 1 { parts.append("page=\(page)") }
    return parts.isEmpty ? path : path + "?" + parts.joined(separator: "&")
  }

  /// Everything but unreserved characters percent-encoded (a query value).
  public static func percentEncode(_ s: String) -> String {
    var o = ""
    for b in s.utf8 {
      switch b {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
        UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
        o.unicodeScalars.append(Unicode.Scalar(b))
      default:
        o += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 15, radix: 16, uppercase: true)
      }
    }
    return o
  }
}
