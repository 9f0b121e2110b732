// ConfigSection: what a module declares beside the code that reads its settings — a struct
// whose property initial values are the defaults, its keys, the YAML group they belong to, the
// component that reads them, and the rules that span its keys. The experiment config (Workbench)
// is the composition of these sections; every config path derives from their fields.
import Foundation

public protocol ConfigSection: Equatable, Sendable {
  /// The defaults.
  init()
  /// The YAML group of the section's keys (`model:`, `pairs:`, ...).
  static var sectionName: String { get }
  /// The component that reads these keys, as `lmlab config keys` names it.
  static var reader: String { get }
  static var fields: [ConfigField<Self>] { get }
  /// Rules spanning this section's keys: one message per broken rule (empty: valid).
  func problems() -> [String]
}

extension ConfigSection {
  public func problems() -> [String] { [] }

  /// The section's keys on a config that holds it at `path`.
  public static func fields<Outer>(at path: WritableKeyPath<Outer, Self>) -> [ConfigField<Outer>] {
    fields.map { $0.lifted(path, section: sectionName, reader: reader) }
  }

  /// The section's values read from a JSON object (e.g. a checkpoint's `config` attribute, which
  /// holds every key of a run): keys left out keep their defaults, other keys are ignored, and
  /// every value present is checked as a YAML value would be.
  public init(json: String) throws {
    guard let data = json.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any]
    else { throw ConfigJSONError(detail: "not a JSON object") }
    var s = Self()
    for f in Self.fields {
      guard let v = dict[f.name] else { continue }
      let raw: RawConfigValue
      switch (f.kind, v) {
      case (_, is NSNull): raw = .scalar("", isNull: true)
      case (.double, let n as NSNumber): raw = .scalar(ConfigValue.format(n.doubleValue), isNull: false)
      case (.int, let n as NSNumber): raw = .scalar(n.stringValue, isNull: false)
      case (.bool, let b as Bool): raw = .scalar(b ? "true" : "false", isNull: false)
      case (.bool, let n as NSNumber): raw = .scalar(n.intValue != 0 ? "true" : "false", isNull: false)
      case (_, let t as String): raw = .scalar(t, isNull: false)
      case (_, let l as [Any]): raw = .list(l.map { "\($0)" })
      default: raw = .scalar("\(v)", isNull: false)  // the field's check names it
      }
      do { try f.assign(raw, to: &s) } catch { throw ConfigJSONError(detail: error.description) }
    }
    if let p = s.problems().first { throw ConfigJSONError(detail: p) }
    self = s
  }
}

/// A JSON config that does not hold valid values for a section.
public struct ConfigJSONError: Error, Equatable, CustomStringConvertible {
  public let detail: String
  public var description: String { "config JSON: \(detail)" }
}

extension ConfigSection {
  /// Every broken rule of the current values: each key against its range or allowed values, then
  /// the section's own rules (a config built in code is checked as a loaded one is).
  public func violations() -> [String] {
    var out: [String] = []
    for f in Self.fields {
      let v = f.get(self)
      var copy = self
      do { try f.assign(v, to: &copy) } catch { out.append(error.description) }
    }
    return out + problems()
  }
}
