// Training pairs (DESIGN §2): pose branch T_cj(x), appearance branch T_tps(x) and/or T_temp(x),
// target x; batches [B, 3, S, S] in [-1, 1]. Deterministic given the seed; resumable from
// `state` (RNG words + position). All randomness of a batch is drawn from one RNG in item order.
import ConfigSchema
import Foundation
import Imaging
import TensorEngine

/// The pair sampler's config section (DESIGN §2 "Training pairs"): batch size, which
/// transforms the appearance branch sees, the color-jitter and thin-plate-spline ranges, and
/// horizontal flips. The reference's values are the defaults.
public struct PairSamplerConfig: ConfigSection {
  public var batchSize = 16
  /// `use_warped`: TPS-warp the appearance image.
  public var useWarped = false
  /// `use_temporal`: the appearance image is another frame of the video (then warped if useWarped).
  public var useTemporal = true
  public var temporalMinGap = 3
  public var temporalMaxGap = 60
  /// Color jitter of the pose branch's input.
  public var colorJitter = true
  public var brightness = 0.4
  public var contrast = 0.4
  public var saturation = 0.4
  public var hue = 0.3
  /// Thin-plate-spline warp: control grid, margin and jitter in pixels, and the draw ranges.
  public var tpsGrid = 10
  public var tpsMargin = 10
  public var tpsJitter = 2.0
  public var transLb = -10.0
  public var transUb = 10.0
  public var scaleLb = 1.05
  public var scaleUb = 1.15
  public var rotLb = -Double.pi / 8
  public var rotUb = Double.pi / 8
  /// Chance that a sample (its frame and partner) is mirrored left–right.
  public var flipProbability = 0.0

  public init() {}

  public init(batchSize: Int, useWarped: Bool, useTemporal: Bool) {
    self.batchSize = batchSize
    self.useWarped = useWarped
    self.useTemporal = useTemporal
  }

  public static let sectionName = "pairs"
  public static let reader = "Datasets.PairSampler"
  public static let fields: [ConfigField<PairSamplerConfig>] = [
    .int("batch_size", \.batchSize, 1...4096, "batch size"),
    .bool("use_warped", \.useWarped, "appearance branch sees a thin-plate-spline warp"),
    .bool("use_temporal", \.useTemporal, "appearance branch sees another frame of the video"),
    .int("temporal_min_gap", \.temporalMinGap, 1...10_000, "nearest frame distance for temporal pairs"),
    .int("temporal_max_gap", \.temporalMaxGap, 1...10_000, "farthest frame distance for temporal pairs"),
    .bool("color_jitter", \.colorJitter, "color-jitter the pose branch's input"),
    .double("brightness", \.brightness, 0...1, "color jitter brightness"),
    .double("contrast", \.contrast, 0...1, "color jitter contrast"),
    .double("saturation", \.saturation, 0...1, "color jitter saturation"),
    .double("hue", \.hue, 0...0.5, "color jitter hue"),
    .int("tps_grid", \.tpsGrid, 2...64, "TPS control grid size per axis"),
    .int("tps_margin", \.tpsMargin, 0...512, "TPS control grid margin in pixels"),
    .double("tps_jitter", \.tpsJitter, 0...64, "TPS per-point jitter in pixels"),
    .double("trans_lb", \.transLb, -512...512, "TPS translation lower bound (pixels)"),
    .double("trans_ub", \.transUb, -512...512, "TPS translation upper bound (pixels)"),
    .double("scale_lb", \.scaleLb, 0.1...10, "TPS scale lower bound"),
    .double("scale_ub", \.scaleUb, 0.1...10, "TPS scale upper bound"),
    .double("rot_lb", \.rotLb, -Double.pi...Double.pi, "TPS rotation lower bound (radians)"),
    .double("rot_ub", \.rotUb, -Double.pi...Double.pi, "TPS rotation upper bound (radians)"),
    .double("flip_probability", \.flipProbability, 0...1, "chance a sample is mirrored left-right"),
  ]

  public func problems() -> [String] {
    var p: [String] = []
    if transLb > transUb { p.append("trans_lb (\(transLb)) must not exceed trans_ub (\(transUb))") }
    if scaleLb > scaleUb { p.append("scale_lb (\(scaleLb)) must not exceed scale_ub (\(scaleUb))") }
    if rotLb > rotUb { p.append("rot_lb (\(rotLb)) must not exceed rot_ub (\(rotUb))") }
    if temporalMinGap > temporalMaxGap {
      p.append("temporal_min_gap (\(temporalMinGap)) must not exceed temporal_max_gap (\(temporalMaxGap))")
    }
    return p
  }

  /// The pose branch's color jitter (all factors 0 when `color_jitter` is off).
  public var jitter: ColorJitter {
    colorJitter
      ? ColorJitter(brightness: Float(brightness), contrast: Float(contrast), saturation: Float(saturation), hue: Float(hue))
      : ColorJitter(brightness: 0, contrast: 0, saturation: 0, hue: 0)
  }

  /// The appearance branch's thin-plate-spline warp.
  public var tps: TPSWarp {
    var t = TPSWarp()
    t.gridSize = tpsGrid
    t.margin = Double(tpsMargin)
    t.jitter = tpsJitter
    t.translation = transLb...transUb
    t.scaleRange = scaleLb...scaleUb
    t.rotation = rotLb...rotUb
    return t
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
  /// S: frames are resized (centre-cropped if not square) to S×S.
  public let imageSize: Int
  public let sequences: [Int]
  private let jitter: ColorJitter
  private let tps: TPSWarp
  private var rng: SeededRNG
  private var position = 0
  private let cumulative: [Int]  // frames before each listed sequence

  /// Samples frames of `sequences` (all, if nil) uniformly.
  public init(
    source: VideoSource, sequences: [Int]? = nil, config: PairSamplerConfig = .init(), imageSize: Int, seed: UInt64
  ) throws {
    self.source = source
    self.config = config
    self.imageSize = imageSize
    self.sequences = sequences ?? Array(0..<source.sequenceCount)
    guard config.batchSize >= 1, imageSize >= 8 else {
      throw DatasetError.invalidArgument("batch size \(config.batchSize) and image size \(imageSize) must be ≥ 1 and ≥ 8")
    }
    if let p = config.violations().first { throw DatasetError.invalidArgument("pair sampler: \(p)") }
    jitter = config.jitter
    tps = config.tps
    guard !self.sequences.isEmpty else { throw DatasetError.invalidArgument("\(source.location): no sequences to sample") }
    var c = [0]
    for s in self.sequences { c.append(c[c.count - 1] + source.frameCount(sequence: s)) }
    cumulative = c
    if config.useTemporal {
      let longest = self.sequences.map { source.frameCount(sequence: $0) }.max() ?? 0
      guard longest > config.temporalMinGap else {
        throw DatasetError.invalidArgument(
          "\(source.location): temporal pairs need sequences longer than \(config.temporalMinGap) frames")
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
    let minGap = config.temporalMinGap, maxGap = Swift.min(config.temporalMaxGap, count - 1)
    guard maxGap >= minGap else { return t }
    let gap = minGap + Int(rng.next() % UInt64(maxGap - minGap + 1))
    let forward = rng.next() & 1 == 0
    if forward { return t + gap < count ? t + gap : (t - gap >= 0 ? t - gap : t) }
    return t - gap >= 0 ? t - gap : (t + gap < count ? t + gap : t)
  }

  func load(_ s: Int, _ t: Int) throws -> RGBImage {
    try source.frame(sequence: s, index: t, size: imageSize)
  }

  public func next() throws -> PairBatch {
    let B = config.batchSize, S = imageSize, plane = 3 * S * S
    let pose = Tensor(zeros: [B, 3, S, S]), app = Tensor(zeros: [B, 3, S, S]), target = Tensor(zeros: [B, 3, S, S])
    var origins: [SampleOrigin] = []
    for b in 0..<B {
      let g = Int(rng.next() % UInt64(cumulative[cumulative.count - 1]))
      var k = 0
      while cumulative[k + 1] <= g { k += 1 }
      let s = sequences[k], t = g - cumulative[k]
      let other = config.useTemporal ? partner(of: t, count: source.frameCount(sequence: s)) : t
      let jitter = self.jitter.draw(&rng)
      let warp = config.useWarped ? tps.draw(size: S, rng: &rng) : nil
      // Drawn only when flips are on, so a run without them keeps the same random stream.
      let flip = config.flipProbability > 0 && Double(rng.uniform()) < config.flipProbability
      var x = try load(s, t)
      var y = other == t ? x : try load(s, other)
      if flip {
        x = x.flippedHorizontally()
        y = other == t ? x : y.flippedHorizontally()
      }
      x.writeNormalized(into: target.data + b * plane)
      jitter.apply(to: x).writeNormalized(into: pose.data + b * plane)
      (warp.map { y.warped(by: $0) } ?? y).writeNormalized(into: app.data + b * plane)
      origins.append(SampleOrigin(sequence: s, frame: t, otherFrame: other))
    }
    position += 1
    return PairBatch(pose: pose, appearance: app, target: target, origins: origins, state: state)
  }
}
