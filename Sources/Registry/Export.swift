// CSV export of a filtered set of runs: runs, params, full series, summaries, per-frame
// scores, checkpoints and artifacts, one file each, streamed (no table is held in memory).
// The folder is written whole (SafeIO's OutputFolder): staged beside it and renamed into place;
// an existing folder is replaced only when it is empty, an earlier export, or `force`.
import Foundation
import SafeIO

public struct ExportReport: Sendable {
  /// File name → data rows written (header excluded).
  public var rows: [(file: String, count: Int)]
}

extension Registry {
  /// Writes `runs.csv`, `params.csv`, `series.csv`, `summaries.csv`, `frame_scores.csv`,
  /// `checkpoints.csv`, `artifacts.csv` as the folder `directory` (see the header for when an
  /// existing one is replaced).
  public func exportCSV(filter: WhereExpr?, to directory: String, force: Bool = false) throws -> ExportReport {
    var report = ExportReport(rows: [])
    _ = try OutputFolder.write(to: directory, command: "runs export", option: "--csv", force: force, policy: .replaceOwn) { folder in
      report = try exportTables(filter: filter, to: folder.staging)
    }
    return report
  }

  private func exportTables(filter: WhereExpr?, to directory: String) throws -> ExportReport {
    try read { c in
      if let f = filter { try Registry.checkFieldsExist(c, f.fields) }
      var cond = "1 = 1"
      var args: [Any?] = []
      if let f = filter { (cond, args) = try f.sql() }
      // Matching ids are inlined (integers from the database, not user text) into each query.
      let ids = try c.ints("SELECT r.id FROM runs r WHERE \(cond) ORDER BY r.id", sqlValues(args))
      let inIds = sqlIdList(ids)
      let tables: [(String, String)] = [
        (
          "runs.csv",
          """
          SELECT r.id, e.name AS experiment, r.name, r.kind, r.status, r.parent_id, r.seed, r.config_hash,
            r.git_commit, r.dataset_fingerprint, r.host, r.pid, r.command_line, r.created_at, r.started_at,
            r.ended_at, r.heartbeat_at, r.error, r.resume_from, r.earlier_seconds, r.resumes, r.resumed_from_step, r.config_json
          FROM runs r LEFT JOIN experiments e ON e.id = r.experiment_id WHERE r.id IN \(inIds) ORDER BY r.id
          """
        ),
        (
          "params.csv",
          "SELECT run_id, key, kind, text AS value FROM params WHERE run_id IN \(inIds) ORDER BY run_id, key"
        ),
        (
          "series.csv",
          "SELECT run_id, name, step, value, time FROM series_points WHERE run_id IN \(inIds) ORDER BY run_id, name, step"
        ),
        (
          "summaries.csv",
          """
          SELECT run_id, name, goal, points_logged, last_step, last_value, min_step, min_value, max_step, max_value
          FROM series_summaries WHERE run_id IN \(inIds) ORDER BY run_id, name
          """
        ),
        (
          "frame_scores.csv",
          """
          SELECT run_id, method, sequence, frame, frame_index, metric, value FROM frame_scores WHERE run_id IN \(inIds)
          ORDER BY run_id, method, sequence, frame, metric
          """
        ),
        (
          "checkpoints.csv",
          "SELECT run_id, step, path, sha256, bytes, created_at FROM checkpoints WHERE run_id IN \(inIds) ORDER BY run_id, step"
        ),
        (
          "artifacts.csv",
          "SELECT run_id, kind, path, sha256, bytes, created_at FROM artifacts WHERE run_id IN \(inIds) ORDER BY run_id, path"
        ),
      ]
      var report = ExportReport(rows: [])
      for (file, sql) in tables {
        let n = try Registry.writeCSV(c, sql: sql, to: (directory as NSString).appendingPathComponent(file))
        report.rows.append((file, n))
      }
      return report
    }
  }

  /// Writes one table into the export's staging folder (the folder is moved into place whole,
  /// so the file itself needs no temporary name).
  static func writeCSV(_ c: SQLConnection, sql: String, to path: String) throws -> Int {
    guard FileManager.default.createFile(atPath: path, contents: nil), let fh = FileHandle(forWritingAtPath: path) else {
      throw RegistryError.cannotOpen(path: path, detail: "not writable")
    }
    defer { try? fh.close() }
    return try streamCSV(c, sql: sql, to: fh)
  }

  private static func streamCSV(_ c: SQLConnection, sql: String, to fh: FileHandle) throws -> Int {
    var out = csvHeader(of: sql).map(csvField).joined(separator: ",") + "\n"
    var count = 0
    try c.forEachRow(sql, []) { row in
      var cells: [String] = []
      for v in row.values {
        switch v {
        case .null: cells.append("")
        case .int(let n): cells.append(String(n))
        case .double(let d): cells.append("\(d)")
        case .text(let s): cells.append(csvField(s))
        }
      }
      out += cells.joined(separator: ",") + "\n"
      count += 1
      if out.utf8.count > 1 << 20 {
        try fh.write(contentsOf: Data(out.utf8))
        out = ""
      }
    }
    try fh.write(contentsOf: Data(out.utf8))
    return count
  }
}

/// Column names of a `SELECT a, t.b, c AS d FROM ...` (the header even when no row matches):
/// the alias, else the name after the last dot.
func csvHeader(of sql: String) -> [String] {
  guard let select = sql.range(of: "SELECT "), let from = sql.range(of: " FROM ", range: select.upperBound..<sql.endIndex)
  else { return [] }
  return sql[select.upperBound..<from.lowerBound].split(separator: ",").map { item in
    let words = item.split(whereSeparator: { $0 == " " || $0 == "\n" })
    let name = words.count >= 3 && words[words.count - 2].uppercased() == "AS" ? words.last! : words.last ?? ""
    return String(name.split(separator: ".").last ?? "")
  }
}

/// RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled.
public func csvField(_ s: String) -> String {
  // Per scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
  if s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
  return s
}
