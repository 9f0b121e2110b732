// TrainerState: the trainer's full state as Storage checkpoints, for a bit-identical resume.
// Main file (DESIGN §4): the model's tensors, Adam state under optimizer/, config JSON, step,
// and state/ words (trainer RNG, plus the caller's, e.g. the sampler). With the GAN on, the
// discriminator and its Adam state go to a sibling file (as the reference's resume_ckpt_D),
// so the main file loads strictly into a LandmarkModel.
import Storage
import TensorEngine

extension LandmarkTrainer {
  /// The sibling path of a checkpoint's discriminator file: `x.h5` → `x.D.h5`.
  public static func discriminatorPath(for path: String) -> String {
    path.hasSuffix(".h5") ? String(path.dropLast(3)) + ".D.h5" : path + ".D"
  }

  /// Writes the trainer's state to `path` (and the discriminator's beside it) atomically.
  /// `extraState`: the caller's small integer state (sampler RNG words and position, ...).
  public func save(to path: String, configJSON: String, extraState: [(String, [Int64])] = []) throws {
    if let d = discriminator, let optD = optimizerD {
      try Checkpoint(module: d, adam: optD, config: configJSON, step: step).write(to: Self.discriminatorPath(for: path))
    }
    var ckpt = Checkpoint(module: model, adam: optimizer, config: configJSON, step: step, state: extraState)
    ckpt.setState("trainer_rng", words: rng.stateWords)
    try ckpt.write(to: path)
  }

  /// Restores model, optimizers, RNG and step from `path` (strict). Returns the checkpoint
  /// (for the caller's state words).
  @discardableResult
  public func restore(from path: String) throws -> Checkpoint {
    let ckpt = try Checkpoint.read(from: path)
    try model.load(ckpt)
    try ckpt.restoreOptimizer(into: optimizer)
    if let words = ckpt.stateWords("trainer_rng"), words.count == 4 { rng = SeededRNG(state: words) }
    if let d = discriminator, let optD = optimizerD {
      let dpath = Self.discriminatorPath(for: path)
      try d.load(from: dpath).restoreOptimizer(into: optD)
    }
    step = ckpt.step
    return ckpt
  }
}
