// Paths: path arithmetic that does not crash on short names. NOTE: swift-corelibs-foundation's
// `NSString.deletingLastPathComponent` traps (SIGILL, no message) on a one-character string such
// as "." or "D" (`lmlab report --out .` died that way); `parentFolder(of:)` is the same operation in
// plain Swift, used wherever a path comes from the user or from data.
import Foundation

public enum Paths {
  /// The path without its last component, as `NSString.deletingLastPathComponent` defines it:
  /// "a/b" → "a", "/a" → "/", "a" → "", "a/b/" → "a", "/" → "/".
  public static func parentFolder(of path: String) -> String {
    var p = Substring(path)
    while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
    guard let slash = p.lastIndex(of: "/") else { return "" }
    if slash == p.startIndex { return "/" }
    var head = p[..<slash]
    while head.count > 1 && head.hasSuffix("/") { head = head.dropLast() }
    return String(head)
  }

  /// `parentFolder(of:)`, with "." for a bare name: the folder a file of that name is in.
  public static func folder(of path: String) -> String {
    let p = parentFolder(of: path)
    return p.isEmpty ? "." : p
  }
}
