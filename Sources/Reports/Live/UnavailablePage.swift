// UnavailablePage and ErrorPage: what the view shows instead of a page — the registry cannot be
// read now (locked, being migrated, newer, unreachable: 503, and the page retries by itself), or
// a plain HTTP error (401, 403, 404, 405) with its reason.

public enum UnavailablePage {
  /// `reason`: the registry error's message (escaped here).
  public static func page(registry: String, reason: String, retrySeconds: Int = 5) -> String {
    var o = "<h1>The registry is unavailable</h1>"
    o += "<p>The live view cannot read <code>\(Markup.escape(registry))</code> right now. It keeps running and "
    o += "tries again at every request; this page reloads every \(retrySeconds) s.</p>"
    o += "<div class=\"error\" id=\"unavailable-reason\">\(Markup.escape(reason))</div>"
    o += "<script>setTimeout(function(){location.reload();},\(retrySeconds * 1000));</script>"
    return LiveShell.page(title: "Registry unavailable", body: o, liveScript: false)
  }
}

public enum ErrorPage {
  public static func page(status: Int, title: String, detail: String) -> String {
    let body = "<h1>\(status) \(Markup.escape(title))</h1><p class=\"error\">\(Markup.escape(detail))</p><p><a href=\"/runs\">Runs</a></p>"
    return LiveShell.page(title: "\(status) \(title)", body: body, liveScript: false)
  }
}
