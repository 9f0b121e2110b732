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

/// Writes an HDF5 file through `AtomicFile` (a hidden temporary file beside `path`, synced and
/// renamed over it): on any error `path` is left untouched. A `path` that is a folder or a special
/// file is refused first, naming it.
func writeAtomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
  do {
    try AtomicFile.write(to: path, syncFolder: true) { tmp in
      let file = try HDF5File(path: tmp, mode: .create)
      do {
        try body(file)
        try file.close()
      } catch {
        try? file.close()
        throw error
      }
    }
  } catch let e as InputRefused {
    throw StorageError.badTarget(path: path, reason: e.reason(without: path))
  }
}
