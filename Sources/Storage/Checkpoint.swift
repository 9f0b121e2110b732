// Checkpoint: the DESIGN §4 checkpoint format and its reader/writer.
//
// File layout (HDF5):
//   /<dotted.name>                       float32, one dataset per parameter or buffer, shape as
//                                        in the model (OIHW conv weights; spectral-norm
//                                        weight_orig / weight_u / weight_v as given)
//   /optimizer/<dotted.name>.exp_avg     float32, optimizer state per parameter (any suffixes)
//   /optimizer@<attr>                    int64 attributes of the optimizer (e.g. step)
//   /state/<name>                        int64 [n], small run state (e.g. RNG words)
//   /@config                             JSON string (variable-length UTF-8)
//   /@step                               int64 training step
//   /@format, /@format_version           "landmarklab-checkpoint", 1 (absent in converted files)
import Foundation
import TensorEngine

/// A model checkpoint: tensors, optimizer state, config and step.
public struct Checkpoint {
  /// The `format` attribute value and the newest `format_version` this build reads.
  public static let formatName = "landmarklab-checkpoint"
  public static let formatVersion: Int64 = 1
  /// Group holding optimizer state.
  public static let optimizerGroup = "optimizer"
  /// Group holding small integer state.
  public static let stateGroup = "state"

  static let format = FileFormat(name: formatName, version: formatVersion)

  /// Parameters and buffers by dotted name (no '/'), in the order written.
  public var tensors: [(String, Tensor)]
  /// Optimizer state by name relative to `optimizer/` ("<param>.exp_avg", "<param>.exp_avg_sq").
  public var optimizer: [(String, Tensor)]
  /// Integer attributes of the `optimizer` group (e.g. "step"). Non-integer attributes in a
  /// file are not read.
  public var optimizerAttributes: [String: Int64]
  /// The run's full config as JSON.
  public var config: String
  /// The training step.
  public var step: Int
  /// Small integer state by name relative to `state/` (RNG words as bit patterns, counters).
  public var state: [(String, [Int64])]
  /// The file this checkpoint was read from (nil when built in memory); used in errors.
  public internal(set) var sourcePath: String?
  /// The `format_version` found when read (nil when absent or built in memory).
  public internal(set) var fileFormatVersion: Int64?

  public init(
    tensors: [(String, Tensor)], optimizer: [(String, Tensor)] = [],
    optimizerAttributes: [String: Int64] = [:],
    config: String, step: Int, state: [(String, [Int64])] = []
  ) {
    self.tensors = tensors
    self.optimizer = optimizer
    self.optimizerAttributes = optimizerAttributes
    self.config = config
    self.step = step
    self.state = state
  }

  /// Tensors by name.
  public var tensorDictionary: [String: Tensor] {
    Dictionary(tensors, uniquingKeysWith: { first, _ in first })
  }

  /// Optimizer state by name (relative to `optimizer/`).
  public var optimizerDictionary: [String: Tensor] {
    Dictionary(optimizer, uniquingKeysWith: { first, _ in first })
  }

  /// The state entry `name`, if any.
  public func state(_ name: String) -> [Int64]? { state.first { $0.0 == name }?.1 }

  /// Sets state `name` to unsigned words stored as their int64 bit patterns (RNG state).
  public mutating func setState(_ name: String, words: [UInt64]) {
    let values = words.map { Int64(bitPattern: $0) }
    if let i = state.firstIndex(where: { $0.0 == name }) {
      state[i].1 = values
    } else {
      state.append((name, values))
    }
  }

  /// State `name` as unsigned words (inverse of `setState(_:words:)`).
  public func stateWords(_ name: String) -> [UInt64]? { state(name)?.map { UInt64(bitPattern: $0) } }

  // MARK: Writing

  /// Writes the checkpoint to `path` atomically (via a hidden temporary file and a rename).
  /// - Throws: `StorageError.writeFailed` (names the dataset) on invalid names, duplicates or
  ///   I/O failure; `path` is then left as it was.
  public func write(to path: String) throws {
    try validateNames(path: path)
    try writeAtomically(to: path) { f in
      try Self.format.tag(f)
      try f.writeAttribute("config", string: config)
      try f.writeAttribute("step", int64: Int64(step))
      for (name, t) in tensors { try f.write(name, tensor: t) }
      if !optimizer.isEmpty || !optimizerAttributes.isEmpty {
        try f.createGroup(Self.optimizerGroup)
        for (name, t) in optimizer { try f.write(Self.optimizerGroup + "/" + name, tensor: t) }
        for (key, value) in optimizerAttributes.sorted(by: { $0.key < $1.key }) {
          try f.writeAttribute(key, int64: value, on: Self.optimizerGroup)
        }
      }
      for (name, values) in state {
        try f.write(Self.stateGroup + "/" + name, int64s: values, shape: [values.count])
      }
    }
  }

  private func validateNames(path: String) throws {
    func check(_ names: [String], prefix: String) throws {
      var seen = Set<String>()
      for name in names {
        let object = prefix + name
        guard !name.isEmpty, !name.contains("/") else {
          throw StorageError.writeFailed(
            path: path, object: object, reason: "names must be non-empty and contain no '/'")
        }
        guard seen.insert(name).inserted else {
          throw StorageError.writeFailed(path: path, object: object, reason: "duplicate name")
        }
      }
    }
    try check(tensors.map(\.0), prefix: "")
    for (name, _) in tensors where name == Self.optimizerGroup || name == Self.stateGroup {
      throw StorageError.writeFailed(path: path, object: name, reason: "'\(name)' is reserved for a group")
    }
    try check(optimizer.map(\.0), prefix: Self.optimizerGroup + "/")
    try check(state.map(\.0), prefix: Self.stateGroup + "/")
  }

  // MARK: Reading

  /// Reads a checkpoint written by LandmarkLab or converted from a reference `.ckpt`.
  /// Every dataset outside `optimizer/` and `state/` is a tensor (numeric types are converted
  /// to float32).
  /// - Throws: `.fileNotFound`, `.notHDF5`, `.wrongFormat`, `.unsupportedFormatVersion`,
  ///   `.missingAttribute` (config, step), `.wrongType` naming the dataset.
  public static func read(from path: String) throws -> Checkpoint {
    let f = try HDF5File(path: path, mode: .readOnly)
    defer { try? f.close() }
    let version = try format.check(f)
    let config = try f.readStringAttribute("config")
    let step = try f.readInt64Attribute("step")
    var tensors: [(String, Tensor)] = []
    var optimizer: [(String, Tensor)] = []
    var state: [(String, [Int64])] = []
    let optPrefix = optimizerGroup + "/"
    let statePrefix = stateGroup + "/"
    for name in try f.datasetPaths() {
      if name.hasPrefix(optPrefix) {
        optimizer.append((String(name.dropFirst(optPrefix.count)), try f.readTensor(name)))
      } else if name.hasPrefix(statePrefix) {
        // Unsigned words keep their bit patterns (a uint64 RNG word above Int64.max must not clamp).
        let values =
          try f.isUnsignedInteger(name)
          ? try f.readUInt64s(name).values.map { Int64(bitPattern: $0) } : try f.readInt64s(name).values
        state.append((String(name.dropFirst(statePrefix.count)), values))
      } else {
        tensors.append((name, try f.readTensor(name)))
      }
    }
    var attributes: [String: Int64] = [:]
    if f.isGroup(optimizerGroup) {
      for key in try f.attributeNames(on: optimizerGroup) {
        if let v = try? f.readInt64Attribute(key, on: optimizerGroup) { attributes[key] = v }
      }
    }
    var ckpt = Checkpoint(
      tensors: tensors, optimizer: optimizer, optimizerAttributes: attributes, config: config,
      step: Int(step),
      state: state)
    ckpt.sourcePath = path
    ckpt.fileFormatVersion = version
    return ckpt
  }
}
