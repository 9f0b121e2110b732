// PixelTraining: the `lmlab train pixel` pipeline. Everything is checked first (the config, a
// frame size the predictor divides, windows that fit the training sequences), then a pixel run
// is created and `PixelSession` is stepped by the shared `RunLifecycle`. `lmlab runs resume`
// continues it exactly (TrainingRuns.swift).
import Foundation
import Registry

public enum PixelTraining {
  public static let runKind = PixelSetup.runKind

  /// Checks everything, then starts a pixel run of `loaded` and trains it.
  public static func start(_ loaded: LoadedConfig, registry: Registry, options: TrainOptions = .init()) throws -> TrainSummary {
    try PixelSetup.check(loaded)
    let spec = loaded.runSpec(
      name: options.runName, kind: runKind, experiment: options.experiment, commandLine: options.commandLine)
    let handle = try registry.startRun(spec)
    return try execute(handle, config: loaded.config, resumeFrom: nil, options: options)
  }

  /// Trains run `handle` (from `resumeFrom` when it continues), marking it failed on an error.
  static func execute(_ handle: RunHandle, config c: ExperimentConfig, resumeFrom: String?, options: TrainOptions) throws
    -> TrainSummary
  {
    do {
      let dir = try RunLifecycle.runDirectory(savePath: c.run.savePath, handle: handle, resuming: resumeFrom != nil)
      let life = RunLifecycle(handle: handle, dir: dir, options: options)
      let session = try PixelSession(config: c, options: options)
      if let path = resumeFrom { try life.resume(session, from: path) }
      return try life.run(session)
    } catch {
      handle.failIfRunning(error, print: options.print)
      throw error
    }
  }
}
