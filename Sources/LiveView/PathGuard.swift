// PathGuard: a path from a URL (or from the registry) becomes a file to serve only when it lies
// inside its folder after every symbolic link is resolved. Refused before touching the disk:
// empty, `.` and `..` components (also when they arrived percent-encoded: the path is decoded
// once before this check), NUL bytes, absolute paths. Then realpath(3) of the file must start
// with realpath(3) of the folder plus "/", and the file must be a regular file.
import Foundation

public enum PathGuard {
  public enum Refusal: Error, Equatable, CustomStringConvertible {
    /// The path itself tries to leave its folder (403).
    case escapes(String)
    /// Nothing servable there (404).
    case missing(String)
    public var description: String {
      switch self {
      case .escapes(let p): return "\(p): outside the folder it is served from"
      case .missing(let p): return "\(p): no such file"
      }
    }
  }

  /// The real path of `relative` (already percent-decoded, components separated by "/") under
  /// `root`; "" or a trailing "/" names the folder's index.html.
  public static func resolve(_ relative: String, under root: String) throws -> String {
    if relative.hasPrefix("/") || relative.contains("\0") || relative.contains("\\") { throw Refusal.escapes(relative) }
    var parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    if parts.last == "" { parts[parts.count - 1] = "index.html" }
    if parts.isEmpty { parts = ["index.html"] }
    for p in parts where p.isEmpty || p == "." || p == ".." { throw Refusal.escapes(relative) }
    guard let realRoot = realPath(root) else { throw Refusal.missing(relative) }
    var candidate = realRoot + "/" + parts.joined(separator: "/")
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue {
      candidate += "/index.html"
    }
    return try contained(candidate, in: realRoot, shown: relative)
  }

  /// `path`'s real path when it is a regular file inside real folder `realRoot`.
  public static func contained(_ path: String, in realRoot: String, shown: String) throws -> String {
    guard let real = realPath(path) else { throw Refusal.missing(shown) }
    let prefix = realRoot.hasSuffix("/") ? realRoot : realRoot + "/"
    guard real.hasPrefix(prefix) else { throw Refusal.escapes(shown) }
    guard (try? FileManager.default.attributesOfItem(atPath: real)[.type] as? FileAttributeType) == .typeRegular else {
      throw Refusal.missing(shown)
    }
    return real
  }

  public static func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  /// `s` with %XX sequences decoded once (invalid sequences stay as they are); nil when the
  /// bytes are not UTF-8.
  public static func percentDecoded(_ s: String, plusIsSpace: Bool = false) -> String? {
    var bytes: [UInt8] = []
    let u = Array(s.utf8)
    var i = 0
    func hex(_ c: UInt8) -> UInt8? {
      switch c {
      case 48...57: return c - 48
      case 65...70: return c - 55
      case 97...102: return c - 87
      default: return nil
      }
    }
    while i < u.count {
      if u[i] == 37, i + 2 < u.count, let a = hex(u[i + 1]), let b = hex(u[i + 2]) {
        bytes.append(a << 4 | b)
        i += 3
      } else {
        bytes.append(plusIsSpace && u[i] == 43 ? 32 : u[i])
        i += 1
      }
    }
    return String(bytes: bytes, encoding: .utf8)
  }
}
