// Loading configs: the sections' defaults, then an experiment file, then `--set key=value`
// overrides (or a base config, e.g. the landmark run a dynamics run builds on, in place of the
// defaults). Every error is one line naming the file and line (or the `--set`), the key, and
// what would have been valid; a removed key says what replaced it.
import ConfigSchema
import Foundation
import Registry
import SafeIO
import Yams

public enum ConfigError: Error, CustomStringConvertible, LocalizedError, Equatable {
  case unknownKey(key: String, suggestion: String?, at: String)
  case removedKey(key: String, replacement: String, at: String)
  case badValue(key: String, value: String, expected: String, at: String)
  case inconsistent(message: String, at: String)
  case syntax(message: String, at: String)
  case unreadable(path: String, detail: String)

  public var description: String {
    switch self {
    case .unknownKey(let key, let s, let at):
      return "\(at): unknown config key '\(key)'" + (s.map { " (did you mean '\($0)'?)" } ?? "")
    case .removedKey(let key, let replacement, let at):
      return "\(at): config key '\(key)' was removed; use \(replacement)"
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

public struct LoadedConfig: Sendable {
  public var config: ExperimentConfig
  /// Where the values came from, in order applied.
  public var sources: [String]

  public init(config: ExperimentConfig, sources: [String]) {
    self.config = config
    self.sources = sources
  }
}

public enum ConfigLoader {
  /// Defaults (or `base`) ← `file` ← `overrides` ("key=value" each), validated for a run of
  /// `kind` (RunKindRules; nil: every rule). `baseName` says where `base` came from.
  public static func load(
    file: String?, overrides: [String] = [], base: ExperimentConfig? = nil, baseName: String = "base config",
    kind: String? = nil
  ) throws -> LoadedConfig {
    var config = base ?? ExperimentConfig()
    var sources = [base == nil ? "defaults" : baseName]
    let file = file.map { ExperimentsFolder.resolve(config: $0) }
    if let f = file {
      try apply(yamlFile: f, to: &config)
      sources.append(f)
    }
    for o in overrides { try apply(override: o, to: &config) }
    if !overrides.isEmpty { sources.append("--set " + overrides.joined(separator: " --set ")) }
    // A rule spanning keys is blamed on the last thing that set one of them.
    try validate(config, at: overrides.isEmpty ? (file ?? baseName) : "--set", kind: kind)
    return LoadedConfig(config: config, sources: sources)
  }

  /// A run's recorded config (its canonical JSON): every key it records is read back and checked.
  /// Keys removed since it was recorded are skipped: they were never read, so the run computed the
  /// same without them (a registry from an earlier version stays usable).
  public static func recorded(_ json: String, runId: Int64) throws -> ExperimentConfig {
    var config = ExperimentConfig()
    try apply(yaml: json, source: "run \(runId) config", to: &config, skippingRemoved: true)
    return config
  }

  public static func apply(yamlFile path: String, to config: inout ExperimentConfig) throws {
    try apply(yaml: try readText(path), source: path, to: &config)
  }

  /// Most bytes a config or sweep spec may have (a real one has a few kB).
  static let maxFileBytes = 16 << 20

  /// A config or spec file's text: a regular file (a FIFO would block), of sane size, in UTF-8.
  static func readText(_ path: String) throws -> String {
    if let text = ExperimentsFolder.builtInText(path) { return text }
    let data: Data
    do { data = try FileKind.read(path, maxBytes: maxFileBytes) } catch let e as InputRefused {
      throw ConfigError.unreadable(path: path, detail: e.reason(without: path))
    }
    guard let text = String(data: data, encoding: .utf8) else { throw ConfigError.unreadable(path: path, detail: "not UTF-8 text") }
    return text
  }

  /// Applies a YAML mapping of keys (flat, or grouped under section names) to `config`.
  public static func apply(
    yaml: String, source: String, to config: inout ExperimentConfig, skippingRemoved: Bool = false
  ) throws {
    if let line = YAMLDepth.firstLineTooDeep(yaml) { throw ConfigError.syntax(message: YAMLDepth.message, at: "\(source):\(line)") }
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
    try applyMapping(mapping, source: source, grouped: false, skippingRemoved: skippingRemoved, to: &config)
  }

  private static func applyMapping(
    _ mapping: Node.Mapping, source: String, grouped: Bool, skippingRemoved: Bool, to config: inout ExperimentConfig
  ) throws {
    for (k, v) in mapping {
      let at = source + mark(k)
      guard let name = k.string else {
        throw ConfigError.syntax(message: "a config key must be a string", at: at)
      }
      if !grouped, ConfigKeys.isGroup(name), let sub = v.mapping {
        try applyMapping(sub, source: source, grouped: true, skippingRemoved: skippingRemoved, to: &config)
        continue
      }
      if ConfigKeys.ignoredReferenceKeys.contains(name) { continue }
      if skippingRemoved && ConfigKeys.removed[name] != nil { continue }
      let key = try known(name, at: at)
      let raw: RawConfigValue
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
        throw ConfigError.badValue(key: name, value: "a mapping", expected: key.expectation, at: source + mark(v))
      }
      try set(key, raw, at: source + mark(v), in: &config)
    }
  }

  /// Applies one `key=value` override (`value` may be a list: `[128,64,32]` or `128,64,32`).
  public static func apply(override: String, to config: inout ExperimentConfig) throws {
    let at = "--set \(override)"
    guard let eq = override.firstIndex(of: "=") else {
      throw ConfigError.syntax(message: "expected key=value", at: at)
    }
    let key = try known(override[..<eq].trimmingCharacters(in: .whitespaces), at: at)
    var value = override[override.index(after: eq)...].trimmingCharacters(in: .whitespaces)
    let raw: RawConfigValue
    if case .intList = key.kind {
      if value.hasPrefix("[") && value.hasSuffix("]") { value = String(value.dropFirst().dropLast()) }
      raw = .list(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    } else {
      if value.count >= 2, let f = value.first, f == value.last, f == "'" || f == "\"" {
        value = String(value.dropFirst().dropLast())
      }
      raw = .scalar(value, isNull: false)
    }
    try set(key, raw, at: at, in: &config)
  }

  /// Sets a typed value (a sweep's drawn value) with the same checks; `at` names its origin.
  public static func apply(_ name: String, _ value: ConfigValue, at: String, to config: inout ExperimentConfig) throws {
    let key = try known(name, at: at)
    do { try key.assign(value, to: &config) } catch {
      throw ConfigError.badValue(key: key.name, value: error.value, expected: error.expected, at: at)
    }
  }

  /// The key `name` spells (or an alias of it); a removed key says what replaced it, an unknown
  /// one names the nearest key.
  public static func known(_ name: String, at: String) throws -> ConfigKey {
    if let key = ConfigKeys.key(name) { return key }
    if let r = ConfigKeys.removed[name] { throw ConfigError.removedKey(key: name, replacement: r, at: at) }
    throw unknown(name, at: at)
  }

  static func unknown(_ name: String, at: String) -> ConfigError {
    let names = ConfigKeys.all.map(\.name) + Array(ConfigKeys.aliases.keys)
    var suggestion = nearestName(name, among: names)
    if let s = suggestion, let target = ConfigKeys.aliases[s] { suggestion = target }
    return .unknownKey(key: name, suggestion: suggestion, at: at)
  }

  static func set(_ key: ConfigKey, _ raw: RawConfigValue, at: String, in config: inout ExperimentConfig) throws {
    do { try key.assign(raw, to: &config) } catch {
      throw ConfigError.badValue(key: key.name, value: error.value, expected: error.expected, at: at)
    }
  }

  /// Rules that span keys (each section's own, those a run of `kind` obeys), and the range of
  /// every key (a config built in code, or a sweep's, is checked as a loaded one is).
  public static func validate(_ c: ExperimentConfig, at: String, kind: String? = nil) throws {
    for k in ConfigKeys.all {
      var copy = c
      do { try k.assign(k.get(c), to: &copy) } catch {
        throw ConfigError.badValue(key: k.name, value: error.value, expected: error.expected, at: at)
      }
    }
    if let p = c.problems(in: RunKindRules.sections(for: kind)).first { throw ConfigError.inconsistent(message: p, at: at) }
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
