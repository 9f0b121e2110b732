// VideoSource: what samplers read — named sequences of same-size RGB frames, optional splits and
// keypoints — and a bounded in-memory frame cache that sources share. A split is read by name
// and only by name: a split the source does not define is an error naming the source and the
// splits it has (never "every sequence" in its place); `all` is the one name every source
// answers (every sequence), so reading training sequences is always asked for in words.
import Foundation
import Imaging
import TensorEngine

public protocol VideoSource: AnyObject {
  /// Where the data came from (for messages).
  var location: String { get }
  var sequenceNames: [String] { get }
  var width: Int { get }
  var height: Int { get }
  func frameCount(sequence: Int) -> Int
  /// Frame `t` (0-based position, not the number in the file name) of a sequence. Thread-safe.
  func frame(sequence: Int, index t: Int) throws -> RGBImage
  /// Split name → sequence indices; nil when the source defines no splits.
  var splits: [String: [Int]]? { get }
  /// Where the splits come from, for messages ("DIR/manifest.json"); nil without splits.
  var splitOrigin: String? { get }
  /// How to give this source splits, for the message when it has none.
  var splitHint: String { get }
  var keypoints: KeypointTable? { get }
  /// The number in frame t's file name (keypoint rows refer to it); t for array sources.
  func frameNumber(sequence: Int, index t: Int) -> Int
}

extension VideoSource {
  /// Frame `t` of a sequence at size×size (centre-cropped and resized when it is not already).
  public func frame(sequence q: Int, index t: Int, size: Int) throws -> RGBImage {
    let im = try frame(sequence: q, index: t)
    return (im.width == size && im.height == size) ? im : im.squareResized(size)
  }

  /// Frames t ..< t + n of a sequence at size×size as [n, 3, size, size] in [-1, 1].
  public func frames(sequence q: Int, from t: Int, count n: Int, size: Int) throws -> Tensor {
    let plane = 3 * size * size
    let out = Tensor(zeros: [n, 3, size, size])
    for i in 0..<n { try frame(sequence: q, index: t + i, size: size).writeNormalized(into: out.data + i * plane) }
    return out
  }

  public var sequenceCount: Int { sequenceNames.count }
  public var totalFrames: Int { (0..<sequenceCount).reduce(0) { $0 + frameCount(sequence: $1) } }

  /// The sequences of split `split` (nil or `all`: every sequence; a split the source itself
  /// names `all` wins).
  /// - Throws: `DatasetError.noSplit` naming the source and the splits it has (or how to add
  ///   some) when it does not define `split`.
  public func sequences(inSplit split: String?) throws -> [Int] {
    guard let split else { return Array(0..<sequenceCount) }
    if let s = splits?[split] { return s }
    if split == SplitName.all { return Array(0..<sequenceCount) }
    throw DatasetError.noSplit(
      source: location, split: split, have: splits.map { $0.keys.sorted() }, origin: splitOrigin, hint: splitHint)
  }
}

/// Split names with a meaning of their own.
public enum SplitName {
  /// Every sequence of a source, whatever its splits.
  public static let all = "all"
  /// What training reads when the source has splits.
  public static let train = "train"
  public static let test = "test"
}

/// A thread-safe cache of decoded frames with a byte budget (frames beyond it are not cached).
final class FrameCache: @unchecked Sendable {
  private var frames: [Int: RGBImage] = [:]
  private var bytes = 0
  private let limit: Int
  private let lock = NSLock()

  init(limitBytes: Int) { limit = limitBytes }

  func get(_ key: Int) -> RGBImage? {
    lock.lock(); defer { lock.unlock() }
    return frames[key]
  }

  func put(_ key: Int, _ image: RGBImage) {
    let b = image.pixels.count * 4
    lock.lock(); defer { lock.unlock() }
    guard frames[key] == nil, bytes + b <= limit else { return }
    frames[key] = image
    bytes += b
  }
}
