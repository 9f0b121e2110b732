// Keypoint annotations: CSV `sequence,frame,keypoint,x,y` in pixels of the stored frames
// (DESIGN §4); `frame` is the number in the frame's file name. Parsing reports file and line;
// sequence and keypoint names are checked as every name from data is (SafeIO's DataName).
import Foundation
import SafeIO

public struct KeypointTable: Sendable {
  /// Keypoint names in first-seen order.
  public private(set) var names: [String] = []
  /// (sequence, frame number) → [keypoint index: (x, y)]; NaN for a keypoint without a row.
  public private(set) var points: [String: [Int: [SIMD2<Float>]]] = [:]
  /// Source line of each (sequence, frame) for error messages.
  var lines: [String: [Int: Int]] = [:]

  public init() {}

  public var rowCount: Int { points.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.filter { !$0.x.isNaN }.count } } }

  public mutating func set(sequence: String, frame: Int, keypoint: String, x: Float, y: Float, line: Int = 0) {
    var k = names.firstIndex(of: keypoint) ?? -1
    if k < 0 {
      names.append(keypoint)
      k = names.count - 1
      for (s, frames) in points { for (f, v) in frames { points[s]?[f] = v + [SIMD2(.nan, .nan)] } }
    }
    var v = points[sequence]?[frame] ?? [SIMD2<Float>](repeating: SIMD2(.nan, .nan), count: names.count)
    v[k] = SIMD2(x, y)
    points[sequence, default: [:]][frame] = v
    lines[sequence, default: [:]][frame] = line
  }

  /// Keypoints of a frame (NaN where missing), or nil if the frame has none.
  public func keypoints(sequence: String, frame: Int) -> [SIMD2<Float>]? { points[sequence]?[frame] }

  /// Most distinct keypoint names a CSV may have (human pose sets have tens).
  public static let maxKeypointNames = 1000

  /// Reads and parses a CSV file. A header row `sequence,frame,keypoint,x,y` is required.
  public static func read(_ path: String) throws -> KeypointTable {
    let data: Data
    do { data = try FileKind.read(path, maxBytes: 1 << 30) } catch let e as InputRefused {
      throw DatasetError.badFile(path: path, detail: "cannot read keypoints CSV (\(e.reason(without: path)))")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw DatasetError.badFile(path: path, detail: "cannot read keypoints CSV (not UTF-8 text)")
    }
    var table = KeypointTable()
    var sawHeader = false
    var lineNo = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNo += 1
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty { continue }
      let cols = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      if !sawHeader {
        guard cols == ["sequence", "frame", "keypoint", "x", "y"] else {
          throw DatasetError.badLine(path: path, line: lineNo, detail: "expected the header `sequence,frame,keypoint,x,y`, got `\(line)`")
        }
        sawHeader = true
        continue
      }
      guard cols.count == 5 else { throw DatasetError.badLine(path: path, line: lineNo, detail: "expected 5 columns, got \(cols.count)") }
      guard let f = Int(cols[1]) else { throw DatasetError.badLine(path: path, line: lineNo, detail: "frame \(DataName.quoted(cols[1])) is not an integer") }
      guard let x = Float(cols[3]), let y = Float(cols[4]), x.isFinite, y.isFinite else {
        throw DatasetError.badLine(path: path, line: lineNo, detail: "x/y \(DataName.quoted(cols[3])), \(DataName.quoted(cols[4])) are not finite numbers")
      }
      guard !cols[0].isEmpty, !cols[2].isEmpty else { throw DatasetError.badLine(path: path, line: lineNo, detail: "empty sequence or keypoint name") }
      for (kind, name) in [("sequence name", cols[0]), ("keypoint name", cols[2])] {
        if let p = DataName.problem(name) { throw DatasetError.badLine(path: path, line: lineNo, detail: "\(kind) \(DataName.quoted(name)) \(p)") }
      }
      // Each new keypoint name widens every row seen so far: a bound keeps a crafted file linear.
      if table.names.count >= maxKeypointNames && !table.names.contains(cols[2]) {
        throw DatasetError.badLine(path: path, line: lineNo, detail: "more than \(maxKeypointNames) distinct keypoint names")
      }
      table.set(sequence: cols[0], frame: f, keypoint: cols[2], x: x, y: y, line: lineNo)
    }
    if !sawHeader { throw DatasetError.badFile(path: path, detail: "empty keypoints CSV (no header)") }
    return table
  }

  /// Checks every row against the frames that exist; the error names the CSV line.
  public func validate(path: String, frames: [String: Set<Int>]) throws {
    for (s, byFrame) in points {
      for f in byFrame.keys {
        let line = lines[s]?[f] ?? 0
        guard let have = frames[s] else { throw DatasetError.badLine(path: path, line: line, detail: "sequence `\(s)` has no folder") }
        guard have.contains(f) else { throw DatasetError.badLine(path: path, line: line, detail: "sequence `\(s)` has no frame \(f)") }
      }
    }
  }

  /// CSV text, rows sorted by sequence, frame, keypoint index; coordinates with 3 decimals.
  public func csv() -> String {
    var out = "sequence,frame,keypoint,x,y\n"
    for s in points.keys.sorted() {
      for f in (points[s] ?? [:]).keys.sorted() {
        for (k, p) in (points[s]?[f] ?? []).enumerated() where !p.x.isNaN {
          out += "\(s),\(f),\(names[k]),\(String(format: "%.3f", p.x)),\(String(format: "%.3f", p.y))\n"
        }
      }
    }
    return out
  }
}
