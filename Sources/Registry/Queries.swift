// Read side of the registry: filtered listings, one run's full detail, side-by-side
// comparison data, and deleting a run with its files.
import Foundation

/// A page of runs matching a filter, plus the values of the fields the filter and sort named.
public struct RunListing: Sendable {
  public var runs: [Run]
  /// Runs matching the filter before `limit`.
  public var totalMatching: Int
  public var experimentNames: [Int64: String]
  /// Extra columns (param keys and metric fields) shown next to the fixed ones.
  public var extraFields: [WhereField]
  /// extraValues[runId][field.label] = text.
  public var extraValues: [Int64: [String: String]]
}

public struct RunDetail: Sendable {
  public var run: Run
  public var experiment: Experiment?
  public var params: [Param]
  /// Ancestors, nearest first.
  public var ancestors: [Run]
  public var children: [Run]
  public var summaries: [SeriesSummary]
  public var checkpoints: [Checkpoint]
  public var artifacts: [Artifact]
  /// (method, metric, frames, mean) for the run's per-frame scores.
  public var frameScoreGroups: [(method: String, metric: String, count: Int, mean: Double)]
}

extension Registry {
  /// Runs matching `filter`, sorted by `sort` (default newest first), at most `limit`
  /// (0 = all) after skipping `offset` of them (a page; only with a limit). Fields the filter
  /// names that no run has are an error naming the nearest.
  public func listRuns(
    filter: WhereExpr? = nil, sort: [SortKey] = [], limit: Int = 50, offset: Int = 0, extraFields: [WhereField] = []
  ) throws -> RunListing {
    try read { c in
      try Registry.checkFieldsExist(c, (filter?.fields ?? []) + sort.map(\.field) + extraFields)
      // Rank ids only (a page of full rows is fetched after), so the sort never carries
      // config JSON; sort values are selected once under aliases. Portable SQL.
      var inner = ["r.id AS id"]
      var args: [Any?] = []
      var order: [String] = []
      for (i, k) in sort.enumerated() {
        var aliases: [String] = []
        for (j, (expr, a)) in k.valueSQL().enumerated() {
          inner.append("\(expr) AS s\(i)_\(j)")
          aliases.append("s\(i)_\(j)")
          args += a
        }
        order.append(k.orderSQL(aliases: aliases))
      }
      order.append("id DESC")
      var sql =
        "SELECT id, COUNT(*) OVER () AS total_matching FROM (SELECT " + inner.joined(separator: ", ")
        + " FROM runs r"
      if let f = filter {
        let (cond, a) = try f.sql()
        sql += " WHERE " + cond
        args += a
      }
      sql += ") t ORDER BY " + order.joined(separator: ", ")
      if limit > 0 {
        sql += " LIMIT ?"
        args.append(limit)
        if offset > 0 {
          sql += " OFFSET ?"
          args.append(offset)
        }
      }
      var total = 0
      var ids: [Int64] = []
      try c.forEachRow(sql, sqlValues(args)) { row in
        total = Int(try row.int("total_matching"))
        ids.append(try row.int("id"))
      }
      // A page past the end has no rows to carry the window count: count alone.
      if ids.isEmpty && offset > 0 && limit > 0 {
        var countSQL = "SELECT COUNT(*) AS n FROM runs r"
        var countArgs: [Any?] = []
        if let f = filter {
          let (cond, a) = try f.sql()
          countSQL += " WHERE " + cond
          countArgs = a
        }
        try c.forEachRow(countSQL, sqlValues(countArgs)) { row in total = Int(try row.int("n")) }
      }
      var byID: [Int64: Run] = [:]
      for chunk in stride(from: 0, to: ids.count, by: 500) {
        for r in try c.fetch(Run.self, "WHERE id IN " + sqlIdList(ids[chunk..<min(chunk + 500, ids.count)])) {
          byID[r.id] = r
        }
      }
      let runs = ids.compactMap { byID[$0] }
      // Show the fields the user filtered or sorted on, once each, plus requested extras.
      var fields: [WhereField] = []
      for f in extraFields + (filter?.fields ?? []) + sort.map(\.field) {
        switch f {
        case .param, .metric: if !fields.contains(f) { fields.append(f) }
        default: break
        }
      }
      let values = try Registry.fieldValues(c, runIds: runs.map(\.id), fields: fields)
      let expIDs = Set(runs.compactMap(\.experimentId))
      var names: [Int64: String] = [:]
      if !expIDs.isEmpty {
        for e in try c.fetch(Experiment.self, "WHERE id IN " + sqlIdList(expIDs)) {
          names[e.id] = e.name
        }
      }
      return RunListing(
        runs: runs, totalMatching: total, experimentNames: names, extraFields: fields, extraValues: values)
    }
  }

  /// Param keys and metric names must exist in some run; otherwise name the nearest one.
  static func checkFieldsExist(_ c: SQLConnection, _ fields: [WhereField]) throws {
    for f in fields {
      switch f {
      case .param(let key):
        if try c.queryOne("SELECT 1 FROM params WHERE key = ? LIMIT 1", key) != nil { continue }
        let keys = try c.strings("SELECT DISTINCT key FROM params")
        let candidates = keys + Array(WhereField.runColumns.keys) + ["experiment"]
        // An empty registry has no params yet: nothing to be wrong about.
        if keys.isEmpty { continue }
        throw RegistryError.unknownField(field: key, suggestion: nearestName(key, among: candidates))
      case .metric(let name, let stat):
        if try c.queryOne("SELECT 1 FROM series_summaries WHERE name = ? LIMIT 1", name) != nil { continue }
        let names = try c.strings("SELECT DISTINCT name FROM series_summaries")
        if names.isEmpty { continue }
        throw RegistryError.unknownField(
          field: "\(stat.rawValue).\(name)",
          suggestion: nearestName(name, among: names).map { "\(stat.rawValue).\($0)" })
      default: continue
      }
    }
  }

  static func fieldValues(_ c: SQLConnection, runIds: [Int64], fields: [WhereField]) throws -> [Int64: [String:
    String]]
  {
    var out: [Int64: [String: String]] = [:]
    if runIds.isEmpty || fields.isEmpty { return out }
    let idList = runIds.map(String.init).joined(separator: ",")  // integers only: safe to inline
    for f in fields {
      switch f {
      case .param(let key):
        let rows = try c.query("SELECT run_id, text FROM params WHERE key = ? AND run_id IN (\(idList))", key)
        for r in rows { out[try r.int("run_id"), default: [:]][f.label] = try r.string("text") }
      case .metric(let name, let stat):
        let rows = try c.query(
          "SELECT s.run_id, \(WhereExpr.statSQL(stat)) AS v FROM series_summaries s WHERE s.name = ? AND s.run_id IN (\(idList))",
          name)
        for r in rows { out[try r.int("run_id"), default: [:]][f.label] = formatMetric(try r.optionalDouble("v")) }
      default: break
      }
    }
    return out
  }

  /// Everything `runs show` prints about one run.
  public func detail(_ id: Int64) throws -> RunDetail {
    try read { c in
      guard let run = try c.fetchOne(Run.self, "WHERE id = ?", id) else { throw RegistryError.noSuchRun(id) }
      var ancestors: [Run] = []
      var next = run.parentId
      while let p = next, ancestors.count < 100, let pr = try c.fetchOne(Run.self, "WHERE id = ?", p) {
        ancestors.append(pr)
        next = pr.parentId
      }
      let groups = try c.query(
        """
        SELECT method, metric, COUNT(*) AS n, AVG(value) AS mean FROM frame_scores
        WHERE run_id = ? GROUP BY method, metric ORDER BY method, metric
        """, id
      ).map {
        (
          method: try $0.string("method"), metric: try $0.string("metric"), count: Int(try $0.int("n")),
          mean: try $0.double("mean")
        )
      }
      return RunDetail(
        run: resolvingPaths(run),
        experiment: try run.experimentId.flatMap { try c.fetchOne(Experiment.self, "WHERE id = ?", $0) },
        params: try c.fetch(Param.self, "WHERE run_id = ? ORDER BY key", id),
        ancestors: ancestors,
        children: try c.fetch(Run.self, "WHERE parent_id = ? ORDER BY id", id),
        summaries: try c.fetch(SeriesSummary.self, "WHERE run_id = ? ORDER BY name", id),
        checkpoints: try c.fetch(Checkpoint.self, "WHERE run_id = ? ORDER BY step", id).map(resolvingPath),
        artifacts: try c.fetch(Artifact.self, "WHERE run_id = ?", id).map(resolvingPath),
        frameScoreGroups: groups)
    }
  }

  /// Runs of `kind` with exactly this parent and config JSON, in experiment `experiment` (nil:
  /// in none), oldest first: how a pipeline finds a stage it already ran for the same config.
  public func runs(kind: String, parentId: Int64?, configJSON: String, experiment: String?) throws -> [Run] {
    try read { c in
      try c.query(
        "SELECT " + Run.columns.map { "r." + $0 }.joined(separator: ", ") + """
         FROM runs r LEFT JOIN experiments e ON e.id = r.experiment_id
        WHERE r.kind = ? AND r.parent_id IS NOT DISTINCT FROM ? AND r.config_json = ?
          AND e.name IS NOT DISTINCT FROM ?
        ORDER BY r.id
        """, kind, parentId, configJSON, experiment
      ).map(Run.init(row:))
    }
  }

  /// Every per-frame score of `runIds`, by run, sequence, frame and metric.
  public func frameScores(runIds: [Int64]) throws -> [FrameScore] {
    guard !runIds.isEmpty else { return [] }
    return try read { c in
      try c.fetch(FrameScore.self, "WHERE run_id IN \(sqlIdList(runIds)) ORDER BY run_id, sequence, frame, metric")
    }
  }

  /// Every experiment's name by id.
  public func experimentNames() throws -> [Int64: String] {
    try read { c in Dictionary(try c.fetch(Experiment.self).map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a }) }
  }

  public func artifacts(runId: Int64) throws -> [Artifact] {
    try read { c in try c.fetch(Artifact.self, "WHERE run_id = ?", runId).map(resolvingPath).sorted { $0.path < $1.path } }
  }

  /// The points of one series of a run, by step.
  public func series(runId: Int64, name: String) throws -> [SeriesPoint] {
    try read { c in try c.fetch(SeriesPoint.self, "WHERE run_id = ? AND name = ? ORDER BY step", runId, name) }
  }

  public func params(runId: Int64) throws -> [Param] {
    try read { c in try c.fetch(Param.self, "WHERE run_id = ? ORDER BY key", runId) }
  }

  public func summaries(runId: Int64) throws -> [SeriesSummary] {
    try read { c in try c.fetch(SeriesSummary.self, "WHERE run_id = ? ORDER BY name", runId) }
  }

  /// What deleting a run would remove.
  public struct DeletionPlan: Sendable {
    public var run: Run
    public var files: [String]
    public var seriesPoints: Int
    public var frameScores: Int
  }

  /// The runs whose parent is `id`, oldest first (what `runs delete` must not orphan).
  public func childRuns(of id: Int64) throws -> [Run] {
    try read { c in try c.fetch(Run.self, "WHERE parent_id = ? ORDER BY id", id) }
  }

  public func planDeletion(_ id: Int64) throws -> DeletionPlan {
    try read { c in
      guard let run = try c.fetchOne(Run.self, "WHERE id = ?", id) else { throw RegistryError.noSuchRun(id) }
      let files =
        (try c.strings("SELECT path FROM checkpoints WHERE run_id = ? ORDER BY step", id)
        + c.strings("SELECT path FROM artifacts WHERE run_id = ? ORDER BY path", id)).map(fileRoot.resolved)
      let points = Int(try c.int("SELECT COUNT(*) FROM series_points WHERE run_id = ?", id) ?? 0)
      let scores = Int(try c.int("SELECT COUNT(*) FROM frame_scores WHERE run_id = ?", id) ?? 0)
      return DeletionPlan(run: run, files: files, seriesPoints: points, frameScores: scores)
    }
  }

  /// Deletes the run's files that exist, then the run and (cascading) everything recorded
  /// under it. A running run with a live heartbeat is refused. Returns files removed.
  @discardableResult
  public func deleteRun(_ id: Int64) throws -> [String] {
    let plan = try planDeletion(id)
    if plan.run.status == .running {
      throw RegistryError.invalidState(
        "run \(id) is running (heartbeat \(plan.run.heartbeatAt.map { String(format: "%.0f s ago", Sys.now() - $0) } ?? "never")); stop it first"
      )
    }
    var removed: [String] = []
    let fm = FileManager.default
    for f in plan.files where fm.fileExists(atPath: f) {
      try fm.removeItem(atPath: f)
      removed.append(f)
    }
    try write { c in _ = try c.execute("DELETE FROM runs WHERE id = ?", id) }
    return removed
  }
}

func formatMetric(_ v: Double?) -> String {
  guard let v else { return "" }
  if v == v.rounded() && abs(v) < 1e9 { return String(Int64(v)) }
  return String(format: "%.4g", v)
}
