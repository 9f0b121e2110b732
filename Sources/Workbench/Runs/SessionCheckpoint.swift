// SessionCheckpoint: what a training session's checkpoint holds beyond the trainer's own state —
// the sampler's position (RNG words and batch count), so a resumed run draws exactly the batches
// the uninterrupted run would have. Shared by the landmark, dynamics and pixel sessions.
import Datasets
import Dynamics
import Landmarks
import PixelDynamics
import Storage

/// A trainer that writes and restores its checkpoints with extra state words.
protocol CheckpointingTrainer: AnyObject {
  func save(to path: String, configJSON: String, extraState: [(String, [Int64])]) throws
  func restore(from path: String) throws -> Storage.Checkpoint
}

extension LandmarkTrainer: CheckpointingTrainer {}
extension DynamicsTrainer: CheckpointingTrainer {}
extension PixelTrainer: CheckpointingTrainer {}

/// A sampler that continues from a saved state.
protocol ResumableSampler: AnyObject {
  func restore(_ s: SamplerState)
}

extension PairSampler: ResumableSampler {}
extension WindowSampler: ResumableSampler {}

enum SessionCheckpoint {
  /// Writes the trainer's checkpoint with the sampler state after the last consumed batch.
  static func save(_ trainer: CheckpointingTrainer, to path: String, configJSON: String, sampler: SamplerState) throws {
    try trainer.save(to: path, configJSON: configJSON, extraState: sampler.checkpointState)
  }

  /// Restores the trainer and the sampler from `path`; returns the sampler state.
  static func restore(_ trainer: CheckpointingTrainer, _ sampler: ResumableSampler, from path: String) throws -> SamplerState {
    let ckpt = try trainer.restore(from: path)
    guard let saved = SamplerState(checkpoint: ckpt) else {
      throw TrainError.setup("\(path) has no sampler state (state/sampler_rng, state/sampler_position)")
    }
    sampler.restore(saved)
    return saved
  }
}
