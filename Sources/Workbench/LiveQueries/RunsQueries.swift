// The runs page's data: `runs list` with the same `--where` / `--sort` language (RunListQuery),
// a malformed expression or unknown field returned as the page's error message, and the params
// whose values differ between the runs shown as columns (as `runs compare --only-changed`).
import Foundation
import Registry
import Reports

public enum LiveRunsQueries {
  /// At most this many param columns (the rest are named in the page's note).
  static let maxParamColumns = 14

  /// Page `page` (from 1) of `limit` rows.
  public static func table(where text: String, sort: String, limit: Int, page: Int = 1, registry: Registry) throws -> LiveRunsTable {
    // A page number so large its offset overflows is just past the end.
    let offset = max(0, page - 1).multipliedReportingOverflow(by: limit)
    let skip = offset.overflow ? Int.max / 2 : offset.partialValue
    let empty = { (message: String) in
      LiveRunsTable(filter: text, sort: sort, error: message, columns: [], rows: [], totalMatching: 0, limit: limit)
    }
    let query: RunListQuery
    do {
      query = try RunListQuery(where: text.isEmpty ? nil : text, sort: sort.isEmpty ? nil : sort, limit: limit, columns: nil)
    } catch let e as OptionError {
      return empty(e.description)
    }
    let listing: RunListing
    do {
      listing = try registry.listRuns(filter: query.filter.expression, sort: query.sort, limit: limit, offset: skip, extraFields: [])
    } catch let e as RegistryError {
      switch e {
      case .unknownField(let field, _): return empty(OptionError(option: query.origin(of: field), underlying: e).description)
      case .malformedExpression: return empty(OptionError(option: "--where", underlying: e).description)
      default: throw e
      }
    }
    let ids = listing.runs.map(\.id)
    let params = try registry.paramsByRun(runIds: ids)
    // Only-differing params: a key whose text (or absence) is not the same for every run shown.
    var differing: [String] = []
    if listing.runs.count > 1 {
      let keys = Set(params.values.flatMap(\.keys)).sorted()
      for k in keys {
        let first = params[ids[0]]?[k]
        if ids.contains(where: { params[$0]?[k] != first }) { differing.append(k) }
      }
    }
    // Fields the filter and sort named come first; then the differing params.
    let named = listing.extraFields.map(\.label)
    let columns = named + differing.filter { !named.contains($0) }.prefix(maxParamColumns)
    let now = Date().timeIntervalSince1970
    let rows = listing.runs.map { r -> LiveRunsTable.Row in
      let cells = columns.map { c in listing.extraValues[r.id]?[c] ?? params[r.id]?[c] ?? "-" }
      return LiveRunsTable.Row(
        run: LiveRunLink(id: r.id, name: r.name, kind: r.kind, status: r.status.rawValue),
        experiment: r.experimentId.flatMap { listing.experimentNames[$0] } ?? "-",
        started: RunFormat.date(r.startedAt ?? r.createdAt), time: RunFormat.duration(r.totalSeconds(now: now)), cells: cells)
    }
    return LiveRunsTable(
      filter: text, sort: sort, error: nil, columns: columns, rows: rows, totalMatching: listing.totalMatching, limit: limit,
      offset: skip)
  }
}
