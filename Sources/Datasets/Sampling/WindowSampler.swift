// Windows of L = n + m consecutive frames for training the dynamics: [B, L, 3, S, S] in [-1, 1],
// uniformly over all valid start positions; deterministic and resumable like PairSampler.
import Foundation
import Imaging
import TensorEngine

public struct WindowBatch {
  /// [B, L, 3, S, S]
  public var frames: Tensor
  /// (sequence, first frame index) per item.
  public var starts: [(sequence: Int, frame: Int)]
  public var state: SamplerState
}

public final class WindowSampler {
  public let source: VideoSource
  public let length: Int, batchSize: Int, imageSize: Int
  public let sequences: [Int]
  private var rng: SeededRNG
  private var position = 0
  private let cumulative: [Int]  // start positions before each usable sequence
  private let usable: [Int]

  public init(source: VideoSource, sequences: [Int]? = nil, length: Int, batchSize: Int, imageSize: Int, seed: UInt64) throws {
    self.source = source
    self.length = length
    self.batchSize = batchSize
    self.imageSize = imageSize
    self.sequences = sequences ?? Array(0..<source.sequenceCount)
    guard length >= 1, batchSize >= 1 else { throw DatasetError.invalidArgument("window length \(length) and batch \(batchSize) must be ≥ 1") }
    usable = self.sequences.filter { source.frameCount(sequence: $0) >= length }
    guard !usable.isEmpty else {
      throw DatasetError.invalidArgument("\(source.location): no sequence has \(length) frames for a window")
    }
    var c = [0]
    for s in usable { c.append(c[c.count - 1] + source.frameCount(sequence: s) - length + 1) }
    cumulative = c
    rng = SeededRNG(seed: seed)
  }

  public var state: SamplerState { SamplerState(rng: rng.stateWords, position: position) }

  public func restore(_ s: SamplerState) {
    rng = SeededRNG(state: s.rng)
    position = s.position
  }

  /// The next batch's window starts, (sequence, first frame) per item, without loading any
  /// frame: for windows over per-frame data kept elsewhere (encoded landmark states). Advances
  /// the sampler exactly as `next()` does.
  public func nextStarts() -> [(sequence: Int, frame: Int)] {
    var starts: [(Int, Int)] = []
    for _ in 0..<batchSize {
      let g = Int(rng.next() % UInt64(cumulative[cumulative.count - 1]))
      var k = 0
      while cumulative[k + 1] <= g { k += 1 }
      starts.append((usable[k], g - cumulative[k]))
    }
    position += 1
    return starts
  }

  public func next() throws -> WindowBatch {
    let S = imageSize, window = length * 3 * S * S
    let out = Tensor(zeros: [batchSize, length, 3, S, S])
    let starts = nextStarts()
    for (b, (s, t0)) in starts.enumerated() {
      let frames = try source.frames(sequence: s, from: t0, count: length, size: S)
      (out.data + b * window).update(from: frames.data, count: window)
    }
    return WindowBatch(frames: out, starts: starts, state: state)
  }
}
