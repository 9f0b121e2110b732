// ReportsPage: the report folders the view serves (each opens its index.html as written).

public enum ReportsPage {
  /// `root`: where the folders were looked for (shown so a user knows where to put reports).
  public static func page(_ entries: [LiveReportEntry], root: String) -> String {
    var o = "<h1>Reports</h1><p class=\"muted\">Report folders (an <code>index.html</code>) under "
    o += "<code>\(Markup.escape(root))</code>, the registry's folder, served as they are.</p>"
    if entries.isEmpty {
      o += "<p id=\"no-reports\">No report folders found. <code>lmlab report … --out DIR</code> with DIR under the registry's folder puts one here.</p>"
    } else {
      o += "<table class=\"reports\"><tr><th>report</th><th>title</th><th>modified</th><th>files</th></tr>"
      for r in entries {
        let href = "/reports/" + r.path.split(separator: "/").map { RunsPage.percentEncode(String($0)) }.joined(separator: "/") + "/"
        o += "<tr><td><a href=\"\(Markup.escape(href))\">\(Markup.escape(r.path))</a></td><td>\(Markup.escape(r.title))</td>"
        o += "<td>\(Markup.escape(r.modified))</td><td class=\"num\">\(r.files)</td></tr>"
      }
      o += "</table>"
    }
    return LiveShell.page(title: "Reports", body: o, liveScript: false)
  }
}
