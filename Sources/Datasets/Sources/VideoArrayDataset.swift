// HDF5 video arrays: dataset `videos`, uint8 [N, T, H, W, C] (C = 1 or 3), a common preprocessed
// form of BAIR push and KTH. One video is read at a time (a hyperslab of one row) and kept in a
// small cache; optional `sequence` names ([N] strings, or integers read as decimal text) are
// used when present, each checked as a name from data (SafeIO's DataName: it may become a folder
// name of an output). The shape is a claim of the file: frames larger than Imaging's limit a side,
// or a video larger than the memory available, are refused on open, before anything is read.
// Splits (README, Datasets) come from one of two places, never both:
//   - a `split` dataset in the file: [N] strings (or integers), video i's split name;
//   - a manifest beside the file: `<stem>.manifest.json` (videos.h5 → videos.manifest.json), else
//     `manifest.json` in the same folder; the frame folders' format, naming the videos by their
//     `sequence` names (video_00000, ... without them).
// One file per split (BAIR's train and test files) needs neither: train on one, and score on
// the other with `predict --test-data`.
import Foundation
import Imaging
import SafeIO
import Storage

public final class VideoArrayDataset: VideoSource {
  public let path: String
  public let sequenceNames: [String]
  public let frames: Int, width: Int, height: Int, channels: Int
  public let splits: [String: [Int]]?
  public let splitOrigin: String?
  public var splitHint: String {
    "add a `split` dataset ([N] strings) to \(path) or \(VideoArrayDataset.manifestPaths(for: path)[0]) beside it "
      + "like {\"splits\": {\"train\": [...], \"test\": [...]}}"
  }
  public let keypoints: KeypointTable? = nil
  private let file: HDF5File
  private let lock = NSLock()
  private var current: (index: Int, bytes: [UInt8])?
  private let cache: FrameCache

  public var location: String { path }

  public init(path: String, dataset: String = "videos", cacheBytes: Int = 512 << 20) throws {
    guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.badFile(path: path, detail: "file not found") }
    self.path = path
    do {
      file = try HDF5File(path: path, mode: .readOnly)
    } catch { throw DatasetError.badFile(path: path, detail: "cannot open as HDF5 (\(error))") }
    let shape: [Int]
    do { shape = try file.shape(of: dataset) } catch { throw DatasetError.badFile(path: path, detail: "no dataset `\(dataset)` (\(error))") }
    guard shape.count == 5, shape[4] == 1 || shape[4] == 3, shape.allSatisfy({ $0 > 0 }) else {
      throw DatasetError.badFile(path: path, detail: "`\(dataset)` has shape \(shape); expected uint8 [N, T, H, W, C] with C 1 or 3")
    }
    (frames, height, width, channels) = (shape[1], shape[2], shape[3], shape[4])
    guard width <= ImageLimits.maxSide, height <= ImageLimits.maxSide else {
      throw DatasetError.badFile(
        path: path, detail: "`\(dataset)` has shape \(shape): frames of \(width)×\(height) pixels; frames may be at most \(ImageLimits.maxSide) px a side")
    }
    // One video is read at a time ([T, H, W, C] bytes) and one frame decoded to floats.
    guard let videoBytes = MemoryBudget.product([frames, height, width, channels]) else {
      throw DatasetError.badFile(path: path, detail: "`\(dataset)` has shape \(shape), too large to read")
    }
    do {
      try MemoryBudget.check(videoBytes + ImageLimits.decodedBytes(width: width, height: height), "one video of `\(dataset)` (shape \(shape))")
    } catch let e as InputRefused {
      throw DatasetError.badFile(path: path, detail: e.message)
    }
    self.dataset = dataset
    if file.contains("sequence") {
      // Strings, or integer ids read as their decimal text (as in landmark files); a StorageError
      // already names the file and dataset.
      let names = try file.readNames("sequence")
      guard names.count == shape[0] else {
        throw DatasetError.badFile(path: path, detail: "`sequence` has \(names.count) names, `\(dataset)` has N = \(shape[0]) videos")
      }
      var first: [String: Int] = [:]
      for (i, n) in names.enumerated() {
        if let p = DataName.problem(n) {
          throw DatasetError.badFile(path: path, detail: "`sequence`[\(i)] names video \(i) \(DataName.quoted(n)), which \(p)")
        }
        if let j = first[n] {
          throw DatasetError.badFile(path: path, detail: "`sequence` names videos \(j) and \(i) both \(DataName.quoted(n))")
        }
        first[n] = i
      }
      sequenceNames = names
    } else {
      sequenceNames = (0..<shape[0]).map { String(format: "video_%05d", $0) }
    }
    (splits, splitOrigin) = try Self.readSplits(file, path: path, names: sequenceNames)
    cache = FrameCache(limitBytes: cacheBytes)
  }

  /// Where a manifest beside `path` may be, in the order they are looked for.
  public static func manifestPaths(for path: String) -> [String] {
    let dir = Paths.parentFolder(of: path)
    let name = path.split(separator: "/").last.map(String.init) ?? path
    let stem = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
    func beside(_ file: String) -> String { dir.isEmpty ? file : (dir as NSString).appendingPathComponent(file) }
    return [beside((stem.isEmpty ? name : stem) + ".manifest.json"), beside("manifest.json")]
  }

  /// The splits of the `split` dataset or of the manifest beside the file (nil: none), and where they come from.
  static func readSplits(_ file: HDF5File, path: String, names: [String]) throws -> ([String: [Int]]?, String?) {
    let beside = manifestPaths(for: path).first { FileKind.of($0) != .missing }
    if file.contains("split") {
      if let beside {
        throw DatasetError.badFile(
          path: path, detail: "splits in two places, its `split` dataset and \(beside): keep one")
      }
      let labels = try file.readNames("split")
      guard labels.count == names.count else {
        throw DatasetError.badFile(path: path, detail: "`split` has \(labels.count) names, the file has N = \(names.count) videos")
      }
      var out: [String: [Int]] = [:]
      for (i, l) in labels.enumerated() {
        if let p = DataName.problem(l) {
          throw DatasetError.badFile(path: path, detail: "`split`[\(i)] names split \(DataName.quoted(l)) for video \(i), which \(p)")
        }
        out[l, default: []].append(i)
      }
      return (out, "\(path)'s `split` dataset")
    }
    guard let beside else { return (nil, nil) }
    let m = try DatasetManifest.read(beside)
    return (try m.indices(of: names, path: beside, missing: "which is not a video of \(path)"), beside)
  }

  private let dataset: String

  public func frameCount(sequence: Int) -> Int { frames }
  public func frameNumber(sequence: Int, index t: Int) -> Int { t }

  public func frame(sequence: Int, index t: Int) throws -> RGBImage {
    let key = sequence * frames + t
    if let im = cache.get(key) { return im }
    lock.lock()
    defer { lock.unlock() }
    if current?.index != sequence {
      do {
        current = (sequence, try file.readUInt8s(dataset, rows: sequence..<(sequence + 1)).values)
      } catch { throw DatasetError.badFile(path: path, detail: "reading video \(sequence) of `\(dataset)`: \(error)") }
    }
    guard let bytes = current?.bytes else { throw DatasetError.badFile(path: path, detail: "video \(sequence) unreadable") }
    let plane = width * height, C = channels
    var px = [Float](repeating: 0, count: 3 * plane)
    bytes.withUnsafeBufferPointer { src in
      px.withUnsafeMutableBufferPointer { dst in
        let base = t * plane * C
        for i in 0..<plane {
          for c in 0..<3 { dst[c * plane + i] = Float(src[base + i * C + (C == 3 ? c : 0)]) / 255 }
        }
      }
    }
    let im = RGBImage(width: width, height: height, pixels: px)
    cache.put(key, im)
    return im
  }
}
