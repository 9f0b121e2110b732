// FrameFolderListing: the one reader of the frame-folder layout (DESIGN §4,
// DIR/<sequence>/<frame>.png, frames sorted by the number in their name) that datasets, `eval
// frames`, `predict` outputs and `import predictions` all use, with one rule: every entry of a
// sequence folder is a PNG frame whose name holds a number, or an error naming it (hidden files
// aside). Entries are checked by type before anything is opened, so a FIFO, socket or device
// named like a frame is refused instead of blocking a read. Files beside the sequence folders
// (manifest.json, keypoints.csv, scores.csv) are not frames and are left alone; a PNG there is
// an error. Sequence and frame names are checked where they are read (SafeIO's DataName: no
// separators, control characters or hidden names, at most 255 bytes), and a folder still being
// written by lmlab (it holds `.lmlab-incomplete`) is refused. Also the PNG header read (size,
// color kind, and the limits of Imaging's PNGInfo) every reader checks frames with.
import Foundation
import Imaging
import SafeIO

public struct FrameFolderListing: Sendable {
  public struct Frame: Sendable, Equatable {
    public var number: Int
    public var path: String
  }
  public struct Sequence: Sendable {
    public var name: String
    /// Sorted by number; empty when the folder holds no frame.
    public var frames: [Frame]
  }

  public let root: String
  /// Sorted by name.
  public let sequences: [Sequence]

  /// Lists `root`; throws on the first entry that breaks the layout (in name order).
  public init(root: String) throws {
    guard FileKind.of(root) == .directory else { throw DatasetError.notADirectory(path: root) }
    let incomplete = (root as NSString).appendingPathComponent(OutputFolder.incompleteName)
    if FileKind.of(incomplete) != .missing {
      throw DatasetError.badFile(
        path: root, detail: "an unfinished lmlab output (it holds \(OutputFolder.incompleteName): the command writing it was interrupted); delete it")
    }
    self.root = root
    var out: [Sequence] = []
    for name in try Self.entries(root) {
      let dir = (root as NSString).appendingPathComponent(name)
      switch FileKind.of(dir) {
      case .directory: break
      case .regular:
        if name.lowercased().hasSuffix(".png") {
          throw DatasetError.badFrameName(path: dir, detail: "a frame outside any sequence folder (expected DIR/<sequence>/<frame>.png)")
        }
        continue  // manifest.json, keypoints.csv, notes: not frames
      case .special(let what):
        throw DatasetError.badFrameName(path: dir, detail: "\(what), not a sequence folder")
      case .missing:
        continue  // gone since the listing (or a dangling link)
      }
      try Self.checkName(name, kind: "sequence name", path: dir)
      var frames: [Frame] = []
      for f in try Self.entries(dir) {
        let path = (dir as NSString).appendingPathComponent(f)
        switch FileKind.of(path) {
        case .regular: break
        case .directory:
          throw DatasetError.badFrameName(path: path, detail: "a folder in a sequence folder (expected DIR/<sequence>/<frame>.png)")
        case .special(let what):
          throw DatasetError.badFrameName(path: path, detail: "\(what) in a sequence folder, not a PNG frame")
        case .missing:
          throw DatasetError.badFrameName(path: path, detail: "a dangling link in a sequence folder")
        }
        try Self.checkName(f, kind: "frame name", path: path)
        guard f.lowercased().hasSuffix(".png") else {
          throw DatasetError.badFrameName(
            path: path, detail: "not a PNG frame in a sequence folder (every file there must be <frame>.png)")
        }
        guard let n = Self.frameNumber(in: f) else {
          throw DatasetError.badFrameName(path: path, detail: "frame name has no number to sort by")
        }
        frames.append(Frame(number: n, path: path))
      }
      frames.sort { $0.number < $1.number }
      for i in frames.indices.dropFirst() where frames[i].number == frames[i - 1].number {
        throw DatasetError.badFrameName(
          path: frames[i].path, detail: "frame number \(frames[i].number) repeats \(frames[i - 1].path)")
      }
      out.append(Sequence(name: name, frames: frames))
    }
    sequences = out
  }

  /// Sequence name → frame number → path (sequences without frames left out).
  public var byNumber: [String: [Int: String]] {
    var out: [String: [Int: String]] = [:]
    for s in sequences where !s.frames.isEmpty {
      out[s.name] = Dictionary(uniqueKeysWithValues: s.frames.map { ($0.number, $0.path) })
    }
    return out
  }

  /// The last run of digits in a file name's stem ("frame_0012.png" → 12).
  public static func frameNumber(in file: String) -> Int? {
    let stem = (file as NSString).deletingPathExtension
    var digits: [Character] = []
    for ch in stem.reversed() {
      if ch.isASCII && ch.isNumber { digits.append(ch) } else if !digits.isEmpty { break }
    }
    return digits.isEmpty ? nil : Int(String(digits.reversed()))
  }

  /// A name read from the disk, checked as every name from data is.
  static func checkName(_ name: String, kind: String, path: String) throws {
    if let p = DataName.problem(name) {
      let folder = Paths.parentFolder(of: path)
      throw DatasetError.badFrameName(path: folder + "/" + DataName.quoted(name), detail: "\(kind) \(p)")
    }
  }

  /// Non-hidden entries of a folder, sorted.
  static func entries(_ dir: String) throws -> [String] {
    do {
      return try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
    } catch {
      throw DatasetError.badFile(path: dir, detail: "cannot list: \(error.localizedDescription)")
    }
  }
}

/// A PNG's IHDR: size and whether it carries color (color types 2, 3, 6) or gray (0, 4).
public struct PNGHeader: Sendable, Equatable {
  public var width: Int
  public var height: Int
  public var isColor: Bool

  /// Reads the first 33 bytes of a regular file and checks the header against Imaging's limits
  /// (side, file size for that many pixels); errors name the file.
  public static func read(_ path: String) throws -> PNGHeader {
    switch FileKind.of(path) {
    case .regular: break
    case .missing: throw DatasetError.image(.notFound(path: path))
    case .directory: throw DatasetError.image(.notAFile(path: path, detail: "a folder, not a PNG file"))
    case .special(let k): throw DatasetError.image(.notAFile(path: path, detail: "\(k), not a PNG file"))
    }
    guard let h = FileHandle(forReadingAtPath: path) else { throw DatasetError.image(.notFound(path: path)) }
    defer { try? h.close() }
    let d = [UInt8](h.readData(ofLength: 33))
    do {
      let info = try PNGInfo.parse(d, path: path)
      // Memory is checked when a frame is decoded (and per data set, from one frame's size).
      try info.checkLimits(path: path, fileBytes: FileKind.size(path) ?? 0, memory: false)
      return PNGHeader(width: info.width, height: info.height, isColor: info.isColor)
    } catch let e as ImagingError {
      throw DatasetError.image(e)
    }
  }
}
