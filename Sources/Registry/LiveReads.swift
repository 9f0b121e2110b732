// Reads the live view (`lmlab ui`) makes often: every param of a page of runs in one query, a
// series as plain arrays (a 100,000-point curve without decoding a record per point), and the
// statuses of a set of runs (what the runs page polls).
import Foundation

/// One series of one run, by step (steps ascending).
public struct SeriesColumns: Sendable {
  public var steps: [Int64] = []
  public var values: [Double] = []
  public var times: [Double] = []
  public init() {}
}

extension Registry {
  /// paramsByRun[runId][key] = text, for `runIds` (chunked so no statement grows unbounded).
  public func paramsByRun(runIds: [Int64]) throws -> [Int64: [String: String]] {
    var out: [Int64: [String: String]] = [:]
    try read { c in
      for chunk in stride(from: 0, to: runIds.count, by: 500) {
        let ids = sqlIdList(runIds[chunk..<min(chunk + 500, runIds.count)])
        try c.forEachRow("SELECT run_id, key, text FROM params WHERE run_id IN \(ids)", []) { row in
          out[try row.int(at: 0), default: [:]][try row.string(at: 1)] = try row.string(at: 2)
        }
      }
    }
    return out
  }

  /// The points of one series as columns, by step.
  public func seriesColumns(runId: Int64, name: String) throws -> SeriesColumns {
    var out = SeriesColumns()
    try read { c in
      try c.forEachRow(
        "SELECT step, value, time FROM series_points WHERE run_id = ? AND name = ? ORDER BY step",
        [.int(runId), .text(name)]
      ) { row in
        out.steps.append(try row.int(at: 0))
        out.values.append(try row.optionalDouble(at: 1) ?? .nan)
        out.times.append(try row.optionalDouble(at: 2) ?? .nan)
      }
    }
    return out
  }

  /// status by run id, for `runIds`.
  public func statuses(runIds: [Int64]) throws -> [Int64: RunStatus] {
    guard !runIds.isEmpty else { return [:] }
    return try read { c in
      var out: [Int64: RunStatus] = [:]
      try c.forEachRow("SELECT id, status FROM runs WHERE id IN \(sqlIdList(runIds))", []) { row in
        out[try row.int(at: 0)] = RunStatus(rawValue: try row.string(at: 1))
      }
      return out
    }
  }
}
