// Frame-folder datasets (DESIGN §4): DIR/<sequence>/<frame>.png, frames sorted by the number in
// their name, optional DIR/keypoints.csv and DIR/manifest.json. Validated on open: empty folders,
// frame names without a number or with a repeated number, non-PNG files, mixed frame sizes,
// manifest splits naming missing sequences and keypoint rows for missing frames are errors
// naming the file (and line).
import Foundation
import Imaging

public final class FrameFolderDataset: VideoSource {
  public let root: String
  public let sequenceNames: [String]
  /// Per sequence: frame files (full paths) and their numbers, sorted by number.
  public let framePaths: [[String]]
  public let frameNumbers: [[Int]]
  public let width: Int, height: Int
  public let manifest: DatasetManifest?
  public let splits: [String: [Int]]?
  public let keypoints: KeypointTable?
  private let cache: FrameCache
  private let offsets: [Int]

  public var location: String { root }

  /// Opens and validates `root`. Frame headers (signature and size) are read for every frame;
  /// pixel data is decoded on demand and cached up to `cacheBytes`.
  public init(root: String, cacheBytes: Int = 512 << 20) throws {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else { throw DatasetError.notADirectory(path: root) }
    self.root = root
    let entries = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted()
    var names: [String] = [], paths: [[String]] = [], numbers: [[Int]] = []
    var size: (Int, Int)? = nil
    for e in entries where !e.hasPrefix(".") {
      let dir = (root as NSString).appendingPathComponent(e)
      var d: ObjCBool = false
      guard fm.fileExists(atPath: dir, isDirectory: &d), d.boolValue else { continue }
      let files = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.lowercased().hasSuffix(".png") }
      guard !files.isEmpty else { throw DatasetError.emptySequence(path: dir) }
      var numbered: [(Int, String)] = []
      for f in files {
        let p = (dir as NSString).appendingPathComponent(f)
        guard let n = FrameFolderDataset.number(in: f) else { throw DatasetError.badFrameName(path: p, detail: "frame name has no number to sort by") }
        numbered.append((n, p))
      }
      numbered.sort { $0.0 < $1.0 }
      for i in 1..<Swift.max(numbered.count, 1) where numbered[i].0 == numbered[i - 1].0 {
        throw DatasetError.badFrameName(path: numbered[i].1, detail: "frame number \(numbered[i].0) repeats \(numbered[i - 1].1)")
      }
      for (_, p) in numbered {
        let s = try pngSize(p)
        if let size, size != s { throw DatasetError.mixedSizes(path: p, size: s, expected: size) }
        size = size ?? s
      }
      names.append(e)
      paths.append(numbered.map(\.1))
      numbers.append(numbered.map(\.0))
    }
    guard let size, !names.isEmpty else { throw DatasetError.noSequences(path: root) }
    sequenceNames = names
    framePaths = paths
    frameNumbers = numbers
    (width, height) = size
    var off = [0]
    for p in paths { off.append(off[off.count - 1] + p.count) }
    offsets = off
    cache = FrameCache(limitBytes: cacheBytes)

    let manifestPath = (root as NSString).appendingPathComponent("manifest.json")
    if fm.fileExists(atPath: manifestPath) {
      let m = try DatasetManifest.read(manifestPath)
      var sp: [String: [Int]] = [:]
      for (split, seqs) in m.splits {
        sp[split] = try seqs.map { s in
          guard let i = names.firstIndex(of: s) else {
            throw DatasetError.badFile(path: manifestPath, detail: "split `\(split)` names sequence `\(s)`, which has no folder")
          }
          return i
        }
      }
      manifest = m
      splits = sp
    } else {
      manifest = nil
      splits = nil
    }
    let kpPath = (root as NSString).appendingPathComponent("keypoints.csv")
    if fm.fileExists(atPath: kpPath) {
      let table = try KeypointTable.read(kpPath)
      var have: [String: Set<Int>] = [:]
      for (i, n) in names.enumerated() { have[n] = Set(numbers[i]) }
      try table.validate(path: kpPath, frames: have)
      keypoints = table
    } else {
      keypoints = nil
    }
  }

  /// The last run of digits in a file name's stem.
  static func number(in file: String) -> Int? {
    let stem = (file as NSString).deletingPathExtension
    var digits = ""
    var seen = false
    for ch in stem.reversed() {
      if ch.isASCII && ch.isNumber { digits.append(ch); seen = true } else if seen { break }
    }
    return seen ? Int(String(digits.reversed())) : nil
  }

  public func frameCount(sequence: Int) -> Int { framePaths[sequence].count }
  public func frameNumber(sequence: Int, index t: Int) -> Int { frameNumbers[sequence][t] }

  public func frame(sequence: Int, index t: Int) throws -> RGBImage {
    let key = offsets[sequence] + t
    if let im = cache.get(key) { return im }
    let path = framePaths[sequence][t]
    let im: RGBImage
    do { im = try readPNG(path) } catch let e as ImagingError { throw DatasetError.image(e) }
    guard im.width == width, im.height == height else { throw DatasetError.mixedSizes(path: path, size: (im.width, im.height), expected: (width, height)) }
    cache.put(key, im)
    return im
  }

  /// Decodes every frame (finds truncated files); errors name the file.
  public func verifyAllFrames() throws {
    for s in 0..<sequenceCount { for t in 0..<frameCount(sequence: s) { _ = try frame(sequence: s, index: t) } }
  }
}

/// Width and height from a PNG's IHDR; errors name the file.
public func pngSize(_ path: String) throws -> (Int, Int) {
  guard let h = FileHandle(forReadingAtPath: path) else { throw DatasetError.image(.notFound(path: path)) }
  defer { try? h.close() }
  let d = [UInt8](h.readData(ofLength: 24))
  let sig: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  guard d.count >= 8, Array(d[0..<8]) == sig else { throw DatasetError.image(.notPNG(path: path)) }
  guard d.count == 24, d[12] == 0x49, d[13] == 0x48, d[14] == 0x44, d[15] == 0x52 else {
    throw DatasetError.image(.truncated(path: path, detail: "no IHDR chunk"))
  }
  func be(_ i: Int) -> Int { Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3]) }
  return (be(16), be(20))
}
