// VideoArrayFile: uint8 video arrays [N, T, H, W, C] in HDF5 (dataset `videos` by default),
// read whole or one video at a time through a hyperslab selection, and written whole
// (chunked + gzip by default: one frame per chunk).
import Foundation

/// An open video array file. Dimension letters: N videos, T frames, H×W pixels, C channels.
public final class VideoArrayFile {
  public static let defaultDataset = "videos"

  public let file: HDF5File
  public let dataset: String
  /// [N, T, H, W, C]
  public let shape: [Int]

  /// Opens `path` read-only and checks that `dataset` is a rank-5 integer array.
  /// - Throws: `.missingDataset`, `.wrongType`, `.invalidContents` (wrong rank).
  public init(path: String, dataset: String = VideoArrayFile.defaultDataset) throws {
    file = try HDF5File(path: path)
    self.dataset = dataset
    shape = try file.shape(of: dataset)
    guard shape.count == 5 else {
      throw StorageError.invalidContents(
        path: path, object: dataset, reason: "shape \(shape), expected [N, T, H, W, C]")
    }
    let type = try file.elementType(of: dataset)
    guard type.hasPrefix("uint") || type.hasPrefix("int") else {
      throw StorageError.wrongType(path: path, object: dataset, expected: "uint8", found: type)
    }
  }

  /// Number of videos N.
  public var videoCount: Int { shape[0] }
  /// Shape of one video, [T, H, W, C].
  public var videoShape: [Int] { Array(shape.dropFirst()) }

  /// Video `index` as [T, H, W, C] bytes (reads only that video).
  /// - Throws: `.readFailed` naming the file and dataset when `index` is out of range.
  public func readVideo(_ index: Int) throws -> [UInt8] {
    try file.readUInt8s(dataset, rows: index..<(index + 1)).values
  }

  /// Videos `range` as [range.count, T, H, W, C] bytes.
  public func readVideos(_ range: Range<Int>) throws -> [UInt8] {
    try file.readUInt8s(dataset, rows: range).values
  }

  /// The whole array, [N, T, H, W, C] bytes.
  public func readAll() throws -> [UInt8] { try file.readUInt8s(dataset).values }

  /// Writes `values` ([N, T, H, W, C], row-major) to a new file at `path` (atomically).
  public static func write(
    _ values: [UInt8], shape: [Int], to path: String, dataset: String = defaultDataset,
    compression: Compression? = .gzip(level: 4)
  ) throws {
    guard shape.count == 5 else {
      throw StorageError.invalidContents(
        path: path, object: dataset, reason: "shape \(shape), expected [N, T, H, W, C]")
    }
    try writeAtomically(to: path) { f in
      try f.write(dataset, uint8s: values, shape: shape, compression: compression)
    }
  }
}
