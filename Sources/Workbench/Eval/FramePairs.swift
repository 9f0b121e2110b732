// Matching two frame folders (DESIGN §4: DIR/<sequence>/<frame>.png, frames sorted by the
// number in their name) one to one by sequence and frame number. Anything unmatched is an
// error naming the file; nothing is skipped.
import Foundation

/// One reference/predicted frame pair.
public struct FramePair: Sendable, Equatable {
  public var sequence: String
  public var frame: Int
  public var reference: String
  public var predicted: String
}

/// Frames of one folder: sequence → frame number → path.
/// - Parameter strict: also refuse PNGs directly in `root` (not in a sequence folder) and any
///   entry of a sequence folder that is not a PNG (hidden files aside), and keep empty sequence
///   folders (as sequences without frames); otherwise those are ignored.
func listFrames(_ root: String, strict: Bool = false) throws -> [String: [Int: String]] {
  let fm = FileManager.default
  var isDir: ObjCBool = false
  guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else { throw EvalError.notAFolder(path: root) }
  var out: [String: [Int: String]] = [:]
  for seq in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted() where !seq.hasPrefix(".") {
    let dir = (root as NSString).appendingPathComponent(seq)
    var d: ObjCBool = false
    guard fm.fileExists(atPath: dir, isDirectory: &d), d.boolValue else {
      if strict && seq.lowercased().hasSuffix(".png") {
        throw EvalError.badFrameName(path: dir, detail: "a frame outside any sequence folder (expected DIR/<sequence>/<frame>.png)")
      }
      continue
    }
    var frames: [Int: String] = [:]
    for f in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() where !f.hasPrefix(".") {
      let path = (dir as NSString).appendingPathComponent(f)
      guard f.lowercased().hasSuffix(".png") else {
        if strict {
          var sub: ObjCBool = false
          let folder = fm.fileExists(atPath: path, isDirectory: &sub) && sub.boolValue
          throw EvalError.badFrameName(
            path: path, detail: (folder ? "a folder" : "not a PNG frame") + " in a sequence folder (expected DIR/<sequence>/<frame>.png)")
        }
        continue
      }
      guard let n = frameNumber(in: f) else { throw EvalError.badFrameName(path: path, detail: "no number in the frame's name") }
      if let other = frames[n] {
        throw EvalError.badFrameName(path: path, detail: "frame number \(n) repeats \(other)")
      }
      frames[n] = path
    }
    // Strict listings keep an empty sequence folder, so it is reported as that sequence's problem.
    if !frames.isEmpty || strict { out[seq] = frames }
  }
  guard out.values.contains(where: { !$0.isEmpty }) else { throw EvalError.noFrames(path: root) }
  return out
}

/// The last run of digits in a file's stem ("frame_0012.png" → 12).
func frameNumber(in file: String) -> Int? {
  let stem = (file as NSString).deletingPathExtension
  var digits: [Character] = []
  for ch in stem.reversed() {
    if ch.isASCII && ch.isNumber { digits.append(ch) } else if !digits.isEmpty { break }
  }
  return digits.isEmpty ? nil : Int(String(digits.reversed()))
}

/// Pairs every frame of `reference` with the same sequence/frame of `predicted`, sorted by
/// sequence then frame. Throws on the first frame (in that order) either folder lacks.
public func matchFramePairs(reference: String, predicted: String) throws -> [FramePair] {
  let ref = try listFrames(reference), pred = try listFrames(predicted)
  var pairs: [FramePair] = []
  for seq in Set(ref.keys).union(pred.keys).sorted() {
    let r = ref[seq] ?? [:], p = pred[seq] ?? [:]
    for f in Set(r.keys).union(p.keys).sorted() {
      switch (r[f], p[f]) {
      case let (a?, b?): pairs.append(FramePair(sequence: seq, frame: f, reference: a, predicted: b))
      case let (a?, nil): throw EvalError.missingFrame(present: a, absentFolder: predicted, sequence: seq, frame: f)
      case let (nil, b?): throw EvalError.missingFrame(present: b, absentFolder: reference, sequence: seq, frame: f)
      default: break
      }
    }
  }
  return pairs
}

/// Width, height and color kind ("gray" or "color") from a PNG's IHDR chunk.
func pngHeader(_ path: String) throws -> (width: Int, height: Int, kind: String) {
  guard let h = FileHandle(forReadingAtPath: path) else { throw EvalError.unreadableImage(path: path, detail: "cannot open") }
  defer { try? h.close() }
  let d = [UInt8](h.readData(ofLength: 26))
  let sig: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  guard d.count >= 8, Array(d[0..<8]) == sig else { throw EvalError.unreadableImage(path: path, detail: "not a PNG file") }
  guard d.count == 26, d[12...15] == [0x49, 0x48, 0x44, 0x52] else {
    throw EvalError.unreadableImage(path: path, detail: "truncated (no IHDR chunk)")
  }
  func be(_ i: Int) -> Int { Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3]) }
  // Color types 0 (gray) and 4 (gray + alpha) carry one channel; 2, 3, 6 carry color.
  let kind = (d[25] == 0 || d[25] == 4) ? "gray" : "color"
  return (be(16), be(20), kind)
}
