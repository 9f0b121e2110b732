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
      let (tensors, dstep) = optD.stateDict()
      try Checkpoint(
        module: d, optimizer: tensors, optimizerAttributes: ["step": Int64(dstep)], config: configJSON, step: step
      ).write(to: Self.discriminatorPath(for: path))
    }
    let (tensors, gstep) = optimizer.stateDict()
    var ckpt = Checkpoint(
      module: model, optimizer: tensors, optimizerAttributes: ["step": Int64(gstep)], config: configJSON, step: step,
      state: extraState)
    ckpt.setState("trainer_rng", words: rng.stateWords)
    try ckpt.write(to: path)
  }

  /// Restores model, optimizers, RNG and step from `path` (strict). Returns the checkpoint
  /// (for the caller's state words).
  @discardableResult
  public func restore(from path: String) throws -> Checkpoint {
    let ckpt = try Checkpoint.read(from: path)
    try model.load(ckpt)
    do {
      try optimizer.loadStateDict(ckpt.optimizerDictionary, step: Int(ckpt.optimizerAttributes["step"] ?? 0))
    } catch let e as StateDictError {
      throw StorageError.stateDict(path: path, e)
    }
    if let words = ckpt.stateWords("trainer_rng"), words.count == 4 { rng = SeededRNG(state: words) }
    if let d = discriminator, let optD = optimizerD {
      let dpath = Self.discriminatorPath(for: path)
      let dc = try d.load(from: dpath)
      do {
        try optD.loadStateDict(dc.optimizerDictionary, step: Int(dc.optimizerAttributes["step"] ?? 0))
      } catch let e as StateDictError {
        throw StorageError.stateDict(path: dpath, e)
      }
    }
    step = ckpt.step
    return ckpt
  }
}
