// RunPage: one run — status and progress, facts, config, lineage, checkpoints, artifacts
// (images inline, files to download) and a chart per logged series that the script redraws as
// the series grows.

public enum RunPage {
  /// `charts`: one figure per series (LiveChart.figure), in `d.series` order.
  public static func page(_ d: LiveRunPageData, charts: [String]) -> String {
    LiveShell.page(title: "#\(d.run.id) \(d.run.name)", body: body(d, charts: charts), liveScript: true)
  }

  public static func body(_ d: LiveRunPageData, charts: [String]) -> String {
    let e = Markup.escape
    var o = "<div id=\"run-live\" data-src=\"/runs/\(d.run.id)/live\"></div>\n"
    o += "<h1>#\(d.run.id) \(e(d.run.name)) <span class=\"badge \(e(d.run.status))\" id=\"run-status\" "
    o += "data-status=\"\(e(d.run.status))\">\(e(d.run.status))</span></h1>\n"
    o += "<div class=\"progress\" id=\"run-progress\">\(e(d.progress ?? ""))</div>\n"
    // Curves first: what a user watching a run came for.
    o += "<h2>Curves</h2>"
    if d.series.isEmpty { o += "<p class=\"muted\" id=\"no-series\">No series logged yet.</p>" }
    o += "<div class=\"grid\" id=\"charts\">" + charts.joined(separator: "\n") + "</div>\n"

    o += "<div class=\"cols\"><div><h2>Run</h2><table class=\"facts\">"
    o += "<tr><td>kind</td><td>\(e(d.run.kind))</td></tr><tr><td>experiment</td><td>\(e(d.experiment))</td></tr>"
    for (k, v) in d.facts { o += "<tr><td>\(e(k))</td><td class=\"wrap\">\(e(v))</td></tr>" }
    o += "</table>\n<h2>Lineage</h2><table class=\"facts\">"
    if d.ancestors.isEmpty { o += "<tr><td>parent</td><td>none</td></tr>" }
    for (i, a) in d.ancestors.enumerated() {
      o += "<tr><td>\(i == 0 ? "parent" : "ancestor")</td><td>\(LiveShell.runLink(a)) \(e(a.kind)) \(LiveShell.badge(a.status))</td></tr>"
    }
    if d.children.isEmpty { o += "<tr><td>children</td><td>none</td></tr>" }
    for c in d.children {
      o += "<tr><td>child</td><td>\(LiveShell.runLink(c)) \(e(c.kind)) \(LiveShell.badge(c.status))</td></tr>"
    }
    o += "</table></div>\n<div><h2>Checkpoints</h2>" + files(d.checkpoints, empty: "No checkpoints.")
    o += "<h2>Artifacts</h2>" + files(d.artifacts, empty: "No artifacts.")
    o += "</div></div>\n"
    // Images full width under the columns (a column would wrap under the other).
    let images = d.artifacts.filter { $0.isImage && $0.href != nil }
    if !images.isEmpty {
      o += "<div class=\"grid\">"
      for a in images {
        o += "<figure class=\"image\"><img class=\"artifact\" src=\"\(e(a.href!))\" alt=\"\(e(a.label))\"><figcaption class=\"muted\">\(e(a.label))</figcaption></figure>"
      }
      o += "</div>"
    }
    // The config last, in columns: ~100 keys.
    o += "<h2>Config (\(d.config.count) keys)</h2><div class=\"kv config\">"
    for (k, v) in d.config { o += "<div><span class=\"k\">\(e(k))</span> <span class=\"v\">\(e(v))</span></div>" }
    o += "</div>\n"
    return o
  }

  static func files(_ list: [LiveFile], empty: String) -> String {
    if list.isEmpty { return "<p class=\"muted\">\(empty)</p>" }
    var o = "<table><tr><th>kind</th><th>file</th><th>size</th></tr>"
    for f in list {
      let name = f.href.map { "<a href=\"\(Markup.escape($0))\" download>\(Markup.escape(f.label))</a>" }
        ?? "\(Markup.escape(f.label)) <span class=\"muted\">(missing on disk)</span>"
      o += "<tr><td>\(Markup.escape(f.kind))</td><td>\(name)</td><td class=\"num\">\(LiveShell.size(f.bytes))</td></tr>"
    }
    return o + "</table>"
  }
}
