// HTMLReport: a self-contained index.html — inline CSS, no scripts, nothing fetched from the
// network; images and CSVs are files beside it referenced by relative path.

public struct HTMLReport: Sendable {
  public var title: String
  /// A line under the title (what was compared, when, by which command).
  public var subtitle: String?
  public private(set) var sections: [HTMLSection] = []

  public init(title: String, subtitle: String? = nil) {
    self.title = title
    self.subtitle = subtitle
  }

  public mutating func add(_ section: HTMLSection) { sections.append(section) }

  /// The page: title, a contents list linking the sections, the sections.
  public func render() -> String {
    let e = Markup.escape
    var o = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(e(title))</title>
      <style>\(HTMLReport.css)</style>
      </head>
      <body>
      <header><h1>\(e(title))</h1>

      """
    if let subtitle { o += "<p class=\"subtitle\">\(e(subtitle))</p>\n" }
    o += "</header>\n"
    if sections.count > 1 {
      o +=
        "<nav><ul>" + sections.map { "<li><a href=\"#\(e($0.id))\">\(e($0.title))</a></li>" }.joined()
        + "</ul></nav>\n"
    }
    o += "<main>\n"
    for s in sections { o += s.render(level: 2) }
    o += "</main>\n</body>\n</html>\n"
    return o
  }

  /// Writes the page atomically.
  public func write(to path: String) throws { try writeReportFile(render(), to: path) }

  static let css = """
    body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:24px auto;max-width:1280px;padding:0 16px;line-height:1.4}
    h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
    h3{font-size:16px;margin-top:24px}.subtitle{color:#555;margin:0}
    nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
    .wide{overflow-x:auto;max-width:100%}table{border-collapse:collapse;margin:12px 0;font-size:14px}
    caption{text-align:left;color:#555;padding-bottom:4px;caption-side:top}
    th,td{border-bottom:1px solid #e3e3e3;padding:4px 10px;text-align:left;vertical-align:top}
    th{border-bottom:2px solid #bbb}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
    figure{margin:16px 0}figure svg,figure img{max-width:100%;height:auto;display:block}
    figcaption{color:#555;font-size:14px;margin-top:4px;max-width:900px}
    .links{font-size:14px}a{color:#1f5fa8}
    """
}
