// Sampler state (RNG words + position) so a run resumes exactly, and the per-batch record of
// which frames were used.
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

/// Which frames one batch item came from.
public struct SampleOrigin: Equatable, Sendable {
  public var sequence: Int
  public var frame: Int
  /// The appearance-branch frame (== frame unless temporal pairs are on).
  public var otherFrame: Int
}
