// WeightsFile: one entry point for pretrained weight files (VGG19, LPIPS, EfficientNet, a
// reference checkpoint), whatever their container: an HDF5 file (one dataset per tensor, as the
// export scripts and the checkpoint writer make them) or a PyTorch file (`.pth`, `.pt`,
// `.ckpt`, read natively by PyTorchCheckpoint). The kind is told by the file's first bytes,
// not its name. Also: writing name → tensor maps as such an HDF5 file, and strict loading of
// a weights file into a Module.
import CHDF5
import Foundation
import SafeIO
import TensorEngine

/// Reads and writes weight files by tensor name.
public enum WeightsFile {
  /// The container of a weights file.
  public enum Kind: String, Sendable {
    case hdf5
    case pytorch
  }

  /// The container of the file at `path`, by its first bytes.
  /// - Throws: `StorageError.fileNotFound`; `.invalidContents` when it is neither HDF5 nor a
  ///   torch.save file (naming its first bytes).
  public static func kind(ofFileAt path: String) throws -> Kind {
    switch FileKind.of(path) {
    case .regular: break
    case .missing: throw StorageError.fileNotFound(path: path)
    case .directory: throw StorageError.openFailed(path: path, reason: "a folder, not a weights file")
    case .special(let k): throw StorageError.openFailed(path: path, reason: "\(k), not a weights file")
    }
    if PyTorchCheckpoint.format(ofFileAt: path) != nil { return .pytorch }
    // H5Fis_hdf5 also finds the signature after a user block (at 512, 1024, ... bytes).
    if HDF5Library.call({ H5Fis_hdf5(path) > 0 }) { return .hdf5 }
    let head = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 512) } ?? Data()
    throw StorageError.invalidContents(
      path: path, object: "/",
      reason:
        "neither an HDF5 file nor a PyTorch checkpoint: \(PyTorchCheckpoint.describeStart(ByteView(data: head)))"
    )
  }

  /// Every tensor of the weights file at `path` by name: HDF5 dataset paths (no leading '/';
  /// numeric types converted to float32), or a PyTorch checkpoint's dotted names
  /// (`PyTorchCheckpoint.stateDict`).
  /// - Parameter include: which names to read (the others are skipped unread).
  /// - Throws: `StorageError` for HDF5 files, `PyTorchError` for PyTorch files, each naming
  ///   the file and the cause.
  public static func read(path: String, include: (String) -> Bool = { _ in true }) throws -> [String: Tensor]
  {
    switch try kind(ofFileAt: path) {
    case .pytorch:
      let tensors = try PyTorchCheckpoint.contents(path: path, include: include).tensors
      return Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
    case .hdf5:
      let file = try HDF5File(path: path, mode: .readOnly)
      defer { try? file.close() }
      var out: [String: Tensor] = [:]
      for name in try file.datasetPaths() where include(name) { out[name] = try file.readTensor(name) }
      return out
    }
  }

  /// Writes `tensors` as an HDF5 weights file: one float32 dataset per tensor named by its
  /// dotted name (the checkpoint layout of DESIGN §4, without config or step), string
  /// attributes `attributes` on the root and `datasetAttributes[name]` on each dataset.
  /// Written to `path.tmp` and renamed into place: on any error `path` is left as it was.
  /// - Throws: `StorageError.writeFailed` naming the tensor (empty name, a '/', a duplicate)
  ///   or the I/O failure.
  public static func writeHDF5(
    _ tensors: [(name: String, tensor: Tensor)], attributes: [(String, String)] = [],
    datasetAttributes: [String: [(String, String)]] = [:], to path: String
  ) throws {
    var seen = Set<String>()
    for (name, _) in tensors {
      guard !name.isEmpty, !name.contains("/") else {
        throw StorageError.writeFailed(
          path: path, object: name, reason: "dataset names must be non-empty and contain no '/'")
      }
      guard seen.insert(name).inserted else {
        throw StorageError.writeFailed(path: path, object: name, reason: "duplicate name")
      }
    }
    try writeAtomically(to: path) { f in
      for (key, value) in attributes { try f.writeAttribute(key, string: value) }
      for (name, t) in tensors {
        try f.write(name, tensor: t)
        for (key, value) in datasetAttributes[name] ?? [] {
          try f.writeAttribute(key, string: value, on: name)
        }
      }
    }
  }
}

extension Module {
  /// Loads the weights file at `path` (HDF5 or PyTorch, see `WeightsFile.read`) into this
  /// module strictly: every tensor of the module must be in the file with its shape, and
  /// every tensor of the file must belong to the module.
  /// - Throws: `StorageError.stateDict(path:_:)` naming the missing, unexpected or mis-shaped
  ///   key; the reader's errors for an unreadable file.
  public func loadWeights(from path: String) throws {
    let tensors = try WeightsFile.read(path: path)
    do {
      try loadStateDict(tensors)
    } catch let error as StateDictError {
      throw StorageError.stateDict(path: path, error)
    }
  }
}
