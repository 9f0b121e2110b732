// The registry's view of a database: plain SQL with `?` placeholders and untyped rows, the
// same for SQLite (GRDB) and PostgreSQL (postgres-nio). Everything above this file writes
// portable SQL; where the engines differ, `SQLDialect` says how.
import Foundation

/// One value bound to a placeholder or read from a column.
public enum SQLValue: Sendable, Equatable, CustomStringConvertible {
  case null
  case int(Int64)
  case double(Double)
  case text(String)

  public var description: String {
    switch self {
    case .null: return "NULL"
    case .int(let v): return String(v)
    case .double(let v): return "\(v)"
    case .text(let s): return "'\(s)'"
    }
  }
}

/// A Swift value that binds to a placeholder.
public protocol SQLBindable {
  var sqlValue: SQLValue { get }
}

extension Int64: SQLBindable { public var sqlValue: SQLValue { .int(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int32: SQLBindable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .double(self) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .int(self ? 1 : 0) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
  public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// Which engine is behind a connection, for the few statements that must differ.
public enum SQLDialect: String, Sendable {
  case sqlite, postgres

  /// Appended to the SELECT that picks a queued run to claim: on PostgreSQL concurrent
  /// claimers skip a row another transaction holds instead of waiting for it (SQLite
  /// serializes writers, so it needs nothing).
  public var skipLockedSuffix: String { self == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }
}

/// A column read from a row that was NULL or of another type than asked.
public struct SQLDecodingError: Error, CustomStringConvertible {
  public var column: String
  public var expected: String
  public var found: SQLValue
  public var description: String { "registry column '\(column)': expected \(expected), found \(found)" }
}

/// One result row: column names (as the engine reports them, lower case for PostgreSQL) and values.
public struct SQLRow: Sendable {
  public let columns: [String]
  public let values: [SQLValue]

  public init(columns: [String], values: [SQLValue]) {
    self.columns = columns
    self.values = values
  }

  public subscript(_ name: String) -> SQLValue {
    if let i = columns.firstIndex(of: name) { return values[i] }
    if let i = columns.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) { return values[i] }
    return .null
  }
  public subscript(_ index: Int) -> SQLValue { values[index] }

  public func optionalInt(_ name: String) throws -> Int64? { try SQLRow.int(self[name], name) }
  public func optionalDouble(_ name: String) throws -> Double? { try SQLRow.double(self[name], name) }
  public func optionalString(_ name: String) throws -> String? { try SQLRow.string(self[name], name) }

  public func int(_ name: String) throws -> Int64 {
    guard let v = try optionalInt(name) else { throw SQLDecodingError(column: name, expected: "an integer", found: .null) }
    return v
  }
  public func double(_ name: String) throws -> Double {
    guard let v = try optionalDouble(name) else { throw SQLDecodingError(column: name, expected: "a number", found: .null) }
    return v
  }
  public func string(_ name: String) throws -> String {
    guard let v = try optionalString(name) else { throw SQLDecodingError(column: name, expected: "text", found: .null) }
    return v
  }
  public func bool(_ name: String) throws -> Bool { try int(name) != 0 }

  public func int(at i: Int) throws -> Int64 {
    guard let v = try SQLRow.int(values[i], "#\(i)") else { throw SQLDecodingError(column: "#\(i)", expected: "an integer", found: .null) }
    return v
  }
  public func optionalDouble(at i: Int) throws -> Double? { try SQLRow.double(values[i], "#\(i)") }
  public func string(at i: Int) throws -> String {
    guard let v = try SQLRow.string(values[i], "#\(i)") else { throw SQLDecodingError(column: "#\(i)", expected: "text", found: .null) }
    return v
  }

  static func int(_ v: SQLValue, _ name: String) throws -> Int64? {
    switch v {
    case .null: return nil
    case .int(let i): return i
    case .double(let d) where d == d.rounded() && abs(d) < 9e18: return Int64(d)
    case .text(let s) where Int64(s) != nil: return Int64(s)
    default: throw SQLDecodingError(column: name, expected: "an integer", found: v)
    }
  }
  static func double(_ v: SQLValue, _ name: String) throws -> Double? {
    switch v {
    case .null: return nil
    case .int(let i): return Double(i)
    case .double(let d): return d
    case .text(let s) where Double(s) != nil: return Double(s)
    default: throw SQLDecodingError(column: name, expected: "a number", found: v)
    }
  }
  static func string(_ v: SQLValue, _ name: String) throws -> String? {
    switch v {
    case .null: return nil
    case .text(let s): return s
    case .int(let i): return String(i)
    case .double(let d): return "\(d)"
    }
  }
}

/// A connection inside a transaction (or a read). Statements use `?` placeholders.
public protocol SQLConnection: AnyObject {
  var dialect: SQLDialect { get }
  /// Runs a statement; returns how many rows it changed.
  @discardableResult func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
  func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
  /// Calls `body` per row without holding them all (SQLite streams; PostgreSQL fetches in pages).
  func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) throws
  /// Runs `prefix VALUES (?, ...) suffix` for every row (each of `rows` has the same width),
  /// as few round trips as the engine allows. Rows must not repeat a conflict key.
  func insertMany(_ prefix: String, rows: [[SQLValue]], suffix: String) throws
  /// Serializes id allocation in `table` (`MAX(id) + 1`) among concurrent writers until the
  /// transaction ends. SQLite's write lock already does; PostgreSQL takes an advisory lock.
  func lockForAllocation(_ table: String) throws
}

extension SQLConnection {
  @discardableResult public func execute(_ sql: String, _ arguments: SQLBindable...) throws -> Int {
    try execute(sql, arguments.map(\.sqlValue))
  }
  public func query(_ sql: String, _ arguments: SQLBindable...) throws -> [SQLRow] {
    try query(sql, arguments.map(\.sqlValue))
  }
  public func queryOne(_ sql: String, _ arguments: [SQLValue]) throws -> SQLRow? {
    try query(sql, arguments).first
  }
  public func queryOne(_ sql: String, _ arguments: SQLBindable...) throws -> SQLRow? {
    try query(sql, arguments.map(\.sqlValue)).first
  }
  /// First column of the first row as an integer (nil for no row or NULL).
  public func int(_ sql: String, _ arguments: SQLBindable...) throws -> Int64? {
    guard let r = try query(sql, arguments.map(\.sqlValue)).first else { return nil }
    return try SQLRow.int(r[0], "#0")
  }
  /// First column of every row as text.
  public func strings(_ sql: String, _ arguments: [SQLValue]) throws -> [String] {
    try query(sql, arguments).map { try $0.string(at: 0) }
  }
  public func strings(_ sql: String, _ arguments: SQLBindable...) throws -> [String] {
    try strings(sql, arguments.map(\.sqlValue))
  }
  public func ints(_ sql: String, _ arguments: [SQLValue]) throws -> [Int64] {
    try query(sql, arguments).map { try $0.int(at: 0) }
  }
}

/// A database the registry can live in: transactions on one of the two engines.
public protocol SQLDatabase: AnyObject {
  var dialect: SQLDialect { get }
  /// Where it is, for messages: a file path or a URL without its password.
  var location: String { get }
  /// A write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN, READ COMMITTED). Rolled
  /// back when `body` throws.
  func write<T>(_ body: (SQLConnection) throws -> T) throws -> T
  func read<T>(_ body: (SQLConnection) throws -> T) throws -> T
  func close() throws
}
