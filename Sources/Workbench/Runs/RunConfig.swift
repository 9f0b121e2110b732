// RunConfig: the training-run config section the run lifecycle reads — the seed, how long a
// landmark run trains (max_steps, else epochs), where its files go, and its step cadences
// (checkpoints, sample images, keypoint probes).
import ConfigSchema

public struct RunConfig: ConfigSection {
  /// Where run folders go ('' = runs-<registry stem>/ beside the registry file; a relative path
  /// is relative to the working folder).
  public var savePath = ""
  public var seed = 0
  public var epochs = 2000
  /// 0: no step limit, epochs decide.
  public var maxSteps = 0
  public var checkpointEvery = 500
  public var sampleEvery = 500
  /// Keypoint probe every this many steps (0: only at the start and the end), on this many
  /// frames per split.
  public var probeEvery = 250
  public var probeFrames = 400

  public init() {}

  public static let sectionName = "run"
  public static let reader = "Workbench training run (RunLifecycle, KeypointProbe)"
  public static let fields: [ConfigField<RunConfig>] = [
    .string("save_path", \.savePath, "where run folders go ('' = runs-<registry stem>/<run id> beside the registry)"),
    .int("seed", \.seed, 0...Int(Int32.max), "random seed (model init, pair and window draws, the synthetic set)"),
    .int("epochs", \.epochs, 1...1_000_000, "landmark training epochs, when max_steps is 0"),
    .int("max_steps", \.maxSteps, 0...100_000_000, "landmark training steps (0 = epochs decide)"),
    .int("checkpoint_every", \.checkpointEvery, 1...100_000_000, "landmark checkpoint every this many steps"),
    .int("sample_every", \.sampleEvery, 1...100_000_000, "sample images every this many steps"),
    .int("probe_every", \.probeEvery, 0...100_000_000, "keypoint probe every this many steps (0 = start and end only)"),
    .int("probe_frames", \.probeFrames, 10...1_000_000, "frames per split the keypoint probe encodes"),
  ]

  /// Steps of a landmark run: `max_steps`, else `epochs` passes over `trainFrames` in batches.
  public func totalSteps(trainFrames: Int, batchSize: Int) -> Int {
    maxSteps > 0 ? maxSteps : epochs * max(1, trainFrames / batchSize)
  }
}
