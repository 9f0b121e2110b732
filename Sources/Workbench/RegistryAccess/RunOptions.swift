// What the command line hands the registry, checked the way every `runs` command checks it: a
// run id, a `--where` filter with config aliases (`lr`) read as their canonical key, and the
// error that names the option at fault ("--where: unknown field 'x'").
import Foundation
import Registry

/// A user error with the option it concerns, printed as one line: "--where: ...".
public struct OptionError: Error, CustomStringConvertible, LocalizedError {
  public let option: String
  public let underlying: Error
  public init(option: String, underlying: Error) {
    self.option = option
    self.underlying = underlying
  }
  public var description: String { "\(option): \(underlying)" }
  public var errorDescription: String? { description }
}

/// Parses `text` as a run id (a positive integer).
public func parseRunID(_ text: String) throws -> Int64 {
  guard let id = Int64(text), id > 0 else { throw RegistryError.badRunID(text) }
  return id
}

/// A `--where` filter (the `runs list` language), parsed before any registry is opened.
public struct RunFilter {
  let expression: WhereExpr?

  /// Parses `text` (nil: every run); a malformed expression is an `OptionError` for --where.
  public init(where text: String?) throws {
    expression = try text.map { w in
      try RunFilter.attributing(to: "--where") { try WhereExpr.parse(w).renamingParams(canonicalKey) }
    }
  }

  /// Runs `body`, prefixing registry expression errors with the option they came from.
  static func attributing<T>(to option: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let e as RegistryError {
      switch e {
      case .malformedExpression, .unknownField: throw OptionError(option: option, underlying: e)
      default: throw e
      }
    }
  }
}

/// Config aliases (`lr`) name the same param as their canonical key (`learning_rate`).
func canonicalKey(_ key: String) -> String { ConfigKeys.aliases[key] ?? key }
