// StorageError: the typed errors of the Storage module. Every case names the file and, where
// one is at fault, the dataset, group or attribute, so a user can act on the message.
import Foundation
import TensorEngine

/// An error a user can cause with a file on disk (missing, corrupt, from another program,
/// from a newer LandmarkLab) or with a model that does not match a checkpoint.
public enum StorageError: Error, Equatable {
  /// `path` does not exist.
  case fileNotFound(path: String)
  /// `path` exists but is not an HDF5 file.
  case notHDF5(path: String)
  /// HDF5 could not open or create `path` (permissions, missing folder, locked file).
  case openFailed(path: String, reason: String)
  /// The file was closed before this call.
  case fileClosed(path: String)
  /// No dataset at `dataset` (a '/'-separated path inside the file).
  case missingDataset(path: String, dataset: String)
  /// No group at `group`.
  case missingGroup(path: String, group: String)
  /// No attribute `name` on the object `object` ("/" is the root group).
  case missingAttribute(path: String, object: String, name: String)
  /// `object` (a dataset or "object@attribute") holds `found`, the caller asked for `expected`.
  case wrongType(path: String, object: String, expected: String, found: String)
  /// `object` has shape `found`, `expected` was required (or was given to a write).
  case shapeMismatch(path: String, object: String, expected: [Int], found: [Int])
  /// Reading `object` failed inside HDF5 (corrupt data, missing filter).
  case readFailed(path: String, object: String, reason: String)
  /// Writing `object` failed (disk full, read-only file, invalid name).
  case writeFailed(path: String, object: String, reason: String)
  /// The file's contents are inconsistent (e.g. datasets of a landmark file disagree on N).
  case invalidContents(path: String, object: String, reason: String)
  /// The file was written by a newer format version than this build reads.
  case unsupportedFormatVersion(path: String, format: String, found: Int64, supported: Int64)
  /// The file's `format` attribute names another kind of file.
  case wrongFormat(path: String, expected: String, found: String)
  /// Strict loading of a checkpoint into a model failed.
  case stateDict(path: String, StateDictError)
  /// `path` cannot be written as a file (a folder, a special file, a missing folder).
  case badTarget(path: String, reason: String)
}

extension StorageError: CustomStringConvertible, LocalizedError {
  public var description: String {
    switch self {
    case .fileNotFound(let p):
      return "\(p): file not found"
    case .notHDF5(let p):
      return "\(p): not an HDF5 file (expected a file written by LandmarkLab, h5py or the HDF5 library)"
    case .openFailed(let p, let r):
      return "\(p): cannot open: \(r)"
    case .fileClosed(let p):
      return "\(p): the file was already closed"
    case .missingDataset(let p, let d):
      return "\(p): no dataset '\(d)'"
    case .missingGroup(let p, let g):
      return "\(p): no group '\(g)'"
    case .missingAttribute(let p, let o, let n):
      return "\(p): no attribute '\(n)' on '\(o)'"
    case .wrongType(let p, let o, let e, let f):
      return "\(p): '\(o)' holds \(f), expected \(e)"
    case .shapeMismatch(let p, let o, let e, let f):
      return "\(p): '\(o)' has shape \(f), expected \(e)"
    case .readFailed(let p, let o, let r):
      return "\(p): cannot read '\(o)': \(r)"
    case .writeFailed(let p, let o, let r):
      return "\(p): cannot write '\(o)': \(r)"
    case .invalidContents(let p, let o, let r):
      return "\(p): '\(o)': \(r)"
    case .unsupportedFormatVersion(let p, let f, let found, let supported):
      return "\(p): \(f) version \(found) is newer than this build reads (up to \(supported)); "
        + "update LandmarkLab to load it"
    case .wrongFormat(let p, let e, let f):
      return "\(p): file format is '\(f)', expected '\(e)'"
    case .stateDict(let p, let e):
      return "\(p): \(e)"
    case .badTarget(let p, let r):
      return "\(p): \(r)"
    }
  }

  public var errorDescription: String? { description }
}
