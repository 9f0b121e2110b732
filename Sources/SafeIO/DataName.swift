// DataName: names that come from data — sequence and frame names read from folder listings,
// HDF5 `sequence` datasets, manifests, keypoint CSVs, landmark files, imports — are checked once,
// where they are read, before any of them becomes part of a path or a message: no path separator,
// no `.`/`..`, no leading dot (hidden on disk, so a listing would not see it again), no control
// character, at most 255 bytes (one path component on common file systems).
import Foundation

public enum DataName {
  /// Longest name accepted, in UTF-8 bytes.
  public static let maxBytes = 255

  /// Why `name` cannot be used as one path component, or nil when it can.
  public static func problem(_ name: String) -> String? {
    if name.isEmpty { return "an empty name" }
    if name == "." || name == ".." { return "`\(name)` is a path step, not a name" }
    if name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" }) {
      return "holds a path separator ('/' or '\\')"
    }
    if name.unicodeScalars.contains(where: isControl) { return "holds a control character" }
    if name.hasPrefix(".") { return "starts with '.' (a hidden name on disk)" }
    let n = name.utf8.count
    if n > maxBytes { return "is \(n) bytes long (at most \(maxBytes))" }
    return nil
  }

  /// Throws naming `source` (a file, with its line or dataset) and the kind of name
  /// ("sequence name", "frame name") when `name` is not safe.
  public static func check(_ name: String, kind: String, in source: String) throws {
    if let p = problem(name) { throw InputRefused("\(source): \(kind) \(quoted(name)) \(p)") }
  }

  /// `name` in quotes, control characters escaped (\n, \u{1B}), cut to 80 characters: safe to
  /// print on one line of a terminal.
  public static func quoted(_ name: String) -> String {
    var out = ""
    var count = 0
    for s in name.unicodeScalars {
      if count == 80 {
        out += "…"
        break
      }
      switch s {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "`": out += "\\`"
      default:
        if isControl(s) {
          out += "\\u{\(String(s.value, radix: 16, uppercase: true))}"
        } else {
          out.unicodeScalars.append(s)
        }
      }
      count += 1
    }
    return "`" + out + "`"
  }

  static func isControl(_ s: Unicode.Scalar) -> Bool {
    s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
  }

  /// `folder` joined with `components`, each checked by `problem`, and the result checked to lie
  /// inside `folder` (after resolving `.` and `..` textually). Every path built from data goes
  /// through here before a file is created.
  public static func path(in folder: String, _ components: String...) throws -> String {
    try path(in: folder, components)
  }

  public static func path(in folder: String, _ components: [String]) throws -> String {
    for c in components {
      if let p = problem(c) { throw InputRefused("\(folder): refusing to write \(quoted(c)): it \(p)") }
    }
    let joined = components.reduce(folder) { ($0 as NSString).appendingPathComponent($1) }
    let base = (folder as NSString).standardizingPath
    let result = (joined as NSString).standardizingPath
    guard result.hasPrefix(base.hasSuffix("/") ? base : base + "/") else {
      throw InputRefused(
        "\(folder): refusing to write \(quoted(components.joined(separator: "/"))): it leads outside the folder"
      )
    }
    return joined
  }
}
