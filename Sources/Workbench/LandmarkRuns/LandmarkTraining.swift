// LandmarkTraining: the `lmlab train landmarks` pipeline. Config → dataset → a landmark run in
// the registry → `LandmarkSession` stepped by the shared `RunLifecycle` (per-step losses as
// series, checkpoints every `checkpoint_every` steps, at the end and on SIGINT/SIGTERM, sample
// PNGs, keypoint probes beside two baselines, progress with rate and ETA, a NaN stop naming
// the last good checkpoint). `lmlab runs resume` continues it exactly (TrainingRuns.swift).
import Datasets
import Foundation
import Landmarks
import Logging
import Registry

/// Knobs of a training invocation that are not part of the experiment config.
public struct TrainOptions {
  public var runName = "landmarks"
  public var experiment: String?
  public var commandLine = CommandLine.arguments.joined(separator: " ")
  /// nil: live on a terminal, plain lines otherwise.
  public var progressStyle: ProgressReporter.Style?
  /// Where human-readable lines go.
  public var print: (String) -> Void = { Swift.print($0) }
  /// Test hooks: called after each applied step with the step count; added to the loss.
  public var afterStep: ((Int) -> Void)?
  public var lossInjection: ((Int) -> Float)?

  public init() {}
}

/// How a run ended.
public struct TrainSummary {
  public var runId: Int64
  public var status: RunStatus
  public var steps: Int
  public var lastCheckpoint: String?
  public var keypointAccuracy: Double?
  public var baselineMeanPose: Double?
  public var baselineUntrained: Double?
}

public enum LandmarkTraining {
  public static let runKind = "train-landmarks"
  static let log = LMLabLogging.logger("train")

  /// Starts a new run of `loaded` in `registry` and trains it.
  public static func start(_ loaded: LoadedConfig, registry: Registry, options: TrainOptions = .init()) throws -> TrainSummary {
    // The dataset is opened (and validated) first: a bad folder or manifest is one error line,
    // not also a failed run in the registry.
    let source = try TrainSetup.dataset(loaded.config)
    let spec = loaded.runSpec(
      name: options.runName, kind: runKind, experiment: options.experiment, commandLine: options.commandLine)
    let handle = try registry.startRun(spec)
    return try execute(handle, config: loaded.config, source: source, resumeFrom: nil, options: options)
  }

  /// Trains run `handle` (from `resumeFrom` when it continues), marking it failed on an error.
  static func execute(
    _ handle: RunHandle, config c: ExperimentConfig, source: VideoSource? = nil, resumeFrom: String?, options: TrainOptions
  ) throws -> TrainSummary {
    do {
      let dir = try RunLifecycle.runDirectory(savePath: c.run.savePath, handle: handle, resuming: resumeFrom != nil)
      let life = RunLifecycle(handle: handle, dir: dir, options: options)
      let session = try LandmarkSession(config: c, source: source, options: options)
      if let path = resumeFrom { try life.resume(session, from: path) }
      return try life.run(session)
    } catch {
      handle.failIfRunning(error, print: options.print)
      throw error
    }
  }
}
