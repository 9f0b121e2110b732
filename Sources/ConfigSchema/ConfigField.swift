// ConfigField: one config key of a section — its name (the reference's option name where one
// exists), type with allowed range or values, help text, and the key path of the one property
// that holds it. The property's initial value in the section struct is the key's one default.
import Foundation

public struct ConfigField<Root>: @unchecked Sendable {
  public enum Kind {
    case int(WritableKeyPath<Root, Int>, ClosedRange<Int>)
    case double(WritableKeyPath<Root, Double>, ClosedRange<Double>)
    case bool(WritableKeyPath<Root, Bool>)
    case string(WritableKeyPath<Root, String>, allowed: [String]?)
    case intList(WritableKeyPath<Root, [Int]>, count: Int, ClosedRange<Int>)
  }

  public let name: String
  public let help: String
  public let kind: Kind
  /// The YAML group and the component that reads the key (set by the section it belongs to).
  public internal(set) var section: String = ""
  public internal(set) var reader: String = ""

  public init(name: String, help: String, kind: Kind) {
    self.name = name
    self.help = help
    self.kind = kind
  }

  public static func int(_ name: String, _ kp: WritableKeyPath<Root, Int>, _ range: ClosedRange<Int>, _ help: String) -> Self {
    Self(name: name, help: help, kind: .int(kp, range))
  }
  public static func double(
    _ name: String, _ kp: WritableKeyPath<Root, Double>, _ range: ClosedRange<Double>, _ help: String
  ) -> Self {
    Self(name: name, help: help, kind: .double(kp, range))
  }
  public static func bool(_ name: String, _ kp: WritableKeyPath<Root, Bool>, _ help: String) -> Self {
    Self(name: name, help: help, kind: .bool(kp))
  }
  public static func string(
    _ name: String, _ kp: WritableKeyPath<Root, String>, allowed: [String]? = nil, _ help: String
  ) -> Self {
    Self(name: name, help: help, kind: .string(kp, allowed: allowed))
  }
  public static func intList(
    _ name: String, _ kp: WritableKeyPath<Root, [Int]>, count: Int, _ range: ClosedRange<Int>, _ help: String
  ) -> Self {
    Self(name: name, help: help, kind: .intList(kp, count: count, range))
  }

  /// What a valid value looks like, for error messages and `lmlab config keys`.
  public var expectation: String {
    switch kind {
    case .int(_, let r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
    case .double(_, let r):
      return "a number in \(ConfigValue.format(r.lowerBound))...\(ConfigValue.format(r.upperBound))"
    case .bool: return "true or false"
    case .string(_, let allowed):
      if let a = allowed { return "one of " + a.joined(separator: ", ") }
      return "a string"
    case .intList(_, let n, let r): return "a list of \(n) integers in \(r.lowerBound)...\(r.upperBound)"
    }
  }

  /// The type's name, for listings.
  public var typeName: String {
    switch kind {
    case .int: return "int"
    case .double: return "float"
    case .bool: return "bool"
    case .string: return "string"
    case .intList(_, let n, _): return "int[\(n)]"
    }
  }

  public func get(_ root: Root) -> ConfigValue {
    switch kind {
    case .int(let kp, _): return .int(root[keyPath: kp])
    case .double(let kp, _): return .double(root[keyPath: kp])
    case .bool(let kp): return .bool(root[keyPath: kp])
    case .string(let kp, _): return .string(root[keyPath: kp])
    case .intList(let kp, _, _): return .intList(root[keyPath: kp])
    }
  }

  /// Sets the key from its written form, checking type and range; on a bad value the error
  /// says what would have been valid.
  public func assign(_ raw: RawConfigValue, to root: inout Root) throws(ConfigFieldError) {
    let bad = ConfigFieldError(key: name, value: raw.text, expected: expectation)
    switch (kind, raw) {
    case (.int(let kp, let r), .scalar(let s, _)):
      guard let v = ConfigText.parseInt(s), r.contains(v) else { throw bad }
      root[keyPath: kp] = v
    case (.double(let kp, let r), .scalar(let s, _)):
      guard let v = ConfigText.parseDouble(s), v.isFinite, r.contains(v) else { throw bad }
      root[keyPath: kp] = v
    case (.bool(let kp), .scalar(let s, _)):
      guard let v = ConfigText.parseBool(s) else { throw bad }
      root[keyPath: kp] = v
    case (.string(let kp, let allowed), .scalar(let s, let isNull)):
      let v = isNull ? "" : s
      if let a = allowed, !a.contains(v) { throw bad }
      root[keyPath: kp] = v
    case (.intList(let kp, let n, let r), .list(let items)):
      let values = items.compactMap(ConfigText.parseInt)
      guard values.count == items.count, values.count == n, values.allSatisfy(r.contains) else { throw bad }
      root[keyPath: kp] = values
    default:
      throw bad
    }
  }

  /// Sets a typed value (a sweep's drawn value), with the same checks as `assign`.
  public func assign(_ value: ConfigValue, to root: inout Root) throws(ConfigFieldError) {
    switch value {
    case .intList(let l): try assign(.list(l.map(String.init)), to: &root)
    case .double(let d): try assign(.scalar(ConfigValue.format(d), isNull: false), to: &root)
    default: try assign(.scalar(value.description, isNull: false), to: &root)
    }
  }

  /// The same key on a config that holds this field's section at `path`.
  public func lifted<Outer>(_ path: WritableKeyPath<Outer, Root>, section: String, reader: String) -> ConfigField<Outer> {
    let k: ConfigField<Outer>.Kind
    switch kind {
    case .int(let kp, let r): k = .int(path.appending(path: kp), r)
    case .double(let kp, let r): k = .double(path.appending(path: kp), r)
    case .bool(let kp): k = .bool(path.appending(path: kp))
    case .string(let kp, let a): k = .string(path.appending(path: kp), allowed: a)
    case .intList(let kp, let n, let r): k = .intList(path.appending(path: kp), count: n, r)
    }
    var f = ConfigField<Outer>(name: name, help: help, kind: k)
    f.section = section
    f.reader = reader
    return f
  }
}

/// A value that does not fit its key: the key, the text given, and what would have been valid.
public struct ConfigFieldError: Error, Equatable, CustomStringConvertible {
  public let key: String
  public let value: String
  public let expected: String
  public var description: String { "\(key) must be \(expected), got '\(value)'" }
}

/// The scalar spellings every config path accepts.
public enum ConfigText {
  /// Integers, with `_` separators; `1e3` and `100.0` too when exact.
  public static func parseInt(_ s: String) -> Int? {
    let t = s.replacingOccurrences(of: "_", with: "")
    if let v = Int(t) { return v }
    if let d = Double(t), d == d.rounded(), abs(d) < 1e15 { return Int(d) }
    return nil
  }

  /// Numbers, with `_` separators, and `pi` / `-pi`.
  public static func parseDouble(_ s: String) -> Double? {
    let t = s.replacingOccurrences(of: "_", with: "")
    switch t.lowercased() {
    case "pi": return Double.pi
    case "-pi": return -Double.pi
    default: return Double(t)
    }
  }

  public static func parseBool(_ s: String) -> Bool? {
    switch s.lowercased() {
    case "true", "yes", "on", "1": return true
    case "false", "no", "off", "0": return false
    default: return nil
    }
  }
}
