// What the live view's pages show, as plain values: Workbench's live queries fill them from the
// registry, the pages render them. Strings here are raw (unescaped); the pages escape.

/// A link to another run: id, name and status.
public struct LiveRunLink: Sendable, Equatable {
  public var id: Int64
  public var name: String
  public var kind: String
  public var status: String
  public init(id: Int64, name: String, kind: String, status: String) {
    (self.id, self.name, self.kind, self.status) = (id, name, kind, status)
  }
}

/// The runs page: `runs list` with a filter, a sort and the params that differ between the runs shown.
public struct LiveRunsTable: Sendable {
  public struct Row: Sendable {
    public var run: LiveRunLink
    public var experiment: String
    public var started: String
    public var time: String
    /// One cell per `paramColumns` entry ("-" when the run has no such param), then per `extraColumns`.
    public var cells: [String]
    public init(run: LiveRunLink, experiment: String, started: String, time: String, cells: [String]) {
      (self.run, self.experiment, self.started, self.time, self.cells) = (run, experiment, started, time, cells)
    }
  }
  /// The `--where` text as typed (shown back in the box).
  public var filter: String
  /// The `--sort` text ("-id", "name", "param.lr:desc"...).
  public var sort: String
  /// The filter's or sort's error message (the table is then empty).
  public var error: String?
  /// Params whose values differ between the runs shown (`runs compare --only-changed`), then the
  /// fields the filter and sort named.
  public var columns: [String]
  public var rows: [Row]
  public var totalMatching: Int
  /// Rows per page.
  public var limit: Int
  /// Matching runs skipped before the first row shown (the page is offset / limit + 1).
  public var offset: Int
  public init(
    filter: String, sort: String, error: String?, columns: [String], rows: [Row], totalMatching: Int, limit: Int,
    offset: Int = 0
  ) {
    (self.filter, self.sort, self.error, self.columns, self.rows) = (filter, sort, error, columns, rows)
    (self.totalMatching, self.limit, self.offset) = (totalMatching, limit, offset)
  }
  /// The page shown, from 1.
  public var page: Int { limit > 0 ? offset / limit + 1 : 1 }
  /// Pages the matching runs fill (at least 1).
  public var pageCount: Int { limit > 0 ? max(1, (totalMatching + limit - 1) / limit) : 1 }
}

/// One file a run recorded: a checkpoint or an artifact.
public struct LiveFile: Sendable {
  public var label: String
  public var kind: String
  /// Where the server serves it (relative URL), nil when the file is missing on disk.
  public var href: String?
  public var bytes: Int64
  public var isImage: Bool
  public init(label: String, kind: String, href: String?, bytes: Int64, isImage: Bool) {
    (self.label, self.kind, self.href, self.bytes, self.isImage) = (label, kind, href, bytes, isImage)
  }
}

/// One logged series of a run: its name, how many points, its latest and best values.
public struct LiveSeriesInfo: Sendable {
  public var name: String
  public var points: Int64
  public var lastStep: Int64
  public var last: String
  public var best: String
  public init(name: String, points: Int64, lastStep: Int64, last: String, best: String) {
    (self.name, self.points, self.lastStep, self.last, self.best) = (name, points, lastStep, last, best)
  }
}

/// The run page.
public struct LiveRunPageData: Sendable {
  public var run: LiveRunLink
  public var experiment: String
  /// (label, value) lines: started, time, host, command line, error, resumed from...
  public var facts: [(String, String)]
  /// Progress line: "step 120 of 500 (24%), 3.1 step/s, ETA 2m03s", or nil when unknown.
  public var progress: String?
  public var config: [(String, String)]
  public var ancestors: [LiveRunLink]
  public var children: [LiveRunLink]
  public var checkpoints: [LiveFile]
  public var artifacts: [LiveFile]
  public var series: [LiveSeriesInfo]
  public init(
    run: LiveRunLink, experiment: String, facts: [(String, String)], progress: String?, config: [(String, String)],
    ancestors: [LiveRunLink], children: [LiveRunLink], checkpoints: [LiveFile], artifacts: [LiveFile],
    series: [LiveSeriesInfo]
  ) {
    (self.run, self.experiment, self.facts, self.progress, self.config) = (run, experiment, facts, progress, config)
    (self.ancestors, self.children, self.checkpoints, self.artifacts, self.series) = (
      ancestors, children, checkpoints, artifacts, series
    )
  }
}

/// A report folder the view serves.
public struct LiveReportEntry: Sendable {
  /// Path relative to the reports root ("demo/report").
  public var path: String
  public var title: String
  public var modified: String
  public var files: Int
  public init(path: String, title: String, modified: String, files: Int) {
    (self.path, self.title, self.modified, self.files) = (path, title, modified, files)
  }
}
