// HDF5File: an open HDF5 file and its structure (groups, dataset paths, shapes). Reading and
// writing datasets and attributes live in the HDF5File+*.swift extensions.
//
// Paths inside a file are '/'-separated group paths; dataset NAMES may contain dots
// ("pose_encoder.conv1.weight", "optimizer/pose_encoder.conv1.weight.exp_avg"). A leading
// '/' is optional; "/" (or "") is the root group.
import CHDF5
import Foundation
import SafeIO

/// An open HDF5 file. Not meant to be shared between threads while in use (all HDF5 calls
/// are serialised by one process-wide lock, so doing so is safe but slow).
public final class HDF5File {
  /// How to open a file.
  public enum Mode: Sendable {
    /// Open an existing file for reading.
    case readOnly
    /// Open an existing file for reading and writing.
    case readWrite
    /// Create a new file, replacing any file at the path.
    case create
  }

  /// The path given at opening (used in every error message).
  public let path: String
  public let mode: Mode
  /// The HDF5 file identifier; negative once closed.
  private(set) var id: hid_t
  /// The global heap collections, checked once before the first variable-length read.
  var globalHeapCache: GlobalHeapIndex?

  /// Opens or creates the file at `path`.
  /// - Throws: `StorageError.fileNotFound`, `.notHDF5` (for `.readOnly`/`.readWrite`),
  ///   `.openFailed` when HDF5 refuses (permissions, missing folder, file locked).
  public init(path: String, mode: Mode = .readOnly) throws {
    self.path = path
    self.mode = mode
    let fid: hid_t = try HDF5Library.call {
      switch mode {
      case .readOnly, .readWrite:
        // By kind first: HDF5 would block opening a FIFO and fail obscurely on a folder.
        switch FileKind.of(path) {
        case .regular: break
        case .missing: throw StorageError.fileNotFound(path: path)
        case .directory: throw StorageError.openFailed(path: path, reason: "a folder, not an HDF5 file")
        case .special(let k): throw StorageError.openFailed(path: path, reason: "\(k), not an HDF5 file")
        }
        guard H5Fis_hdf5(path) > 0 else { throw StorageError.notHDF5(path: path) }
        let flags = mode == .readOnly ? HDF5Library.accReadOnly : HDF5Library.accReadWrite
        let fid = H5Fopen(path, flags, HDF5Library.defaultPlist)
        guard fid >= 0 else {
          throw StorageError.openFailed(path: path, reason: HDF5Library.failure("H5Fopen failed"))
        }
        return fid
      case .create:
        let fid = H5Fcreate(path, HDF5Library.accTruncate, HDF5Library.defaultPlist, HDF5Library.defaultPlist)
        guard fid >= 0 else {
          throw StorageError.openFailed(path: path, reason: HDF5Library.failure("cannot create the file"))
        }
        return fid
      }
    }
    id = fid
  }

  deinit { try? close() }

  /// Flushes and closes the file. Further calls on this object throw `.fileClosed`;
  /// closing twice is allowed.
  /// - Throws: `StorageError.writeFailed` if buffered data could not be written.
  public func close() throws {
    try HDF5Library.call {
      guard id >= 0 else { return }
      let fid = id
      id = -1
      if mode != .readOnly && H5Fflush(fid, H5F_SCOPE_GLOBAL) < 0 {
        let reason = HDF5Library.failure("flush failed")
        _ = H5Fclose(fid)
        throw StorageError.writeFailed(path: path, object: "/", reason: reason)
      }
      guard H5Fclose(fid) >= 0 else {
        throw StorageError.writeFailed(path: path, object: "/", reason: HDF5Library.failure("close failed"))
      }
    }
  }

  /// The open file id, or `.fileClosed`. Call inside `HDF5Library.call`.
  func fileID() throws -> hid_t {
    guard id >= 0 else { throw StorageError.fileClosed(path: path) }
    return id
  }

  // MARK: Structure

  /// Whether a link exists at `path` (a group or dataset). Intermediate groups are checked
  /// one by one, so a missing parent gives `false`, not an error.
  public func contains(_ path: String) -> Bool {
    HDF5Library.call {
      guard id >= 0 else { return false }
      var prefix = ""
      for c in pathComponents(path) {
        prefix += (prefix.isEmpty ? "" : "/") + c
        guard H5Lexists(id, prefix, HDF5Library.defaultPlist) > 0 else { return false }
      }
      return true
    }
  }

  /// Whether `path` is a dataset.
  public func isDataset(_ path: String) -> Bool { objectType(path) == H5I_DATASET }

  /// Whether `path` is a group (the root "/" is).
  public func isGroup(_ path: String) -> Bool { objectType(path) == H5I_GROUP }

  /// The kind of object at `path`, or nil when there is none.
  func objectType(_ path: String) -> H5I_type_t? {
    guard contains(path) else { return nil }
    return HDF5Library.call {
      let oid = H5Oopen(id, normalizedPath(path), HDF5Library.defaultPlist)
      guard oid >= 0 else { return nil }
      defer { _ = H5Oclose(oid) }
      return H5Iget_type(oid)
    }
  }

  /// The names of the links directly in `group`, in name order.
  /// - Throws: `.missingGroup` when `group` is not a group.
  public func members(of group: String = "/") throws -> [String] {
    try HDF5Library.call {
      let fid = try fileID()
      guard isGroup(group) else { throw StorageError.missingGroup(path: path, group: normalizedPath(group)) }
      let gid = H5Gopen2(fid, normalizedPath(group), HDF5Library.defaultPlist)
      guard gid >= 0 else {
        throw StorageError.readFailed(
          path: path, object: group, reason: HDF5Library.failure("cannot open group"))
      }
      defer { _ = H5Gclose(gid) }
      var info = H5G_info_t()
      guard H5Gget_info(gid, &info) >= 0 else {
        throw StorageError.readFailed(
          path: path, object: group, reason: HDF5Library.failure("cannot list group"))
      }
      var names: [String] = []
      names.reserveCapacity(Int(info.nlinks))
      for i in 0..<info.nlinks {
        let len = H5Lget_name_by_idx(
          gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, HDF5Library.defaultPlist)
        guard len >= 0 else {
          throw StorageError.readFailed(
            path: path, object: group, reason: HDF5Library.failure("cannot read link name"))
        }
        var buf = [CChar](repeating: 0, count: Int(len) + 1)
        _ = H5Lget_name_by_idx(
          gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, HDF5Library.defaultPlist)
        names.append(String(cString: buf))
      }
      return names
    }
  }

  /// Every dataset below `group`, recursively, as paths relative to the root without a
  /// leading slash ("lstm.weight_ih_l0", "optimizer/lstm.weight_ih_l0.exp_avg"), sorted.
  public func datasetPaths(under group: String = "/") throws -> [String] {
    var out: [String] = []
    var pending = [normalizedPath(group)]
    while let g = pending.popLast() {
      for name in try members(of: g) {
        let full = g == "/" ? name : g + "/" + name
        switch objectType(full) {
        case H5I_GROUP?: pending.append(full)
        case H5I_DATASET?: out.append(full)
        default: break  // dangling links, named datatypes
        }
      }
    }
    return out.sorted()
  }

  /// Creates `group` and any missing parents; does nothing if it exists.
  public func createGroup(_ group: String) throws {
    try HDF5Library.call {
      let fid = try fileID()
      if contains(group) {
        guard isGroup(group) else {
          throw StorageError.writeFailed(path: path, object: group, reason: "a dataset of that name exists")
        }
        return
      }
      let lcpl = H5Pcreate(HDF5Library.linkCreateClass)
      defer { _ = H5Pclose(lcpl) }
      _ = H5Pset_create_intermediate_group(lcpl, 1)
      let gid = H5Gcreate2(
        fid, normalizedPath(group), lcpl, HDF5Library.defaultPlist, HDF5Library.defaultPlist)
      guard gid >= 0 else {
        throw StorageError.writeFailed(
          path: path, object: group, reason: HDF5Library.failure("cannot create group"))
      }
      _ = H5Gclose(gid)
    }
  }

  /// Removes the link at `path` (a dataset or a whole group). The space is not reclaimed
  /// until the file is repacked.
  public func remove(_ path: String) throws {
    try HDF5Library.call {
      let fid = try fileID()
      guard contains(path) else {
        throw StorageError.missingDataset(path: self.path, dataset: normalizedPath(path))
      }
      guard H5Ldelete(fid, normalizedPath(path), HDF5Library.defaultPlist) >= 0 else {
        throw StorageError.writeFailed(
          path: self.path, object: path, reason: HDF5Library.failure("cannot delete"))
      }
    }
  }

  /// Flushes buffered writes to disk.
  public func flush() throws {
    try HDF5Library.call {
      let fid = try fileID()
      guard H5Fflush(fid, H5F_SCOPE_GLOBAL) >= 0 else {
        throw StorageError.writeFailed(path: path, object: "/", reason: HDF5Library.failure("flush failed"))
      }
    }
  }
}
