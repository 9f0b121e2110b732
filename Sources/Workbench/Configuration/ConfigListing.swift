// What `lmlab config keys` and `lmlab config show` print, drawn from the schema.
import ConfigSchema
import Foundation

public enum ConfigListing {
  /// One row per key: name, section, type, default, valid values, reader, help.
  public static func keys(tsv: Bool) -> String {
    let defaults = ExperimentConfig()
    let rows = ConfigKeys.all.map { k in
      [k.name, k.section, k.typeName, k.get(defaults).yaml, k.expectation, k.reader, k.help]
    }
    let header = ["key", "section", "type", "default", "valid", "read by", "help"]
    if tsv { return ([header] + rows).map { $0.joined(separator: "\t") }.joined(separator: "\n") + "\n" }
    // Aligned columns for the first five; reader and help follow on the same line.
    var widths = [Int](repeating: 0, count: 5)
    for r in [header] + rows { for i in 0..<5 { widths[i] = max(widths[i], r[i].count) } }
    func line(_ r: [String]) -> String {
      (0..<5).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        + "  \(r[6]) [\(r[5])]"
    }
    var out = line(header) + "\n"
    for r in rows { out += line(r) + "\n" }
    out += "\(rows.count) keys. Removed keys: "
      + ConfigKeys.removed.keys.sorted().map { "\($0) → \(ConfigKeys.removed[$0]!)" }.joined(separator: "; ") + "\n"
    return out
  }

  public static func show(file: String?, overrides: [String], onlyChanged: Bool) throws -> String {
    let c = try ConfigLoader.load(file: file, overrides: overrides).config
    return c.yaml(onlyChangedFrom: onlyChanged ? ExperimentConfig() : nil)
  }

  /// `Experiments/defaults.yaml`: every key at its default, grouped by section, with help.
  public static func defaultsYAML() -> String {
    "# Every config key at its default, grouped by section: `lmlab config defaults` prints it from\n"
      + "# the schema (make build writes it here; it is not tracked). Experiment files set only what\n"
      + "# differs; `lmlab config keys` lists the valid values and which component reads each key.\n"
      + ExperimentConfig().yaml(help: true)
  }
}
