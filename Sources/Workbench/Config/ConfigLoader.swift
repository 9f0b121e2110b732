// Loading configs: built-in defaults, then `Experiments/defaults.yaml`, then an experiment
// file, then `--set key=value` overrides. Every error is one line naming the file and line
// (or the `--set`), the key, and what would have been valid.
import Foundation
import Registry
import Yams

public enum ConfigError: Error, CustomStringConvertible, LocalizedError, Equatable {
  case unknownKey(key: String, suggestion: String?, at: String)
  case badValue(key: String, value: String, expected: String, at: String)
  case inconsistent(message: String, at: String)
  case syntax(message: String, at: String)
  case unreadable(path: String, detail: String)

  public var description: String {
    switch self {
    case .unknownKey(let key, let s, let at):
      return "\(at): unknown config key '\(key)'" + (s.map { " (did you mean '\($0)'?)" } ?? "")
    case .badValue(let key, let value, let expected, let at):
      return "\(at): \(key) must be \(expected), got '\(value)'"
    case .inconsistent(let message, let at):
      return "\(at): \(message)"
    case .syntax(let message, let at):
      return "\(at): \(message)"
    case .unreadable(let path, let detail):
      return "\(path): cannot read config (\(detail))"
    }
  }
  public var errorDescription: String? { description }
}

/// A raw value before typing: a scalar's text, or a list of scalar texts.
enum RawValue {
  case scalar(String, isNull: Bool)
  case list([String])

  var text: String {
    switch self {
    case .scalar(let s, _): return s
    case .list(let l): return "[" + l.joined(separator: ", ") + "]"
    }
  }
}

public struct LoadedConfig: Sendable {
  public var config: ExperimentConfig
  /// Where the values came from, in order applied.
  public var sources: [String]
}

public enum ConfigLoader {
  /// `Experiments/defaults.yaml` from `$LMLAB_EXPERIMENTS`, else the current directory or
  /// one of its parents; nil when there is none (the built-in defaults are then used).
  public static func locateDefaults(environment: [String: String] = ProcessInfo.processInfo.environment)
    -> String?
  {
    let fm = FileManager.default
    if let dir = environment["LMLAB_EXPERIMENTS"] {
      let p = (dir as NSString).appendingPathComponent("defaults.yaml")
      return fm.fileExists(atPath: p) ? p : nil
    }
    var dir = URL(fileURLWithPath: fm.currentDirectoryPath)
    for _ in 0..<6 {
      let p = dir.appendingPathComponent("Experiments/defaults.yaml").path
      if fm.fileExists(atPath: p) { return p }
      let up = dir.deletingLastPathComponent()
      if up.path == dir.path { break }
      dir = up
    }
    return nil
  }

  /// Built-in defaults ← defaults file ← `file` ← `overrides` ("key=value" each), validated.
  /// With `base` (e.g. the config of the landmark run a dynamics run builds on), loading starts
  /// from it instead of the defaults: `baseName` says where it came from.
  public static func load(
    file: String?, overrides: [String] = [], defaultsFile: String? = locateDefaults(),
    base: ExperimentConfig? = nil, baseName: String = "base config"
  ) throws -> LoadedConfig {
    var config = base ?? ExperimentConfig()
    var sources = [base == nil ? "built-in defaults" : baseName]
    if base == nil, let d = defaultsFile {
      try apply(yamlFile: d, to: &config)
      sources.append(d)
    }
    if let f = file {
      try apply(yamlFile: f, to: &config)
      sources.append(f)
    }
    for o in overrides { try apply(override: o, to: &config) }
    if !overrides.isEmpty { sources.append("--set " + overrides.joined(separator: " --set ")) }
    try validate(config, at: file ?? (overrides.isEmpty ? "config" : "--set"))
    return LoadedConfig(config: config, sources: sources)
  }

  public static func apply(yamlFile path: String, to config: inout ExperimentConfig) throws {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw ConfigError.unreadable(path: path, detail: (error as NSError).localizedDescription)
    }
    try apply(yaml: text, source: path, to: &config)
  }

  /// Applies a YAML mapping of keys (flat, or grouped under section names) to `config`.
  public static func apply(yaml: String, source: String, to config: inout ExperimentConfig) throws {
    let root: Node?
    do {
      root = try Yams.compose(yaml: yaml)
    } catch let e as YamlError {
      throw ConfigError.syntax(message: "YAML: " + oneLine(e), at: source + location(of: e))
    }
    guard let node = root else { return }  // empty file
    guard let mapping = node.mapping else {
      throw ConfigError.syntax(message: "expected a mapping of config keys", at: source + mark(node))
    }
    try applyMapping(mapping, source: source, section: nil, to: &config)
  }

  private static func applyMapping(
    _ mapping: Node.Mapping, source: String, section: String?, to config: inout ExperimentConfig
  ) throws {
    for (k, v) in mapping {
      let at = source + mark(k)
      guard let name = k.string else {
        throw ConfigError.syntax(message: "a config key must be a string", at: at)
      }
      if section == nil, ConfigKeys.sections.contains(name), let sub = v.mapping {
        try applyMapping(sub, source: source, section: name, to: &config)
        continue
      }
      if ConfigKeys.ignoredReferenceKeys.contains(name) { continue }
      if ConfigKeys.key(name) == nil { throw unknown(name, at: at) }
      let raw: RawValue
      switch v {
      case .scalar(let s):
        raw = .scalar(
          s.string,
          isNull: s.tag.rawValue == Tag.Name.null.rawValue || (s.string.isEmpty && s.style == .plain))
      case .sequence(let seq):
        var items: [String] = []
        for item in seq {
          guard let s = item.scalar else {
            throw ConfigError.badValue(
              key: name, value: "nested list", expected: "scalars in a list", at: source + mark(item))
          }
          items.append(s.string)
        }
        raw = .list(items)
      default:
        throw ConfigError.badValue(
          key: name, value: "a mapping", expected: ConfigKeys.key(name)!.expectation, at: source + mark(v))
      }
      try set(name, raw, at: source + mark(v), in: &config)
    }
  }

  /// Applies one `key=value` override (`value` may be a list: `[128,64,32]` or `128,64,32`).
  public static func apply(override: String, to config: inout ExperimentConfig) throws {
    let at = "--set \(override)"
    guard let eq = override.firstIndex(of: "=") else {
      throw ConfigError.syntax(message: "expected key=value", at: at)
    }
    let name = override[..<eq].trimmingCharacters(in: .whitespaces)
    var value = override[override.index(after: eq)...].trimmingCharacters(in: .whitespaces)
    let raw: RawValue
    if case .intList? = ConfigKeys.key(name)?.kind {
      if value.hasPrefix("[") && value.hasSuffix("]") { value = String(value.dropFirst().dropLast()) }
      raw = .list(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    } else {
      if value.count >= 2, let f = value.first, f == value.last, f == "'" || f == "\"" {
        value = String(value.dropFirst().dropLast())
      }
      raw = .scalar(value, isNull: false)
    }
    try set(name, raw, at: at, in: &config)
  }

  static func unknown(_ name: String, at: String) -> ConfigError {
    let names = ConfigKeys.all.map(\.name) + Array(ConfigKeys.aliases.keys)
    var suggestion = nearestName(name, among: names)
    if let s = suggestion, let target = ConfigKeys.aliases[s] { suggestion = target }
    return .unknownKey(key: name, suggestion: suggestion, at: at)
  }

  static func set(_ name: String, _ raw: RawValue, at: String, in config: inout ExperimentConfig) throws {
    guard let key = ConfigKeys.key(name) else { throw unknown(name, at: at) }
    let bad = ConfigError.badValue(key: key.name, value: raw.text, expected: key.expectation, at: at)
    switch (key.kind, raw) {
    case (.int(let kp, let r), .scalar(let s, _)):
      guard let v = parseInt(s), r.contains(v) else { throw bad }
      config[keyPath: kp] = v
    case (.double(let kp, let r), .scalar(let s, _)):
      guard let v = parseDouble(s), v.isFinite, r.contains(v) else { throw bad }
      config[keyPath: kp] = v
    case (.bool(let kp), .scalar(let s, _)):
      switch s.lowercased() {
      case "true", "yes", "on", "1": config[keyPath: kp] = true
      case "false", "no", "off", "0": config[keyPath: kp] = false
      default: throw bad
      }
    case (.string(let kp, let allowed), .scalar(let s, let isNull)):
      let v = isNull ? "" : s
      if let a = allowed, !a.contains(v) { throw bad }
      config[keyPath: kp] = v
    case (.intList(let kp, let n, let r), .list(let items)):
      let values = items.compactMap(parseInt)
      guard values.count == items.count, values.count == n, values.allSatisfy(r.contains) else { throw bad }
      config[keyPath: kp] = values
    default:
      throw bad
    }
  }

  static func parseInt(_ s: String) -> Int? {
    let t = s.replacingOccurrences(of: "_", with: "")
    if let v = Int(t) { return v }
    // 1e3 and 100.0 are integers too, when exact.
    if let d = Double(t), d == d.rounded(), abs(d) < 1e15 { return Int(d) }
    return nil
  }

  static func parseDouble(_ s: String) -> Double? {
    let t = s.replacingOccurrences(of: "_", with: "")
    switch t.lowercased() {
    case "pi": return Double.pi
    case "-pi": return -Double.pi
    default: return Double(t)
    }
  }

  /// Rules that span keys.
  public static func validate(_ c: ExperimentConfig, at: String) throws {
    func check(_ ok: Bool, _ message: String) throws {
      if !ok { throw ConfigError.inconsistent(message: message, at: at) }
    }
    try check(c.imgSize % 16 == 0, "img_size must be divisible by 16, got \(c.imgSize)")
    try check(c.transLb <= c.transUb, "trans_lb (\(c.transLb)) must not exceed trans_ub (\(c.transUb))")
    try check(c.scaleLb <= c.scaleUb, "scale_lb (\(c.scaleLb)) must not exceed scale_ub (\(c.scaleUb))")
    try check(c.rotLb <= c.rotUb, "rot_lb (\(c.rotLb)) must not exceed rot_ub (\(c.rotUb))")
    try check(
      c.temporalMinGap <= c.temporalMaxGap,
      "temporal_min_gap (\(c.temporalMinGap)) must not exceed temporal_max_gap (\(c.temporalMaxGap))")
    try check(c.ngc % 2 == 0, "ngc must be even (the last SPADE block has ngc/2 channels), got \(c.ngc)")
  }

  static func mark(_ n: Node) -> String {
    guard let m = n.mark else { return "" }
    return ":\(m.line):\(m.column)"
  }

  static func oneLine(_ e: YamlError) -> String {
    let lines = "\(e)".split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    return lines.first { !$0.isEmpty && $0 != "Context:" } ?? "syntax error"
  }

  static func location(of e: YamlError) -> String {
    // The description ends its context with "in line L, column C".
    let text = "\(e)"
    guard let r = text.range(of: #"line (\d+), column (\d+)"#, options: .regularExpression) else { return "" }
    let nums = text[r].split(whereSeparator: { !$0.isNumber })
    return nums.count == 2 ? ":\(nums[0]):\(nums[1])" : ""
  }
}

extension ExperimentConfig {
  /// Every key and its value, in table order.
  public func flattened() -> [(key: String, value: ConfigValue)] {
    ConfigKeys.all.map { ($0.name, $0.get(self)) }
  }

  public func value(of name: String) -> ConfigValue? { ConfigKeys.key(name)?.get(self) }

  /// Sorted-key, compact JSON: equal configs give equal text (the config hash's input).
  public func canonicalJSON() -> String {
    "{"
      + flattened().sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value.json)" }.joined(separator: ",")
      + "}"
  }

  public var hash: String { SHA256.hex(of: Data(canonicalJSON().utf8)) }

  /// Typed rows for the registry's `params` table.
  public func paramEntries() -> [ParamEntry] {
    flattened().map { k, v in
      switch v {
      case .int(let i): return .int(k, i)
      case .double(let d): return .float(k, d)
      case .bool(let b): return .bool(k, b)
      case .string(let s): return .string(k, s)
      case .intList(let l): return .list(k, l.map(String.init))
      }
    }
  }

  /// Keys whose value differs from `other`'s.
  public func changedKeys(from other: ExperimentConfig) -> [String] {
    ConfigKeys.all.filter { $0.get(self) != $0.get(other) }.map(\.name)
  }

  /// YAML text grouped by section, loadable by `ConfigLoader`.
  public func yaml(onlyChangedFrom base: ExperimentConfig? = nil) -> String {
    var out = ""
    for section in ConfigKeys.sections {
      let keys = ConfigKeys.all.filter {
        $0.section == section && (base == nil || $0.get(self) != $0.get(base!))
      }
      if keys.isEmpty { continue }
      out += "\(section):\n"
      for k in keys {
        let v = k.get(self)
        var text = v.description
        if case .string(let s) = v { text = "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        out += "  \(k.name): \(text)\n"
      }
    }
    return out
  }
}
