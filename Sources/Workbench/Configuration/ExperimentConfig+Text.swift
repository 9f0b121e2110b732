// The experiment config written out: flattened key/value pairs in schema order, the canonical
// JSON a config hash is taken of (and that a run records), registry params, and YAML grouped by
// section (`lmlab config show`, generated `Experiments/defaults.yaml`).
import ConfigSchema
import Foundation
import Registry

extension ExperimentConfig {
  /// Every key and its value, in schema order.
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

  /// YAML text grouped by section, loadable by `ConfigLoader`; with `help`, each key's help as a
  /// comment (the generated `Experiments/defaults.yaml`).
  public func yaml(onlyChangedFrom base: ExperimentConfig? = nil, help: Bool = false) -> String {
    var out = ""
    for section in ConfigKeys.sections {
      let keys = ConfigKeys.all.filter {
        $0.section == section && (base == nil || $0.get(self) != $0.get(base!))
      }
      if keys.isEmpty { continue }
      if !out.isEmpty && help { out += "\n" }
      out += "\(section):" + (help ? "  # read by \(keys[0].reader)" : "") + "\n"
      for k in keys {
        let line = "  \(k.name): \(k.get(self).yaml)"
        out += help ? line.padding(toLength: max(line.count, 36), withPad: " ", startingAt: 0) + "  # \(k.help)\n" : line + "\n"
      }
    }
    return out
  }
}
