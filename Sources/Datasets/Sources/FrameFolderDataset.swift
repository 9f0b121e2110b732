// Frame-folder datasets (DESIGN §4): DIR/<sequence>/<frame>.png, frames sorted by the number in
// their name, optional DIR/keypoints.csv and DIR/manifest.json. Validated on open: empty folders,
// frame names without a number or with a repeated number, non-PNG files, mixed frame sizes,
// manifest splits naming missing sequences and keypoint rows for missing frames are errors
// naming the file (and line); so is a frame size whose decoded pixels would not fit in memory.
import Foundation
import Imaging
import SafeIO

public final class FrameFolderDataset: VideoSource {
  public let root: String
  public let sequenceNames: [String]
  /// Per sequence: frame files (full paths) and their numbers, sorted by number.
  public let framePaths: [[String]]
  public let frameNumbers: [[Int]]
  public let width: Int, height: Int
  public let manifest: DatasetManifest?
  public let splits: [String: [Int]]?
  public let splitOrigin: String?
  public var splitHint: String {
    "add \((root as NSString).appendingPathComponent("manifest.json")) like {\"splits\": {\"train\": [...], \"test\": [...]}}"
  }
  public let keypoints: KeypointTable?
  private let cache: FrameCache
  private let offsets: [Int]

  public var location: String { root }

  /// Opens and validates `root`. Frame headers (signature and size) are read for every frame;
  /// pixel data is decoded on demand and cached up to `cacheBytes`.
  public init(root: String, cacheBytes: Int = 512 << 20) throws {
    let fm = FileManager.default
    let listing = try FrameFolderListing(root: root)
    self.root = root
    var names: [String] = [], paths: [[String]] = [], numbers: [[Int]] = []
    var size: (Int, Int)? = nil
    for sequence in listing.sequences {
      let dir = (root as NSString).appendingPathComponent(sequence.name)
      guard !sequence.frames.isEmpty else { throw DatasetError.emptySequence(path: dir) }
      for f in sequence.frames {
        let h = try PNGHeader.read(f.path)
        let s = (h.width, h.height)
        if let size, size != s { throw DatasetError.mixedSizes(path: f.path, size: s, expected: size) }
        size = size ?? s
      }
      names.append(sequence.name)
      paths.append(sequence.frames.map(\.path))
      numbers.append(sequence.frames.map(\.number))
    }
    guard let size, !names.isEmpty else { throw DatasetError.noSequences(path: root) }
    let frameBytes = ImageLimits.decodedBytes(width: size.0, height: size.1)
    if frameBytes > 64 << 20 {
      do { try MemoryBudget.check(frameBytes, "frames of \(size.0)×\(size.1) pixels") } catch let e as InputRefused {
        throw DatasetError.badFile(path: paths[0][0], detail: e.message)
      }
    }
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
      splits = try m.indices(of: names, path: manifestPath, missing: "which has no folder")
      manifest = m
      splitOrigin = manifestPath
    } else {
      manifest = nil
      splits = nil
      splitOrigin = nil
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
  static func number(in file: String) -> Int? { FrameFolderListing.frameNumber(in: file) }

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
