// Training pairs (DESIGN §2): pose branch T_cj(x), appearance branch T_tps(x) and/or T_temp(x),
// target x; batches [B, 3, S, S] in [-1, 1]. Deterministic given the seed; resumable from
// `state` (RNG words + position). All randomness of a batch is drawn from one RNG in item order.
import Foundation
import Imaging
import TensorEngine

public struct PairSamplerConfig: Equatable, Sendable {
  public var batchSize: Int = 8
  /// S: frames are resized (centre-cropped if not square) to S×S.
  public var imageSize: Int = 64
  /// `use_warped`: TPS-warp the appearance image.
  public var useWarped: Bool = true
  /// `use_temporal`: the appearance image is another frame 3–60 away (then warped if useWarped).
  public var useTemporal: Bool = false
  public var minGap: Int = 3
  public var maxGap: Int = 60
  public var colorJitter = ColorJitter()
  public var tps = TPSWarp()

  public init(batchSize: Int = 8, imageSize: Int = 64, useWarped: Bool = true, useTemporal: Bool = false) {
    self.batchSize = batchSize
    self.imageSize = imageSize
    self.useWarped = useWarped
    self.useTemporal = useTemporal
  }
}

public struct PairBatch {
  /// T_cj(x): [B, 3, S, S]
  public var pose: Tensor
  /// T_tps(x), T_temp(x) or T_tps(T_temp(x)): [B, 3, S, S]
  public var appearance: Tensor
  /// x: [B, 3, S, S]
  public var target: Tensor
  public var origins: [SampleOrigin]
  /// The state after this batch: restore it to continue with the next one.
  public var state: SamplerState
}

public final class PairSampler {
  public let source: VideoSource
  public let config: PairSamplerConfig
  public let sequences: [Int]
  private var rng: SeededRNG
  private var position = 0
  private let cumulative: [Int]  // frames before each listed sequence

  /// Samples frames of `sequences` (all, if nil) uniformly.
  public init(source: VideoSource, sequences: [Int]? = nil, config: PairSamplerConfig = .init(), seed: UInt64) throws {
    self.source = source
    self.config = config
    self.sequences = sequences ?? Array(0..<source.sequenceCount)
    guard config.batchSize >= 1, config.imageSize >= 8 else {
      throw DatasetError.invalidArgument("batch size \(config.batchSize) and image size \(config.imageSize) must be ≥ 1 and ≥ 8")
    }
    guard !self.sequences.isEmpty else { throw DatasetError.invalidArgument("\(source.location): no sequences to sample") }
    var c = [0]
    for s in self.sequences { c.append(c[c.count - 1] + source.frameCount(sequence: s)) }
    cumulative = c
    if config.useTemporal {
      let longest = self.sequences.map { source.frameCount(sequence: $0) }.max() ?? 0
      guard longest > config.minGap else {
        throw DatasetError.invalidArgument("\(source.location): temporal pairs need sequences longer than \(config.minGap) frames")
      }
    }
    rng = SeededRNG(seed: seed)
  }

  public var state: SamplerState { SamplerState(rng: rng.stateWords, position: position) }

  public func restore(_ s: SamplerState) {
    rng = SeededRNG(state: s.rng)
    position = s.position
  }

  /// Picks the partner frame 3–60 away, the other direction when that side runs out.
  func partner(of t: Int, count: Int) -> Int {
    let maxGap = Swift.min(config.maxGap, count - 1)
    guard maxGap >= config.minGap else { return t }
    let gap = config.minGap + Int(rng.next() % UInt64(maxGap - config.minGap + 1))
    let forward = rng.next() & 1 == 0
    if forward { return t + gap < count ? t + gap : (t - gap >= 0 ? t - gap : t) }
    return t - gap >= 0 ? t - gap : (t + gap < count ? t + gap : t)
  }

  func load(_ s: Int, _ t: Int) throws -> RGBImage {
    try source.frame(sequence: s, index: t, size: config.imageSize)
  }

  public func next() throws -> PairBatch {
    let B = config.batchSize, S = config.imageSize, plane = 3 * S * S
    let pose = Tensor(zeros: [B, 3, S, S]), app = Tensor(zeros: [B, 3, S, S]), target = Tensor(zeros: [B, 3, S, S])
    var origins: [SampleOrigin] = []
    for b in 0..<B {
      let g = Int(rng.next() % UInt64(cumulative[cumulative.count - 1]))
      var k = 0
      while cumulative[k + 1] <= g { k += 1 }
      let s = sequences[k], t = g - cumulative[k]
      let other = config.useTemporal ? partner(of: t, count: source.frameCount(sequence: s)) : t
      let jitter = config.colorJitter.draw(&rng)
      let warp = config.useWarped ? config.tps.draw(size: S, rng: &rng) : nil
      let x = try load(s, t)
      let y = other == t ? x : try load(s, other)
      x.writeNormalized(into: target.data + b * plane)
      jitter.apply(to: x).writeNormalized(into: pose.data + b * plane)
      (warp.map { y.warped(by: $0) } ?? y).writeNormalized(into: app.data + b * plane)
      origins.append(SampleOrigin(sequence: s, frame: t, otherFrame: other))
    }
    position += 1
    return PairBatch(pose: pose, appearance: app, target: target, origins: origins, state: state)
  }
}
