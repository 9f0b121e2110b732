// `lmlab runs list|show|compare|export`: what they read from the registry and the text they
// print. `runs list`'s options are parsed before the registry opens, and a field the registry
// does not know is reported against the option (--where, --sort, --columns) that named it.
import Foundation
import Registry

/// `runs list [--where EXPR] [--sort KEYS] [--limit N] [--columns FIELDS]`, parsed.
public struct RunListQuery {
  let filter: RunFilter
  let sort: [SortKey]
  let limit: Int
  let columns: [WhereField]

  /// Parses the options; a malformed expression or unknown field is an `OptionError`.
  public init(where text: String?, sort: String?, limit: Int, columns: String?) throws {
    filter = try RunFilter(where: text)
    self.sort = try RunFilter.attributing(to: "--sort") {
      try (sort ?? "").split(separator: ",").map { k -> SortKey in
        var key = try SortKey.parse(String(k))
        key.field = key.field.renamingParam(canonicalKey)
        return key
      }
    }
    self.limit = limit
    self.columns = (columns ?? "").split(separator: ",").map {
      WhereField.parse($0.trimmingCharacters(in: .whitespaces)).renamingParam(canonicalKey)
    }
  }

  /// The listing as `runs list` prints it, newest first.
  public func listing(in registry: Registry) throws -> String {
    do {
      return RunFormat.listing(
        try registry.listRuns(filter: filter.expression, sort: sort, limit: limit, extraFields: columns))
    } catch let e as RegistryError {
      switch e {
      case .unknownField(let field, _): throw OptionError(option: origin(of: field), underlying: e)
      case .malformedExpression: throw OptionError(option: "--where", underlying: e)
      default: throw e
      }
    }
  }

  /// The option that named field `label`.
  func origin(of label: String) -> String {
    if filter.expression?.fields.contains(where: { $0.label == label }) == true { return "--where" }
    if sort.contains(where: { $0.field.label == label }) { return "--sort" }
    return "--columns"
  }
}

public enum RunQueries {
  /// `runs show ID`: config, lineage, curves summary, checkpoints and artifacts.
  public static func detail(_ id: Int64, registry: Registry) throws -> String {
    RunFormat.detail(try registry.detail(id))
  }

  /// `runs show ID --series NAME`: the series as CSV (step,value,time), header included; a run
  /// that is not in the registry is an error, a series it lacks is the header alone.
  public static func seriesCSV(_ id: Int64, name: String, registry: Registry) throws -> String {
    _ = try registry.run(id)
    let points = try registry.series(runId: id, name: name)
    return (["step,value,time"] + points.map { "\($0.step),\($0.value),\($0.time)" }).joined(separator: "\n")
  }

  /// `runs compare ID ID...`: configs and final/best metrics side by side.
  public static func compare(_ ids: [Int64], onlyChanged: Bool, registry: Registry) throws -> String {
    try registry.compare(ids, onlyChanged: onlyChanged)
  }

  /// `runs export --csv DIR`: writes one CSV file per table into `directory` (created if
  /// missing) and returns each file's path and data rows.
  public static func exportCSV(_ filter: RunFilter, to directory: String, force: Bool = false, registry: Registry) throws
    -> [(path: String, rows: Int)]
  {
    let report = try RunFilter.attributing(to: "--where") {
      try registry.exportCSV(filter: filter.expression, to: directory, force: force)
    }
    return report.rows.map { ((directory as NSString).appendingPathComponent($0.file), $0.count) }
  }
}
