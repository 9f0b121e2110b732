// AtomicFile: every file LandmarkLab writes goes to a hidden temporary file in the destination's
// folder, is flushed to disk and renamed over the destination, so a crash, a full disk or an
// interrupt never leaves half a file under the final name (readers skip hidden names). Before any
// work, `checkTarget` refuses a destination that is a folder or a special file, naming the option.
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

public enum AtomicFile {
  /// Throws when `path` cannot be written as a file: it is a folder, a special file, or its
  /// folder does not exist. `option` names the flag it came from ("--out"), nil for none.
  public static func checkTarget(_ path: String, option: String? = nil) throws {
    let name = option.map { "\($0) \(path)" } ?? path
    if path.isEmpty { throw InputRefused("\(option ?? "output"): an empty path") }
    switch FileKind.of(path) {
    case .directory:
      throw InputRefused(
        "\(name): is a folder; give a file path (e.g. \((path as NSString).appendingPathComponent("out")))")
    case .special(let k): throw InputRefused("\(name): \(k); give a regular file path")
    case .regular, .missing: break
    }
    let parent = folder(of: path)
    switch FileKind.of(parent) {
    case .directory: break
    case .missing: throw InputRefused("\(name): folder \(parent) does not exist")
    default: throw InputRefused("\(name): \(parent) is not a folder")
    }
  }

  /// Writes `data` to `path` through a temporary file and a rename.
  public static func write(_ data: Data, to path: String, option: String? = nil) throws {
    try write(to: path, option: option) { tmp in
      guard FileManager.default.createFile(atPath: tmp, contents: data) else {
        throw InputRefused("\(path): cannot write (\(String(cString: strerror(errno))))")
      }
    }
  }

  /// Lets `body` create the file at the temporary path it is given, then syncs it and renames it
  /// over `path`. On any error the temporary file is removed and `path` is left as it was.
  /// `syncFolder` also makes the rename durable (an fsync of the folder: for checkpoints, not for
  /// every frame of a frame stage).
  public static func write(
    to path: String, option: String? = nil, syncFolder: Bool = false, _ body: (String) throws -> Void
  ) throws {
    try checkTarget(path, option: option)
    let tmp = temporaryPath(for: path)
    do {
      try body(tmp)
      try sync(tmp)
      guard rename(tmp, path) == 0 else {
        throw InputRefused(
          "\(path): cannot move the new file into place (\(String(cString: strerror(errno))))")
      }
      // Best effort: some file systems refuse fsync on folders.
      if syncFolder { try? sync(folder(of: path)) }
    } catch {
      unlink(tmp)
      throw error
    }
  }

  /// A hidden name beside `path`, unique to this process and call.
  public static func temporaryPath(for path: String) -> String {
    let base = (path as NSString).lastPathComponent
    return (folder(of: path) as NSString).appendingPathComponent(".\(base).tmp-\(getpid())-\(counter.next())")
  }

  static func folder(of path: String) -> String { Paths.folder(of: path) }

  /// fsync(2) of a written file (a file system that refuses is not an error: the rename still
  /// keeps readers from half a file).
  static func sync(_ path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw InputRefused("\(path): cannot reopen to sync (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
      throw InputRefused("\(path): fsync failed (\(String(cString: strerror(errno))))")
    }
  }

  private static let counter = Counter()
}

private final class Counter: @unchecked Sendable {
  private var n = 0
  private let lock = NSLock()
  func next() -> Int {
    lock.lock()
    defer { lock.unlock() }
    n += 1
    return n
  }
}
