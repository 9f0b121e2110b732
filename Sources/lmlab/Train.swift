// `lmlab train landmarks|dynamics|pixel|resume|worker`: train the landmark model, the dynamics or
// the pixel-space predictor, continue an interrupted or
// killed run exactly, or continue whatever landmark run is queued (e.g. by `lmlab runs resume`).
import ArgumentParser
import Foundation
import Workbench

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train models (checkpoints, losses, samples and probes go to the registry).",
    subcommands: [TrainLandmarks.self, TrainDynamics.self, TrainPixel.self, TrainResume.self, TrainWorker.self])
}

struct TrainLandmarks: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "landmarks", abstract: "Train the landmark model of an experiment config.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var threadOptions: ThreadOptions

  // Optional: `--set` alone over the defaults is enough (README: `--set dataset=frames ...`).
  @Option(help: "Experiment config (YAML), e.g. Experiments/landmarks-demo.yaml; a shipped config by name (landmarks-demo) from any folder (default: the defaults alone).")
  var config: String?
  @Option(name: .customLong("set"), help: "Override a config key: --set key=value (repeatable).") var overrides: [String] = []
  @Option(help: "Run name (default: the config file's name, else 'landmarks').") var name: String?
  @Option(help: "Experiment to file the run under.") var experiment: String?

  func run() throws {
    let loaded = try ConfigLoader.load(file: config, overrides: overrides)
    try threadOptions.apply()
    let registry = try global.openRegistry(mustExist: false)
    var options = TrainOptions()
    options.runName = name ?? config.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "landmarks"
    options.experiment = experiment
    let s = try LandmarkTraining.start(loaded, registry: registry, options: options)
    if s.wasInterrupted { throw ExitCode(130) }
  }
}

struct TrainDynamics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dynamics",
    abstract: "Train the residual LSTM on the landmark states of a finished landmarks run.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var threadOptions: ThreadOptions

  @Option(help: "The finished landmarks run whose model encodes the training frames.") var landmarksRun: String
  @Option(help: "Dynamics config (YAML) over that run's config, e.g. Experiments/dynamics-demo.yaml.") var config: String?
  @Option(name: .customLong("set"), help: "Override a config key: --set key=value (repeatable).") var overrides: [String] = []
  @Option(help: "Run name (default: the config file's name).") var name: String?
  @Option(help: "Experiment to file the run under.") var experiment: String?

  func run() throws {
    try threadOptions.apply()
    let registry = try global.openRegistry()
    var options = TrainOptions()
    options.runName = name ?? config.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "dynamics"
    options.experiment = experiment
    let id = try parseRunID(landmarksRun)
    let loaded = try DynamicsTraining.config(landmarksRun: id, file: config, overrides: overrides, registry: registry)
    let s = try DynamicsTraining.start(loaded, landmarksRun: id, registry: registry, options: options)
    if s.wasInterrupted { throw ExitCode(130) }
  }
}

struct TrainPixel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pixel",
    abstract: "Train the pixel-space predictor (ConvLSTMs, CDNA kernels, masks) on the frames of a config's data.")

  @OptionGroup var global: GlobalOptions

  @Option(help: "Pixel config (YAML), e.g. Experiments/pixel-demo.yaml; a shipped config by name from any folder (default: the defaults alone).")
  var config: String?
  @Option(name: .customLong("set"), help: "Override a config key: --set key=value (repeatable).") var overrides: [String] = []
  @Option(help: "Run name (default: the config file's name, else 'pixel').") var name: String?
  @Option(help: "Experiment to file the run under.") var experiment: String?

  func run() throws {
    let loaded = try ConfigLoader.load(file: config, overrides: overrides, kind: PixelTraining.runKind)
    let registry = try global.openRegistry(mustExist: false)
    var options = TrainOptions()
    options.runName = name ?? config.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "pixel"
    options.experiment = experiment
    let s = try PixelTraining.start(loaded, registry: registry, options: options)
    if s.wasInterrupted { throw ExitCode(130) }
  }
}

/// `lmlab train resume ID`: the same command as `lmlab runs resume ID` (kept for old scripts).
struct TrainResume: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resume", abstract: "Same as `lmlab runs resume`: continue an interrupted or failed training run of any kind.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var threadOptions: ThreadOptions

  @Argument(help: "Run id.") var id: String

  @Flag(help: "Only queue the run again; a worker (`lmlab train worker`) continues it.")
  var queueOnly = false

  func run() throws {
    try threadOptions.apply()
    try resumeRun(id, queueOnly: queueOnly, global: global)
  }
}

struct TrainWorker: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker",
    abstract: "Train queued runs until none is left: a sweep's trials (--sweep), else any queued training run.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var threadOptions: ThreadOptions
  @Option(help: "Sweep id or name: claim its trials, requeue its interrupted ones, wait while others run its last trials.")
  var sweep: String?
  @Option(help: "Stop after this many trials (0: no limit).") var maxTrials = 0

  func run() throws {
    try threadOptions.apply()
    let registry = try global.openRegistry()
    if let sweep {
      var options = SweepWorkerOptions()
      options.maxTrials = maxTrials
      // A worker's output is usually a log file: write each line as it happens.
      options.train.print = {
        print($0)
        fflush(stdout)
      }
      let s = try SweepWorker.run(sweep: sweep, registry: registry, options: options)
      print("worker done: \(s.trained.count) trial(s) trained, \(s.failed.count) failed" + (s.interrupted.map { "; trial \($0) interrupted" } ?? ""))
      if s.interrupted != nil { throw ExitCode(130) }
      return
    }
    var count = 0
    while maxTrials == 0 || count < maxTrials, let s = try TrainingRuns.continueQueued(registry: registry) {
      count += 1
      if s.wasInterrupted { throw ExitCode(130) }
    }
    print("\(count) run(s) continued; no training run is queued")
  }
}
