// FileKind: what a path is, found with stat(2) without opening it. A FIFO, socket or device
// named like a PNG, a config or an HDF5 file would block a read (or worse): every reader of a
// user's file checks the kind first and refuses anything but a regular file (or a folder where
// one is expected).
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

public enum FileKind: Equatable, Sendable {
  case directory, regular, missing
  /// A FIFO, socket, device or other special file, in words ("a FIFO").
  case special(String)

  /// The kind of `path`, following symbolic links (a dangling link is `.missing`).
  public static func of(_ path: String) -> FileKind {
    var st = stat()
    guard stat(path, &st) == 0 else { return .missing }
    switch st.st_mode & S_IFMT {
    case S_IFDIR: return .directory
    case S_IFREG: return .regular
    case S_IFIFO: return .special("a FIFO")
    case S_IFSOCK: return .special("a socket")
    case S_IFCHR: return .special("a character device")
    case S_IFBLK: return .special("a block device")
    default: return .special("a special file")
    }
  }

  /// Size in bytes of a regular file (nil for anything else).
  public static func size(_ path: String) -> Int? {
    var st = stat()
    guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
    return Int(st.st_size)
  }

  /// Throws unless `path` is a regular file: "<what> <path>: a FIFO, not a regular file".
  /// `what` names the option or role ("--config", "frame"); nil: the path alone.
  public static func requireRegularFile(_ path: String, what: String? = nil) throws {
    let name = what.map { "\($0) \(path)" } ?? path
    switch of(path) {
    case .regular: return
    case .missing: throw InputRefused("\(name): no such file")
    case .directory: throw InputRefused("\(name): is a folder, not a file")
    case .special(let k): throw InputRefused("\(name): \(k), not a regular file")
    }
  }

  /// The contents of a regular file of at most `maxBytes` (and no more than the memory
  /// available): a FIFO, a device or a huge file is refused before it is read.
  public static func read(_ path: String, what: String? = nil, maxBytes: Int) throws -> Data {
    try requireRegularFile(path, what: what)
    let name = what.map { "\($0) \(path)" } ?? path
    let size = FileKind.size(path) ?? 0
    if size > maxBytes {
      throw InputRefused(
        "\(name): \(byteCount(Double(size))), more than the \(byteCount(Double(maxBytes))) such a file may have"
      )
    }
    if size > 64 << 20 { try MemoryBudget.check(size, name) }
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw InputRefused("\(name): cannot read (\((error as NSError).localizedDescription))")
    }
  }
}
