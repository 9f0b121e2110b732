// Sampler state (RNG words + position) so a run resumes exactly, and the per-batch record of
// which frames were used.
import Storage
import TensorEngine

/// Everything a sampler needs to continue where it left off: restore it and the next batch is
/// the one that would have come next.
public struct SamplerState: Codable, Equatable, Sendable {
  public var rng: [UInt64]
  /// Batches produced so far.
  public var position: Int

  public init(rng: [UInt64], position: Int) {
    self.rng = rng
    self.position = position
  }
}

extension SamplerState {
  /// As checkpoint state words: `sampler_rng` and `sampler_position`.
  public var checkpointState: [(String, [Int64])] {
    [("sampler_rng", rng.map { Int64(bitPattern: $0) }), ("sampler_position", [Int64(position)])]
  }

  /// The sampler state a checkpoint saved with `checkpointState`; nil when it has none.
  public init?(checkpoint: Checkpoint) {
    guard let words = checkpoint.stateWords("sampler_rng"), let pos = checkpoint.state("sampler_position")?.first else { return nil }
    self.init(rng: words, position: Int(pos))
  }
}

/// Which frames one batch item came from.
public struct SampleOrigin: Equatable, Sendable {
  public var sequence: Int
  public var frame: Int
  /// The appearance-branch frame (== frame unless temporal pairs are on).
  public var otherFrame: Int
}
