// A run's page data for the live view: facts, config, lineage, files (served by id, so a URL
// never carries a path), each series' chart, and the small status document the page polls
// (status, progress with ETA, each series' version) to know which charts to redraw.
import Foundation
import Registry
import Reports

/// What the run page polls: `/runs/ID/live`.
public struct LiveRunStatus: Codable, Sendable {
  public struct Series: Codable, Sendable {
    public var name: String
    /// Changes whenever the series gains or re-logs a point.
    public var version: String
    /// Where its redrawn figure is.
    public var chart: String
  }
  public var status: String
  public var terminal: Bool
  public var progress: String?
  public var series: [Series]
}

public enum LiveRunQueries {
  static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "svg", "webp"]

  public static func page(_ id: Int64, registry: Registry) throws -> (LiveRunPageData, charts: [String]) {
    let d = try registry.detail(id)
    let r = d.run
    let now = Date().timeIntervalSince1970
    var facts: [(String, String)] = [
      ("started", RunFormat.date(r.startedAt ?? r.createdAt)), ("time", RunFormat.duration(r.totalSeconds(now: now))),
      ("ended", RunFormat.date(r.endedAt)), ("host", r.host), ("config hash", String(r.configHash.prefix(16))),
      ("command", r.commandLine),
    ]
    if let s = r.seed { facts.append(("seed", String(s))) }
    if let g = r.gitCommit { facts.append(("git commit", g)) }
    if let step = r.resumedFromStep { facts.append(("resumed from step", String(step))) }
    if r.resumes > 0 { facts.append(("resumes", String(r.resumes))) }
    if let e = r.error { facts.append(("error", e)) }
    for g in d.frameScoreGroups {
      facts.append(("scores \(g.method) \(g.metric)", String(format: "%d frames, mean %.4g", g.count, g.mean)))
    }
    let link = { (x: Run) in LiveRunLink(id: x.id, name: x.name, kind: x.kind, status: x.status.rawValue) }
    let checkpoints = d.checkpoints.map { c in
      LiveFile(
        label: "step \(c.step): \((c.path as NSString).lastPathComponent)", kind: "checkpoint",
        href: FileManager.default.fileExists(atPath: c.path) ? "/runs/\(id)/files/checkpoint/\(c.id)" : nil, bytes: c.bytes,
        isImage: false)
    }
    let artifacts = d.artifacts.sorted { $0.path < $1.path }.map { a in
      LiveFile(
        label: (a.path as NSString).lastPathComponent, kind: a.kind,
        href: FileManager.default.fileExists(atPath: a.path) ? "/runs/\(id)/files/artifact/\(a.id)" : nil, bytes: a.bytes,
        isImage: imageExtensions.contains((a.path as NSString).pathExtension.lowercased()))
    }
    let series = d.summaries.map {
      LiveSeriesInfo(
        name: $0.name, points: $0.pointsLogged, lastStep: $0.lastStep, last: String(format: "%.5g", $0.lastValue),
        best: String(format: "%.5g", $0.bestValue))
    }
    let data = LiveRunPageData(
      run: link(r), experiment: d.experiment?.name ?? "-", facts: facts,
      progress: progress(r, params: d.params, summaries: d.summaries, now: now), config: d.params.map { ($0.key, $0.text) },
      ancestors: d.ancestors.map(link), children: d.children.map(link), checkpoints: checkpoints, artifacts: artifacts,
      series: series)
    let charts = try d.summaries.map { s in try chart(id, name: s.name, version: version(s), registry: registry) }
    return (data, charts)
  }

  /// One series' figure (LiveChart), redrawn from every point.
  public static func chart(_ id: Int64, name: String, registry: Registry) throws -> String {
    guard let s = try registry.summaries(runId: id).first(where: { $0.name == name }) else {
      _ = try registry.run(id)
      throw LiveNotFound(what: "run \(id) has no series '\(name)'")
    }
    return try chart(id, name: name, version: version(s), registry: registry)
  }

  static func chart(_ id: Int64, name: String, version: String, registry: Registry) throws -> String {
    let c = try registry.seriesColumns(runId: id, name: name)
    return LiveChart.figure(runId: id, name: name, steps: c.steps, values: c.values, version: version)
  }

  static func version(_ s: SeriesSummary) -> String { "\(s.pointsLogged)-\(s.lastStep)" }

  /// The JSON the run page polls.
  public static func status(_ id: Int64, registry: Registry) throws -> String {
    let r = try registry.run(id)
    let summaries = try registry.summaries(runId: id)
    let doc = LiveRunStatus(
      status: r.status.rawValue, terminal: r.status.isTerminal,
      progress: progress(r, params: try registry.params(runId: id), summaries: summaries, now: Date().timeIntervalSince1970),
      series: summaries.map {
        .init(name: $0.name, version: version($0), chart: "/runs/\(id)/chart?name=" + RunsPage.percentEncode($0.name))
      })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(doc), as: UTF8.self)
  }

  /// "step 120 of 500 (24%) · 3.1 step/s · ETA 2m03s" while running, from the run's total steps
  /// (its config: `max_steps` for landmarks, `dyn_steps`, `pixel_steps`) and the rate of its
  /// most advanced series since the attempt started; nil when nothing is known.
  static func progress(_ r: Run, params: [Param], summaries: [SeriesSummary], now: Double) -> String? {
    guard let lead = summaries.max(by: { $0.lastStep < $1.lastStep }), lead.lastStep > 0 else { return nil }
    // Recorded values are any double: one beyond Int64 (≥ 9.2e18), negative or NaN is no total
    // (converting it trapped and took the server down).
    let value = { (k: String) -> Int64? in
      guard let v = params.first(where: { $0.key == k })?.number, v.isFinite, v > 0, v < 9.2e18 else { return nil }
      return Int64(v)
    }
    let total: Int64? = [value("max_steps"), value("dyn_steps"), value("pixel_steps")].compactMap { $0 }.first
    let step = lead.lastStep
    var parts = [total.map { "step \(step) of \($0) (\(Int(min(Double(step) / Double($0), 1e6) * 100))%)" } ?? "step \(step)"]
    guard r.status == .running else { return parts.joined() + " · " + r.status.rawValue }
    if let start = r.startedAt, lead.updatedAt > start {
      let done = Double(step) - Double(r.resumedFromStep ?? 0)
      let rate = done / (lead.updatedAt - start)
      if rate > 0 && rate.isFinite {
        parts.append(String(format: "%.2f step/s", rate))
        if let total, total > step { parts.append("ETA " + RunFormat.duration((Double(total) - Double(step)) / rate)) }
      } else {
        parts.append("no rate yet: no ETA")
      }
    } else {
      parts.append("total steps not recorded: no ETA")
    }
    return parts.joined(separator: " · ")
  }

  /// The file a checkpoint or artifact id names, as this process opens it.
  public static func recordedFile(_ id: Int64, kind: String, fileId: String, registry: Registry) throws -> String {
    let d = try registry.detail(id)
    let path: String? =
      kind == "checkpoint"
      ? d.checkpoints.first { $0.id == fileId }?.path : kind == "artifact" ? d.artifacts.first { $0.id == fileId }?.path : nil
    guard let path else { throw LiveNotFound(what: "run \(id) has no \(kind) \(fileId)") }
    return path
  }

  /// `runs show ID --series NAME` as CSV: the exact values behind a chart.
  public static func seriesCSV(_ id: Int64, name: String, registry: Registry) throws -> String {
    try RunQueries.seriesCSV(id, name: name, registry: registry) + "\n"
  }

  /// The registry's file root (where reports are looked for).
  public static func fileRoot(_ registry: Registry) -> String { registry.fileRoot.absolute }
}
