// LiveSite: every route of `lmlab ui`, as a plain function from a request to a response (the
// HTTP server calls it off the event loop; tests and the bench call it directly). Each route
// asks Workbench's live queries for data and Reports' live pages for HTML; registry failures
// become the unavailable page (503), unknown things 404, refused paths 403.
import Foundation
import Reports
import Workbench

public final class LiveSite: Sendable {
  public let registry: LiveRegistry
  public let access: AccessGuard
  /// Rows shown on the runs page (the rest are counted, not listed).
  public let runsLimit: Int

  public init(registry: LiveRegistry, access: AccessGuard, runsLimit: Int = 500) {
    self.registry = registry
    self.access = access
    self.runsLimit = runsLimit
  }

  /// Answers one request. `path` is the raw (still percent-encoded) path, `query` the raw query,
  /// `headers` keyed by lowercased name.
  public func respond(method: String, path: String, query: String?, headers: [String: String]) -> LiveResponse {
    var r: LiveResponse
    switch access.check(method: method, path: path, query: query, headers: headers) {
    case .methodNotAllowed:
      r = .html(ErrorPage.page(status: 405, title: "Method Not Allowed", detail: "\(method): the live view only reads (GET, HEAD)"), status: 405)
      r.headers.append(("Allow", "GET, HEAD"))
    case .unauthorized:
      r = .html(
        ErrorPage.page(status: 401, title: "Unauthorized", detail: "this server needs the token it printed at start: open the URL it printed (?token=…)"),
        status: 401)
    case .setCookie(let location):
      r = .redirect(location)
      r.headers.append(("Set-Cookie", access.cookieHeader))
    case .allowed:
      r = route(path: path, query: Query(query))
    }
    r.headers += [
      ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"),
    ]
    if !r.headers.contains(where: { $0.0 == "Content-Security-Policy" }) {
      // Pages use their own inline style and script only; nothing from the network.
      r.headers.append(("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"))
    }
    if method == "HEAD" { r.body = Data() }
    return r
  }

  /// Query parameters, decoded ('+' is a space).
  struct Query {
    var values: [String: String] = [:]
    init(_ raw: String?) {
      for part in (raw ?? "").split(separator: "&") {
        // `=` alone splits into nothing: skip it (it once crashed the server).
        let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let k = PathGuard.percentDecoded(kv[0], plusIsSpace: true), !k.isEmpty else { continue }
        values[k] = kv.count > 1 ? PathGuard.percentDecoded(kv[1], plusIsSpace: true) ?? "" : ""
      }
    }
    subscript(_ k: String) -> String? { values[k] }
  }

  func route(path: String, query: Query) -> LiveResponse {
    let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    do {
      switch parts.first {
      case nil: return .redirect("/runs")
      case "runs": return try runs(Array(parts.dropFirst()), query: query)
      case "reports": return try reports(path: path)
      case "favicon.ico": return LiveResponse(status: 204, contentType: "image/x-icon", body: Data())
      case "compare" where parts.count == 1: return try compare(query)
      case "sweeps": return try sweeps(Array(parts.dropFirst()))
      default: throw LiveNotFound(what: "\(path): no such page")
      }
    } catch let e as LiveUnavailable {
      var r = LiveResponse.html(UnavailablePage.page(registry: e.registry, reason: e.reason), status: 503)
      r.headers.append(("Retry-After", "5"))
      return r
    } catch let e as LiveNotFound {
      return .html(ErrorPage.page(status: 404, title: "Not Found", detail: e.what), status: 404)
    } catch let e as LiveQueryError {
      let (status, title) = e.kind == .notFound ? (404, "Not Found") : (400, "Bad Request")
      return .html(ErrorPage.page(status: status, title: title, detail: e.message), status: status)
    } catch let e as PathGuard.Refusal {
      switch e {
      case .escapes: return .html(ErrorPage.page(status: 403, title: "Forbidden", detail: e.description), status: 403)
      case .missing: return .html(ErrorPage.page(status: 404, title: "Not Found", detail: e.description), status: 404)
      }
    } catch {
      return .html(ErrorPage.page(status: 500, title: "Internal Server Error", detail: "\(error)"), status: 500)
    }
  }

  /// `/compare?ids=1,2,3[&only_changed=1]`: the runs overlaid, parameters side by side. No ids:
  /// how to choose them (the runs page's checkboxes).
  func compare(_ query: Query) throws -> LiveResponse {
    let text = query["ids"] ?? ""
    if text.isEmpty {
      let hint = "<h1>Compare runs</h1><p>Tick runs on the <a href=\"/runs\">runs page</a> and press "
        + "“compare selected”, or ask for <code>/compare?ids=1,2,3</code>.</p>"
      return .html(LiveShell.page(title: "Compare", body: hint, liveScript: false))
    }
    var ids: [Int64] = []
    for t in text.split(separator: ",") {
      guard let id = Int64(t.trimmingCharacters(in: .whitespaces)), id > 0 else {
        throw LiveQueryError(.badRequest, "compare: '\(t)' in ids=\(text) is not a run id")
      }
      ids.append(id)
    }
    let data = try registry.use { try CompareQueries.data(ids: ids, onlyChanged: query["only_changed"] == "1", registry: $0) }
    return .html(LiveShell.page(title: "Compare", body: ComparePage.body(data), liveScript: true))
  }

  /// `/sweeps`: every sweep with its counts and best trial; `/sweeps/NAME`: one sweep;
  /// `/sweeps/NAME/live`: that sweep's section alone (the page polls it while trials run).
  func sweeps(_ parts: [String]) throws -> LiveResponse {
    switch parts.count {
    case 0:
      let all = try registry.use { try SweepQueries.summaries(registry: $0) }
      return .html(LiveShell.page(title: "Sweeps", body: SweepPage.index(all), liveScript: false))
    case 1, 2 where parts[1] == "live":  // the `where` guards the 2 only
      guard let name = PathGuard.percentDecoded(parts[0]) else { throw LiveNotFound(what: "/sweeps/\(parts[0]): not a sweep name") }
      let data = try registry.use { try SweepQueries.data(name: name, registry: $0) }
      if parts.count == 2 { return .html(SweepPage.section(data)) }
      return .html(LiveShell.page(title: "Sweep \(name)", body: SweepPage.body(data), liveScript: true))
    default:
      throw LiveNotFound(what: "/sweeps/\(parts.joined(separator: "/")): no such page")
    }
  }

  func runs(_ parts: [String], query: Query) throws -> LiveResponse {
    if parts.isEmpty || parts == ["rows"] {
      let pageText = query["page"] ?? "1"
      guard let page = Int(pageText), page >= 1 else {
        throw LiveQueryError(.badRequest, "runs: page=\(pageText) is not a page number (1, 2, …)")
      }
      let table = try registry.use {
        try LiveRunsQueries.table(
          where: query["where"] ?? "", sort: query["sort"] ?? "", limit: runsLimit, page: page, registry: $0)
      }
      return .html(parts.isEmpty ? RunsPage.page(table) : RunsPage.rows(table))
    }
    guard let id = Int64(parts[0]), id > 0 else { throw LiveNotFound(what: "'\(parts[0])' is not a run id") }
    switch Array(parts.dropFirst()) {
    case []:
      let (data, charts) = try registry.use { try LiveRunQueries.page(id, registry: $0) }
      return .html(RunPage.page(data, charts: charts))
    case ["live"]:
      return .json(try registry.use { try LiveRunQueries.status(id, registry: $0) })
    case ["chart"]:
      let name = query["name"] ?? ""
      return .html(try registry.use { try LiveRunQueries.chart(id, name: name, registry: $0) })
    case ["series.csv"]:
      let name = query["name"] ?? ""
      let csv = try registry.use { try LiveRunQueries.seriesCSV(id, name: name, registry: $0) }
      return .csv(csv, filename: "run\(id)-\(name.filter { $0.isLetter || $0.isNumber || $0 == "_" }).csv")
    case let rest where rest.count == 3 && rest[0] == "files":
      let recorded = try registry.use { try LiveRunQueries.recordedFile(id, kind: rest[1], fileId: rest[2], registry: $0) }
      return try recordedFile(recorded, registryRoot: try registry.use { LiveRunQueries.fileRoot($0) })
    default:
      throw LiveNotFound(what: "/runs/\(parts.joined(separator: "/")): no such page")
    }
  }

  /// A checkpoint or artifact: served when its real path lies in the registry's file root or in
  /// the folder it was recorded in (a symbolic link pointing elsewhere is refused).
  func recordedFile(_ path: String, registryRoot: String) throws -> LiveResponse {
    let shown = (path as NSString).lastPathComponent
    var real: String?
    for folder in [registryRoot, (path as NSString).deletingLastPathComponent] {
      guard let realFolder = PathGuard.realPath(folder) else { continue }
      do {
        real = try PathGuard.contained(path, in: realFolder, shown: shown)
        break
      } catch PathGuard.Refusal.missing(let p) {
        throw PathGuard.Refusal.missing(p)
      } catch {}
    }
    guard let real else { throw PathGuard.Refusal.escapes(shown) }
    return try file(real, sandboxed: true)
  }

  /// `/reports` lists the report folders; `/reports/FOLDER/FILE` serves a file inside one.
  func reports(path: String) throws -> LiveResponse {
    let root = try registry.use { LiveRunQueries.fileRoot($0) }
    let entries = LiveReports.list(root: root)
    guard path != "/reports" && path != "/reports/" else { return .html(ReportsPage.page(entries, root: root)) }
    guard let decoded = PathGuard.percentDecoded(String(path.dropFirst("/reports/".count))) else {
      throw PathGuard.Refusal.missing(path)
    }
    // Checked as a whole first (.., absolute, encoded tricks), then the folder it falls in.
    let real = try PathGuard.resolve(decoded, under: root)
    guard let realRoot = PathGuard.realPath(root) else { throw PathGuard.Refusal.missing(decoded) }
    for e in entries {
      let folder = realRoot + "/" + e.path + "/"
      if real.hasPrefix(folder) {
        // A folder asked without its trailing slash: redirect so its relative links work.
        if !decoded.hasSuffix("/") && decoded == e.path { return .redirect("/reports/" + e.path + "/") }
        // Sandboxed like a run's files: a report folder is any folder under the root holding an
        // index.html (a run folder too), so its scripts must not run with this site's rights.
        return try file(real, sandboxed: true)
      }
    }
    throw PathGuard.Refusal.escapes(decoded)
  }

  /// The policy files from the registry's folders are served with: an opaque origin (no
  /// cookie, no request to this site's pages with its rights), no script, images and inline
  /// style only (a report's PNGs and inline SVG charts render).
  static let sandboxPolicy = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"

  /// A file as it is. `sandboxed` (run and report files): scripts in it never run with this
  /// site's rights.
  func file(_ real: String, sandboxed: Bool) throws -> LiveResponse {
    guard let data = FileManager.default.contents(atPath: real) else { throw PathGuard.Refusal.missing((real as NSString).lastPathComponent) }
    var r = LiveResponse(status: 200, contentType: LiveResponse.type(of: real), body: data)
    r.headers.append(("Content-Security-Policy", sandboxed ? LiveSite.sandboxPolicy : "default-src 'self' 'unsafe-inline' data:"))
    return r
  }
}
