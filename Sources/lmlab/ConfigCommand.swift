// `lmlab config ...`: the config keys every run reads (key, type, default, range, reader, help),
// and a config file resolved over the defaults as the run would record it.
import ArgumentParser
import Workbench

struct ConfigCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "config", abstract: "List the config keys, or show a config as a run would record it.",
    subcommands: [ConfigKeysCommand.self, ConfigShow.self, ConfigDefaults.self])
}

struct ConfigKeysCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keys", abstract: "Every config key: section, type, default, valid values, the component that reads it, help.")

  @Flag(help: "Tab-separated columns with a header line (for scripts).")
  var tsv = false

  func run() throws { print(ConfigListing.keys(tsv: tsv), terminator: "") }
}

struct ConfigShow: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "A config file (and --set overrides) resolved over the defaults, as YAML.")

  @Argument(help: "An experiment YAML file (omit for the defaults).")
  var file: String?

  @Option(name: .customLong("set"), help: "key=value override (repeatable).")
  var overrides: [String] = []

  @Flag(help: "Only the keys that differ from the defaults.")
  var changed = false

  func run() throws { print(try ConfigListing.show(file: file, overrides: overrides, onlyChanged: changed), terminator: "") }
}

struct ConfigDefaults: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "defaults", abstract: "Every key at its default as YAML with help (Experiments/defaults.yaml is this output).")

  func run() throws { print(ConfigListing.defaultsYAML(), terminator: "") }
}
