// LandmarkTraining: the `lmlab train landmarks` pipeline. Config → dataset → pair sampler (with
// its prefetcher) → trainer → registry: per-step losses as series (written in batches),
// checkpoints every `checkpoint_every` steps, at the end and on SIGINT/SIGTERM (run marked
// interrupted), sample PNGs, keypoint probes beside two baselines, progress with rate and ETA.
// A NaN/Inf loss stops the run (marked failed) naming the step and the last good checkpoint.
// A run that was interrupted or killed continues exactly from its latest checkpoint.
import Datasets
import Foundation
import Imaging
import Landmarks
import Logging
import Registry
import TensorEngine

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

  /// Claims the oldest queued landmark-training run (e.g. one `lmlab runs resume` queued again)
  /// and continues it from its latest checkpoint. nil when none is queued.
  public static func continueQueued(registry: Registry, options: TrainOptions = .init()) throws -> TrainSummary? {
    guard let handle = try registry.claimNextQueued(kind: runKind) else { return nil }
    return try continueClaimed(handle, registry: registry, options: options)
  }

  /// Continues a claimed run from its latest checkpoint with its recorded config.
  static func continueClaimed(_ handle: RunHandle, registry: Registry, options: TrainOptions) throws -> TrainSummary {
    let run = try registry.run(handle.runId)
    var config = ExperimentConfig()
    do {
      try ConfigLoader.apply(yaml: run.configJSON, source: "run \(run.id) config", to: &config)
    } catch {
      try? handle.finish(.failed, error: "config of run \(run.id) unreadable: \(error)")
      throw error
    }
    return try execute(handle, config: config, resumeFrom: run.resumeFrom, options: options)
  }

  /// Queues run `id` again (interrupted or failed) and continues that run in this process
  /// (nil when another worker claimed it first).
  public static func resume(runId id: Int64, registry: Registry, options: TrainOptions = .init()) throws -> TrainSummary? {
    let run = try registry.requeue(id)
    guard run.kind == runKind else {
      throw TrainError.setup("run \(id) is a '\(run.kind)' run, not '\(runKind)'")
    }
    guard let handle = try registry.claimQueued(id) else { return nil }
    return try continueClaimed(handle, registry: registry, options: options)
  }

  // MARK: the run

  /// The run's folder (`save_path`/ID, default runs/ID), created. A run that starts for the
  /// first time refuses a folder that already holds checkpoints: they belong to another run of
  /// the same id, from another registry whose runs go to the same folder, and would be mixed
  /// with (or overwritten by) this one's.
  static func runDirectory(_ c: ExperimentConfig, handle: RunHandle, resumeFrom: String?) throws -> String {
    let runId = handle.runId
    let dir = c.savePath.isEmpty ? "runs/\(runId)" : (c.savePath as NSString).appendingPathComponent("\(runId)")
    if resumeFrom == nil, try handle.registry.run(runId).resumes == 0,
      let foreign = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted().first(where: { $0.hasSuffix(".h5") })
    {
      throw TrainError.setup(
        "\(dir)/\(foreign) is already there: run \(runId) of another registry (\(handle.registry.path) is this one) "
          + "keeps its files in \(dir); set save_path to a folder of this registry's own, or move \(dir) away")
    }
    do {
      try FileManager.default.createDirectory(atPath: dir + "/samples", withIntermediateDirectories: true)
    } catch {
      throw TrainError.setup("cannot create \(dir): \(error.localizedDescription)")
    }
    return dir
  }

  static func execute(
    _ handle: RunHandle, config c: ExperimentConfig, source: VideoSource? = nil, resumeFrom: String?, options: TrainOptions
  ) throws
    -> TrainSummary
  {
    let out = options.print
    do {
      let session = try TrainSession(handle: handle, config: c, source: source, resumeFrom: resumeFrom, options: options)
      return try session.run()
    } catch {
      handle.failIfRunning(error, print: out)
      throw error
    }
  }
}
