// ConfigValue: a config value in its typed form, with the text and JSON spellings every config
// path shares (YAML echo, registry params, the canonical JSON a config hash is taken of).
import Foundation

public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
  case int(Int)
  case double(Double)
  case bool(Bool)
  case string(String)
  case intList([Int])

  public var description: String {
    switch self {
    case .int(let v): return String(v)
    case .double(let v): return ConfigValue.format(v)
    case .bool(let v): return v ? "true" : "false"
    case .string(let v): return v
    case .intList(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
    }
  }

  /// Shortest text that reads back as the same Double (always with a '.' or exponent).
  public static func format(_ v: Double) -> String {
    var s = "\(v)"
    if s.hasSuffix(".0") && abs(v) < 1e15 { s = String(s.dropLast(2)) + ".0" }
    return s
  }

  /// JSON literal for the canonical config JSON.
  public var json: String {
    switch self {
    case .int(let v): return String(v)
    case .double(let v): return v.isFinite ? ConfigValue.format(v) : "null"
    case .bool(let v): return v ? "true" : "false"
    case .string(let v): return ConfigValue.jsonString(v)
    case .intList(let v): return "[" + v.map(String.init).joined(separator: ",") + "]"
    }
  }

  /// A JSON string literal (quotes, backslashes and control characters escaped).
  public static func jsonString(_ v: String) -> String {
    var out = "\""
    for u in v.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if u.value < 0x20 {
          out += String(format: "\\u%04x", u.value)
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }

  /// YAML text that reads back as this value (strings single-quoted).
  public var yaml: String {
    if case .string(let s) = self { return "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
    return description
  }
}

/// A value as written, before typing: a scalar's text (YAML, `--set`, JSON), or a list of texts.
public enum RawConfigValue: Sendable {
  case scalar(String, isNull: Bool)
  case list([String])

  public var text: String {
    switch self {
    case .scalar(let s, _): return s
    case .list(let l): return "[" + l.joined(separator: ", ") + "]"
    }
  }
}
