// Plain-text rendering of listings, run details and comparisons, so commands only print.
import Foundation


/// Left-aligned columns separated by two spaces; numbers right-aligned.
public struct TextTable {
  public var header: [String]
  public var rows: [[String]] = []

  public init(header: [String]) { self.header = header }

  public mutating func add(_ row: [String]) { rows.append(row) }

  public func render() -> String {
    var widths = header.map(\.count)
    for r in rows {
      for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) }
    }
    func line(_ cells: [String], isHeader: Bool) -> String {
      var parts: [String] = []
      for (i, c) in cells.enumerated() {
        let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
        let numeric = !isHeader && Double(c) != nil
        parts.append(numeric ? pad + c : c + pad)
      }
      return parts.joined(separator: "  ").replacingOccurrences(
        of: "\\s+$", with: "", options: .regularExpression)
    }
    return ([line(header, isHeader: true)] + rows.map { line($0, isHeader: false) }).joined(separator: "\n")
  }
}

public enum RunFormat {
  static let dateFormatter: DateFormatter = {
    let f = DateFormatter()
    f.dateFormat = "yyyy-MM-dd HH:mm:ss"
    f.locale = Locale(identifier: "en_US_POSIX")
    return f
  }()

  public static func date(_ t: Double?) -> String {
    guard let t else { return "-" }
    return dateFormatter.string(from: Date(timeIntervalSince1970: t))
  }

  public static func duration(_ seconds: Double?) -> String {
    guard let s = seconds, s >= 0, s.isFinite else { return "-" }
    // Int(s) traps beyond Int.max; no one waits a thousand years anyway.
    if s >= 3.2e10 { return "over 1000 years" }
    if s < 60 { return String(format: "%.0fs", s) }
    if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
    return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60)
  }

  /// The run's time over all its attempts (a resumed run restarts `started_at`).
  static func runDuration(_ r: Run, now: Double) -> String { duration(r.totalSeconds(now: now)) }

  public static func listing(_ l: RunListing) -> String {
    let now = Sys.now()
    var t = TextTable(
      header: ["ID", "STATUS", "KIND", "NAME", "EXPERIMENT", "STARTED", "TIME"] + l.extraFields.map(\.label))
    for r in l.runs {
      var row = [
        String(r.id), r.status.rawValue, r.kind, r.name,
        r.experimentId.flatMap { l.experimentNames[$0] } ?? "-",
        date(r.startedAt ?? r.createdAt), runDuration(r, now: now),
      ]
      for f in l.extraFields { row.append(l.extraValues[r.id]?[f.label] ?? "-") }
      t.add(row)
    }
    var out = t.render()
    let shown = l.runs.count
    out += "\n(\(shown) of \(l.totalMatching) matching run\(l.totalMatching == 1 ? "" : "s"))"
    return out
  }

  /// What the run read: its `dataset` and `dataset_path` params ("frames /data/street"; the
  /// synthetic set has no path), and the fingerprint when one was recorded.
  static func datasetText(_ d: RunDetail) -> String {
    let param = { (key: String) in d.params.first { $0.key == key }?.text }
    var parts = [param("dataset"), param("dataset_path")].compactMap { $0 }.filter { !$0.isEmpty }
    if let f = d.run.datasetFingerprint { parts.append("(fingerprint \(f))") }
    return parts.isEmpty ? "-" : parts.joined(separator: " ")
  }

  public static func detail(_ d: RunDetail) -> String {
    let r = d.run
    var lines: [String] = []
    lines.append("run \(r.id)  \(r.name)  [\(r.kind)]  \(r.status.rawValue)")
    lines.append("  experiment   \(d.experiment?.name ?? "-")")
    lines.append("  created      \(date(r.createdAt))")
    let now = Sys.now()
    var time = runDuration(r, now: now)
    if r.resumes > 0 {
      time += " over all attempts (this attempt \(duration(r.attemptSeconds(now: now))), resumed \(r.resumes)×)"
    }
    lines.append("  started      \(date(r.startedAt))   ended \(date(r.endedAt))   time \(time)")
    if r.status == .running {
      lines.append("  heartbeat    \(date(r.heartbeatAt))   worker \(r.worker ?? "-")")
    }
    lines.append("  host         \(r.host)\(r.pid.map { "  pid \($0)" } ?? "")")
    lines.append("  seed         \(r.seed.map(String.init) ?? "-")")
    lines.append("  git commit   \(r.gitCommit ?? "-")")
    lines.append("  dataset      \(datasetText(d))")
    lines.append("  config hash  \(r.configHash)")
    lines.append("  command      \(r.commandLine)")
    if let e = r.error { lines.append("  error        \(e)") }
    if let f = r.resumeFrom { lines.append("  resume from  \(f)") }
    if let step = r.resumedFromStep { lines.append("  resumed at   step \(step) (the checkpoint this attempt continued from)") }
    lines.append("")
    lines.append("lineage")
    if d.ancestors.isEmpty && d.children.isEmpty { lines.append("  (none)") }
    for a in d.ancestors { lines.append("  parent   \(a.id)  \(a.name)  [\(a.kind)]  \(a.status.rawValue)") }
    for c in d.children { lines.append("  child    \(c.id)  \(c.name)  [\(c.kind)]  \(c.status.rawValue)") }
    lines.append("")
    lines.append("config (\(d.params.count) keys)")
    for p in d.params { lines.append("  \(p.key): \(p.text)") }
    lines.append("")
    lines.append("curves")
    if d.summaries.isEmpty {
      lines.append("  (none)")
    } else {
      var t = TextTable(header: [
        "  NAME", "POINTS", "LAST STEP", "LAST", "BEST", "AT STEP", "GOAL", "MIN", "MAX",
      ])
      for s in d.summaries {
        t.add([
          "  " + s.name, String(s.pointsLogged), String(s.lastStep), formatMetric(s.lastValue),
          formatMetric(s.bestValue), String(s.bestStep), s.goal.rawValue, formatMetric(s.minValue),
          formatMetric(s.maxValue),
        ])
      }
      lines.append(t.render())
    }
    if !d.frameScoreGroups.isEmpty {
      lines.append("")
      lines.append("per-frame scores")
      var t = TextTable(header: ["  METHOD", "METRIC", "FRAMES", "MEAN"])
      for g in d.frameScoreGroups {
        t.add(["  " + g.method, g.metric, String(g.count), formatMetric(g.mean)])
      }
      lines.append(t.render())
    }
    lines.append("")
    lines.append("checkpoints")
    if d.checkpoints.isEmpty { lines.append("  (none)") }
    for c in d.checkpoints {
      lines.append(
        "  step \(c.step)  \(c.path)  \(c.bytes) B  sha256 \(c.sha256.isEmpty ? "-" : String(c.sha256.prefix(12)))"
      )
    }
    lines.append("")
    lines.append("artifacts")
    if d.artifacts.isEmpty { lines.append("  (none)") }
    for a in d.artifacts {
      lines.append(
        "  \(a.kind)  \(a.path)  \(a.bytes) B  sha256 \(a.sha256.isEmpty ? "-" : String(a.sha256.prefix(12)))"
      )
    }
    return lines.joined(separator: "\n")
  }
}

extension Registry {
  /// Configs and final/best metrics of runs side by side; with `onlyChanged`, rows whose
  /// values are all equal are left out.
  public func compare(_ ids: [Int64], onlyChanged: Bool) throws -> String {
    let details = try ids.map { try detail($0) }
    var header = ["KEY"]
    for d in details { header.append("run \(d.run.id)") }
    var t = TextTable(header: header)
    func addRow(_ key: String, _ values: [String]) {
      if onlyChanged && Set(values).count <= 1 { return }
      t.add([key] + values)
    }
    addRow("status", details.map { $0.run.status.rawValue })
    addRow("kind", details.map(\.run.kind))
    addRow("experiment", details.map { $0.experiment?.name ?? "-" })
    let keys = Set(details.flatMap { $0.params.map(\.key) }).sorted()
    for k in keys {
      addRow(k, details.map { d in d.params.first { $0.key == k }?.text ?? "-" })
    }
    let names = Set(details.flatMap { $0.summaries.map(\.name) }).sorted()
    for n in names {
      addRow(
        "last." + n,
        details.map { d in d.summaries.first { $0.name == n }.map { formatMetric($0.lastValue) } ?? "-" })
      addRow(
        "best." + n,
        details.map { d in d.summaries.first { $0.name == n }.map { formatMetric($0.bestValue) } ?? "-" })
    }
    if t.rows.isEmpty { return t.render() + "\n(no differences)" }
    return t.render()
  }
}
