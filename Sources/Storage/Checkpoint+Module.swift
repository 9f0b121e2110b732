// Checkpoint+Module: saving a Module's state dict as a checkpoint and loading one back
// strictly (a missing, unexpected or mis-shaped tensor is an error naming the key and file, and
// so is a tensor holding NaN or infinite values: a model loaded from it would compute garbage
// without a word).
import Foundation
import TensorEngine

extension Checkpoint {
  /// Throws naming the file and the first tensor (parameters and buffers, then optimizer state)
  /// that holds a NaN or an infinite value, with how many.
  public func checkFinite() throws {
    for (prefix, list) in [("", tensors), (Self.optimizerGroup + "/", optimizer)] {
      for (name, t) in list {
        if let problem = nonFiniteSummary(t) {
          throw StorageError.invalidContents(path: sourcePath ?? "<checkpoint in memory>", object: prefix + name, reason: problem)
        }
      }
    }
  }
}

/// "holds 12 NaN and 1 infinite values (of 864)" or nil when every value is finite.
public func nonFiniteSummary(_ t: Tensor) -> String? {
  let p = UnsafeBufferPointer(start: t.data, count: t.count)
  var nan = 0, inf = 0
  for v in p where !v.isFinite {
    if v.isNaN { nan += 1 } else { inf += 1 }
  }
  guard nan + inf > 0 else { return nil }
  let parts = [nan > 0 ? "\(nan) NaN" : nil, inf > 0 ? "\(inf) infinite" : nil].compactMap { $0 }
  return "holds \(parts.joined(separator: " and ")) value\(nan + inf == 1 ? "" : "s") (of \(t.count)); a model loaded from it would compute NaN"
}

extension Checkpoint {
  /// A checkpoint of `module`'s parameters and buffers (`stateDict()` names). The tensors are
  /// shared, not copied: write before the next optimizer step changes them.
  public init(
    module: Module, optimizer: [(String, Tensor)] = [], optimizerAttributes: [String: Int64] = [:],
    config: String, step: Int, state: [(String, [Int64])] = []
  ) {
    self.init(
      tensors: module.stateDict(), optimizer: optimizer, optimizerAttributes: optimizerAttributes,
      config: config,
      step: step, state: state)
  }
}

extension Checkpoint {
  /// A checkpoint of `module` with `adam`'s state under optimizer/ (its step as the `step`
  /// attribute): what a trainer saves to resume exactly.
  public init(module: Module, adam: Adam, config: String, step: Int, state: [(String, [Int64])] = []) {
    let (tensors, adamStep) = adam.stateDict()
    self.init(
      module: module, optimizer: tensors, optimizerAttributes: ["step": Int64(adamStep)], config: config, step: step,
      state: state)
  }

  /// Loads the optimizer/ state into `adam`, strictly.
  /// - Throws: `StorageError.stateDict(path:_:)` naming the file and the key at fault.
  public func restoreOptimizer(into adam: Adam) throws {
    try checkFinite()
    do {
      try adam.loadStateDict(optimizerDictionary, step: Int(optimizerAttributes["step"] ?? 0))
    } catch let error as StateDictError {
      throw StorageError.stateDict(path: sourcePath ?? "<checkpoint in memory>", error)
    }
  }
}

extension Module {
  /// Writes this module's state dict (plus optional optimizer and run state) to `path`
  /// atomically.
  public func save(
    to path: String, config: String, step: Int, optimizer: [(String, Tensor)] = [],
    optimizerAttributes: [String: Int64] = [:], state: [(String, [Int64])] = []
  ) throws {
    try Checkpoint(
      module: self, optimizer: optimizer, optimizerAttributes: optimizerAttributes, config: config,
      step: step,
      state: state
    ).write(to: path)
  }

  /// Copies the checkpoint's tensors into this module. Strict: every key must match a
  /// tensor of the same shape and every tensor of the module must be present.
  /// - Throws: `StorageError.stateDict(path:_:)` wrapping the `StateDictError` that names the key.
  public func load(_ checkpoint: Checkpoint) throws {
    try checkpoint.checkFinite()
    do {
      try loadStateDict(checkpoint.tensorDictionary)
    } catch let error as StateDictError {
      throw StorageError.stateDict(path: checkpoint.sourcePath ?? "<checkpoint in memory>", error)
    }
  }

  /// Reads the checkpoint at `path`, loads it strictly into this module and returns it (for
  /// its optimizer state, config and step).
  @discardableResult
  public func load(from path: String) throws -> Checkpoint {
    let checkpoint = try Checkpoint.read(from: path)
    try load(checkpoint)
    return checkpoint
  }
}
