// `lmlab runs list [--where EXPR] [--sort KEY] [--limit N] [--columns F,...]`.
import ArgumentParser
import Foundation
import Workbench

struct RunsList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "List runs, newest first, optionally filtered and sorted.",
    discussion: """
      EXPR combines comparisons (= != < <= > >= ~ !~) with and/or/not and parentheses.
      `~` means "contains": literal text (no wildcards), ignoring ASCII case.
      Fields: id status kind name seed host parent experiment config_hash
      git_commit; any config key (n_landmarks, param.lr...); metric.NAME (latest value),
      best.NAME, min.NAME, max.NAME. Example:
        lmlab runs list --where 'n_landmarks=30 and status=finished and metric.keypoint_acc>0.7'
      """)

  @OptionGroup var global: GlobalOptions

  @Option(name: .long, help: "Filter expression (see below).")
  var `where`: String?

  @Option(
    name: .long, parsing: .unconditional,
    help:
      "Sort keys, comma-separated; '-' prefix or ':desc' suffix for descending (e.g. -metric.keypoint_acc).")
  var sort: String?

  @Option(name: .long, help: "At most this many runs (0 = all).")
  var limit = 50

  @Option(name: .long, help: "Extra columns, comma-separated fields (e.g. lr,best.loss).")
  var columns: String?

  func validate() throws {
    if limit < 0 { throw ValidationError("--limit must be 0 (all) or positive") }
  }

  func run() throws {
    // Everything the user typed is parsed before the registry is opened.
    let filter = try `where`.map { w in
      try wrap("--where") { try WhereExpr.parse(w).renamingParams(canonicalKey) }
    }
    let sortKeys = try wrap("--sort") {
      try (sort ?? "").split(separator: ",").map { k -> SortKey in
        var key = try SortKey.parse(String(k))
        key.field = key.field.renamingParam(canonicalKey)
        return key
      }
    }
    let extra = (columns ?? "").split(separator: ",").map {
      WhereField.parse($0.trimmingCharacters(in: .whitespaces)).renamingParam(canonicalKey)
    }
    let registry = try global.openRegistry()
    // An unknown field is reported against the option that named it.
    let origin: (String) -> String = { label in
      if filter?.fields.contains(where: { $0.label == label }) == true { return "--where" }
      if sortKeys.contains(where: { $0.field.label == label }) { return "--sort" }
      return "--columns"
    }
    let listing: RunListing
    do {
      listing = try registry.listRuns(filter: filter, sort: sortKeys, limit: limit, extraFields: extra)
    } catch let e as RegistryError {
      switch e {
      case .unknownField(let field, _): throw OptionError(option: origin(field), underlying: e)
      case .malformedExpression: throw OptionError(option: "--where", underlying: e)
      default: throw e
      }
    }
    print(RunFormat.listing(listing))
  }
}

/// Runs `body`, prefixing registry expression errors with the option they came from.
func wrap<T>(_ option: String, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let e as RegistryError {
    switch e {
    case .malformedExpression, .unknownField: throw OptionError(option: option, underlying: e)
    default: throw e
    }
  }
}

/// Config aliases (`lr`) name the same param as their canonical key (`learning_rate`).
func canonicalKey(_ key: String) -> String { ConfigKeys.aliases[key] ?? key }
