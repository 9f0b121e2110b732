// `lmlab runs queue [CONFIG] [--set key=value ...]`: record a queued run with its resolved
// config, for any worker process to claim. The config is checked before the registry opens.
import ArgumentParser
import Foundation
import Workbench

struct RunsQueue: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "queue",
    abstract: "Queue a run with a config (defaults ← CONFIG ← --set overrides) for a worker to claim.")

  @OptionGroup var global: GlobalOptions

  @Argument(help: "Experiment config YAML (keys: `lmlab config keys`).")
  var config: String?

  @Option(name: .customLong("set"), help: "Override one key: --set n_landmarks=40 (repeatable).")
  var overrides: [String] = []

  @Option(name: .long, help: "Run name (default: the config file's name).")
  var name: String?

  @Option(name: .long, help: "Run kind.")
  var kind = "train-landmarks"

  @Option(name: .long, help: "Experiment the run belongs to.")
  var experiment: String?

  @Flag(name: .long, help: "Print the resolved config (only keys that differ from the defaults) and stop.")
  var dryRun = false

  func run() throws {
    let loaded = try ConfigLoader.load(file: config, overrides: overrides, kind: kind)
    if dryRun {
      let text = loaded.config.yaml(onlyChangedFrom: ExperimentConfig())
      print(text.isEmpty ? "(all defaults)" : text, terminator: "")
      return
    }
    let runName =
      name ?? config.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "run"
    let registry = try global.openRegistry(mustExist: false)
    let run = try RunQueries.queue(loaded, name: runName, kind: kind, experiment: experiment, registry: registry)
    print("queued run \(run.id) (\(runName), config \(run.configHash.prefix(12)))")
  }
}
