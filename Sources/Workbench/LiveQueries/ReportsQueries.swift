// The report folders the live view serves. The registry records no reports (`lmlab report`
// writes a folder and registers nothing), so the view lists the folders holding an
// `index.html` under the registry's file root — where the demo puts its report and where run
// folders keep theirs — a few levels deep, and serves files only inside those folders.
import Foundation
import Reports

public enum LiveReports {
  /// How deep under the root folders are looked at, and how many at most (a huge tree stays cheap).
  static let maxDepth = 4, maxFolders = 5000

  /// Report folders under `root`, relative paths sorted.
  public static func list(root: String) -> [LiveReportEntry] {
    let fm = FileManager.default
    var out: [LiveReportEntry] = []
    var queue: [(String, Int)] = [("", 0)]
    var seen = 0
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    formatter.locale = Locale(identifier: "en_US_POSIX")
    while !queue.isEmpty, seen < maxFolders {
      let (rel, depth) = queue.removeFirst()
      seen += 1
      let dir = rel.isEmpty ? root : root + "/" + rel
      guard let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
      if !rel.isEmpty && names.contains("index.html") {
        let index = dir + "/index.html"
        let modified = (try? fm.attributesOfItem(atPath: index)[.modificationDate] as? Date).map { formatter.string(from: $0) } ?? "-"
        out.append(LiveReportEntry(path: rel, title: title(of: index) ?? rel, modified: modified, files: names.count))
        continue
      }
      guard depth < maxDepth else { continue }
      for n in names.sorted() where !n.hasPrefix(".") {
        var isDir: ObjCBool = false
        // Symbolic links are not followed: a report is a real folder under the root.
        let p = dir + "/" + n
        if let attrs = try? fm.attributesOfItem(atPath: p), attrs[.type] as? FileAttributeType == .typeDirectory,
          fm.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue
        {
          queue.append((rel.isEmpty ? n : rel + "/" + n, depth + 1))
        }
      }
    }
    return out.sorted { $0.path < $1.path }
  }

  /// The page's `<title>`, from its first 16 KB.
  static func title(of page: String) -> String? {
    guard let h = FileHandle(forReadingAtPath: page) else { return nil }
    defer { try? h.close() }
    let head = String(decoding: h.readData(ofLength: 16384), as: UTF8.self)
    guard let a = head.range(of: "<title>"), let b = head.range(of: "</title>", range: a.upperBound..<head.endIndex) else {
      return nil
    }
    return String(head[a.upperBound..<b.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
  }
}
