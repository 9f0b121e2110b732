// DynamicsTraining: the `lmlab train dynamics` pipeline. Everything is checked first (a finished
// landmark run with a checkpoint, the dynamics config over its config, windows that fit the
// training sequences), then a dynamics run whose parent is the landmark run is created and
// `DynamicsSession` is stepped by the shared `RunLifecycle`. `lmlab runs resume` continues it.
import Datasets
import Dynamics
import Foundation
import Landmarks
import Registry

public enum DynamicsTraining {
  public static let runKind = DynamicsSetup.dynamicsKind

  /// Everything checked before a run is created: nothing is written when this throws.
  public struct Plan {
    public var loaded: LoadedConfig
    var landmarkCheckpoint: String
  }

  /// The config of a dynamics run on landmark run `id`: that run's config ← `file` ← `overrides`.
  public static func plan(landmarksRun id: Int64, file: String?, overrides: [String], registry: Registry) throws -> Plan {
    let (_, ckpt, lconfig) = try DynamicsSetup.finishedRun(id, kind: DynamicsSetup.landmarkKind, registry: registry, role: "landmarks run")
    let loaded = try DynamicsSetup.loadConfig(file: file, overrides: overrides, landmarkRun: id, landmarkConfig: lconfig)
    return try plan(loaded, landmarksRun: id, landmarkCheckpoint: ckpt)
  }

  /// A dynamics config loaded already (the demo's) checked against landmark run `id`.
  public static func plan(_ loaded: LoadedConfig, landmarksRun id: Int64, registry: Registry) throws -> Plan {
    let (_, ckpt, lconfig) = try DynamicsSetup.finishedRun(id, kind: DynamicsSetup.landmarkKind, registry: registry, role: "landmarks run")
    try DynamicsSetup.check(loaded, landmarkRun: id, landmarkConfig: lconfig)
    return try plan(loaded, landmarksRun: id, landmarkCheckpoint: ckpt)
  }

  /// Checks a loaded dynamics config against the training data.
  static func plan(_ loaded: LoadedConfig, landmarksRun id: Int64, landmarkCheckpoint: String) throws -> Plan {
    let c = loaded.config
    try DynamicsSetup.checkWindowsFit(c)
    return Plan(loaded: loaded, landmarkCheckpoint: landmarkCheckpoint)
  }

  /// The config of a dynamics run on landmark run `id`: that run's recorded config ← `file` ←
  /// `overrides`, checked against it (K and image size must agree).
  public static func config(landmarksRun id: Int64, file: String?, overrides: [String], registry: Registry) throws
    -> LoadedConfig
  {
    try plan(landmarksRun: id, file: file, overrides: overrides, registry: registry).loaded
  }

  /// Starts a dynamics run of a loaded config on landmark run `id` and trains it — as
  /// `LandmarkTraining.start` takes a loaded config (everything is checked before the run exists).
  public static func start(_ loaded: LoadedConfig, landmarksRun id: Int64, registry: Registry, options: TrainOptions = .init())
    throws -> TrainSummary
  {
    try start(try plan(loaded, landmarksRun: id, registry: registry), landmarksRun: id, registry: registry, options: options)
  }

  /// Checks everything, then starts a dynamics run on landmark run `id` and trains it.
  public static func start(
    landmarksRun id: Int64, configFile: String?, overrides: [String], registry: Registry, options: TrainOptions = .init()
  ) throws -> TrainSummary {
    try start(try plan(landmarksRun: id, file: configFile, overrides: overrides, registry: registry), landmarksRun: id,
      registry: registry, options: options)
  }

  /// Starts a dynamics run of a checked plan and trains it.
  public static func start(_ p: Plan, landmarksRun id: Int64, registry: Registry, options: TrainOptions = .init()) throws
    -> TrainSummary
  {
    let spec = p.loaded.runSpec(
      name: options.runName, kind: runKind, experiment: options.experiment, parentId: id, commandLine: options.commandLine)
    let handle = try registry.startRun(spec)
    return try execute(handle, config: p.loaded.config, landmarkCheckpoint: p.landmarkCheckpoint, resumeFrom: nil, options: options)
  }

  /// Continues a claimed dynamics run with its recorded config from its latest checkpoint.
  static func continueClaimed(_ handle: RunHandle, run: Run, config: ExperimentConfig, registry: Registry, options: TrainOptions)
    throws -> TrainSummary
  {
    let lckpt: String
    do { lckpt = try landmarkCheckpoint(of: run, registry: registry) } catch {
      handle.failIfRunning(error, print: options.print)
      throw error
    }
    return try execute(handle, config: config, landmarkCheckpoint: lckpt, resumeFrom: run.resumeFrom, options: options)
  }

  /// The checkpoint of the finished landmark run a dynamics run trains on (its parent).
  static func landmarkCheckpoint(of run: Run, registry: Registry) throws -> String {
    guard let parent = run.parentId else { throw TrainError.setup("dynamics run \(run.id) records no landmarks run") }
    return try DynamicsSetup.finishedRun(parent, kind: DynamicsSetup.landmarkKind, registry: registry, role: "landmarks run").checkpoint
  }

  static func execute(
    _ handle: RunHandle, config c: ExperimentConfig, landmarkCheckpoint: String, resumeFrom: String?, options: TrainOptions
  ) throws -> TrainSummary {
    do {
      let dir = try RunLifecycle.runDirectory(savePath: c.run.savePath, handle: handle, resuming: resumeFrom != nil)
      let life = RunLifecycle(handle: handle, dir: dir, options: options)
      let session = try DynamicsSession(config: c, landmarkCheckpoint: landmarkCheckpoint, dir: dir, options: options)
      if let path = resumeFrom { try life.resume(session, from: path) }
      return try life.run(session)
    } catch {
      handle.failIfRunning(error, print: options.print)
      throw error
    }
  }
}
