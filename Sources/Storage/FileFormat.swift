// FileFormat: the `format` / `format_version` root attributes that tag LandmarkLab's own files,
// and atomic writes (write a hidden temporary file beside `path`, flush, fsync, rename) so a crash
// never leaves a half-written file under the final name.
import Foundation
import SafeIO

/// A file kind and the newest version of it this build reads and writes.
struct FileFormat {
  let name: String
  let version: Int64

  static let formatAttribute = "format"
  static let versionAttribute = "format_version"

  /// Writes the tag on the root group.
  func tag(_ file: HDF5File) throws {
    try file.writeAttribute(Self.formatAttribute, string: name)
    try file.writeAttribute(Self.versionAttribute, int64: version)
  }

  /// Checks the tag: absent is allowed (files converted by scripts), another format name or
  /// a newer version is an error. Returns the version found (nil when absent).
  @discardableResult
  func check(_ file: HDF5File) throws -> Int64? {
    if file.hasAttribute(Self.formatAttribute) {
      let found = try file.readStringAttribute(Self.formatAttribute)
      guard found == name else {
        throw StorageError.wrongFormat(path: file.path, expected: name, found: found)
      }
    }
    guard file.hasAttribute(Self.versionAttribute) else { return nil }
    let found = try file.readInt64Attribute(Self.versionAttribute)
    guard found <= version else {
      throw StorageError.unsupportedFormatVersion(
        path: file.path, format: name, found: found, supported: version)
    }
    return found
  }
}

/// Creates a hidden temporary file beside `path`, lets `body` fill it, closes and fsyncs it, then
/// renames it over `path`. On any error the temporary file is removed and `path` is left
/// untouched. A `path` that is a folder or a special file is refused first, naming it.
func writeAtomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
  do { try AtomicFile.checkTarget(path) } catch let e as InputRefused {
    throw StorageError.badTarget(
      path: path, reason: e.message.hasPrefix(path + ": ") ? String(e.message.dropFirst(path.count + 2)) : e.message)
  }
  let tmp = AtomicFile.temporaryPath(for: path)
  do {
    let file = try HDF5File(path: tmp, mode: .create)
    do {
      try body(file)
      try file.close()
    } catch {
      try? file.close()
      throw error
    }
    try fsyncFile(tmp)
    guard rename(tmp, path) == 0 else {
      let reason = String(cString: strerror(errno))
      throw StorageError.writeFailed(
        path: path, object: "/", reason: "cannot rename \(tmp) into place: \(reason)")
    }
    // Make the rename itself durable (best effort: some file systems refuse fsync on folders).
    try? fsyncFile(
      Paths.folder(of: path))
  } catch {
    try? FileManager.default.removeItem(atPath: tmp)
    throw error
  }
}

private func fsyncFile(_ path: String) throws {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else {
    throw StorageError.writeFailed(
      path: path, object: "/", reason: "cannot reopen to sync: \(String(cString: strerror(errno)))")
  }
  defer { _ = Foundation.close(fd) }
  guard fsync(fd) == 0 else {
    throw StorageError.writeFailed(
      path: path, object: "/", reason: "fsync failed: \(String(cString: strerror(errno)))")
  }
}
