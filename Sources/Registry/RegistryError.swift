// Typed errors a user can cause (files, expressions, run ids). Each renders as one line that
// says what went wrong and where, and whether the file was left untouched.
import Foundation

public enum RegistryError: Error, CustomStringConvertible, LocalizedError, Equatable {
  /// The file exists but SQLite cannot read it as a database.
  case notADatabase(path: String, detail: String)
  /// A valid SQLite database that is not a LandmarkLab registry.
  case foreignDatabase(path: String, tables: [String])
  /// The registry was written by a newer lmlab (unknown migrations or schema version).
  case newerSchema(path: String, found: String, known: String)
  /// The file could not be opened at all (permissions, missing directory).
  case cannotOpen(path: String, detail: String)
  /// A command that only reads found no registry at the path.
  case missing(path: String)
  /// This user cannot write the registry (file or folder read-only); `action` is what was refused.
  case readOnly(path: String, action: String)
  /// A handle that only looks (`lmlab ui`) found a schema older than this build's: being
  /// migrated by another process, or written by an older lmlab. It does not migrate.
  case schemaNotCurrent(path: String)
  case noSuchRun(Int64)
  case badRunID(String)
  /// A `--where` or `--sort` expression that does not parse, with the 1-based column.
  case malformedExpression(expression: String, column: Int, message: String)
  case unknownField(field: String, suggestion: String?)
  case invalidState(String)

  public var description: String {
    switch self {
    case .notADatabase(let path, let detail):
      return "registry \(path): not a SQLite database (\(detail)); file left untouched"
    case .foreignDatabase(let path, let tables):
      let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", ..." : "")
      let engine = Registry.isPostgresURL(path) ? "PostgreSQL" : "SQLite"
      return
        "registry \(path): a \(engine) database but not a LandmarkLab registry (tables: \(shown)); \(RegistryError.untouched(path))"
    case .newerSchema(let path, let found, let known):
      return
        "registry \(path): schema \(found) is newer than this lmlab understands (\(known)); upgrade lmlab — \(RegistryError.untouched(path))"
    case .cannotOpen(let path, let detail):
      return "registry \(path): cannot open (\(detail))"
    case .missing(let path):
      return "registry \(path): no such file (give --registry PATH or set LMLAB_REGISTRY)"
    case .readOnly(let path, let action):
      return "registry \(path): read-only (this user cannot write the file or its folder), so lmlab cannot \(action); nothing written"
    case .schemaNotCurrent(let path):
      return
        "registry \(path): its schema is older than this lmlab's (being migrated now, or written by an older lmlab); "
        + "a view that only looks does not migrate it — any lmlab command that writes brings it up to date"
    case .noSuchRun(let id):
      return "no run with id \(id) in the registry"
    case .badRunID(let text):
      return "'\(text)' is not a run id (expected a positive integer)"
    case .malformedExpression(let expr, let column, let message):
      return "malformed expression at column \(column): \(message) in `\(RegistryError.excerpt(expr, around: column))`"
    case .unknownField(let field, let suggestion):
      if let s = suggestion { return "unknown field '\(field)' (did you mean '\(s)'?)" }
      return "unknown field '\(field)'"
    case .invalidState(let message):
      return message
    }
  }
  public var errorDescription: String? { description }

  /// `text` whole when short, else the 40 characters either side of `column` with "…" marks
  /// (a 60,000-character expression is not echoed back whole).
  static func excerpt(_ text: String, around column: Int) -> String {
    let chars = Array(text)
    guard chars.count > 120 else { return text }
    let at = Swift.min(Swift.max(column - 1, 0), chars.count)
    let lo = Swift.max(0, at - 40), hi = Swift.min(chars.count, at + 40)
    return (lo > 0 ? "…" : "") + String(chars[lo..<hi]) + (hi < chars.count ? "…" : "")
  }

  static func untouched(_ path: String) -> String {
    Registry.isPostgresURL(path) ? "nothing written" : "file left untouched"
  }
}
