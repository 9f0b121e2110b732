// The synthetic articulated figure: per-appearance looks (colours, clothing pattern, static
// textured background, proportions) and per-sequence smooth periodic joint motion with slow
// global drift. All lengths are fractions of the frame size S; positions come out in pixels
// (pixel centres at integers, x = column, y = row).
import Foundation
import TensorEngine
import Imaging

/// Keypoint names, in CSV order (the BBC Pose upper-body joints).
public let figureKeypointNames = ["head", "shoulder_l", "shoulder_r", "elbow_l", "elbow_r", "wrist_l", "wrist_r"]

/// Mixes words into a seed (SplitMix64 finalizer per word).
func mixSeed(_ words: UInt64...) -> UInt64 {
  var h: UInt64 = 0x51_7CC1_B727_220A
  for w in words {
    h ^= w &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)
    h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
    h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
    h ^= h >> 31
  }
  return h
}

/// How one person looks: identical for every sequence of that appearance.
public struct FigureAppearance: Equatable, Sendable {
  public var skin: RGBColor, hair: RGBColor
  public var shirt: RGBColor, stripe: RGBColor
  public var stripeAngle: Float, stripePeriod: Float  // radians, fraction of S
  /// Upper arm and forearm colours, left then right.
  public var upperArm: [RGBColor], forearm: [RGBColor]
  public var background: [RGBColor]  // two base colours
  public var backgroundWaves: [Float]  // 2 waves × (kx, ky, phase) in cycles per S
  public var blobs: [Float]  // 6 blobs × (x, y, radius, r, g, b, opacity)
  public var bodyScale: Float, shoulderWidth: Float

  public init(seed: UInt64, id: Int) {
    var rng = SeededRNG(seed: mixSeed(seed, 0xA11E, UInt64(id)))
    let skins: [RGBColor] = [RGBColor(0.96, 0.80, 0.69), RGBColor(0.87, 0.67, 0.52), RGBColor(0.73, 0.53, 0.38),
      RGBColor(0.55, 0.38, 0.26), RGBColor(0.38, 0.26, 0.18)]
    let s = skins[Int(rng.next() % UInt64(skins.count))]
    let j = rng.uniform(-0.04, 0.04)
    skin = RGBColor(s.r + j, s.g + j, s.b + j)
    hair = RGBColor.hsv(rng.uniform(0.02, 0.12), rng.uniform(0.3, 0.8), rng.uniform(0.08, 0.5))
    // Limb hues spread round the wheel from a random start so the parts stay distinguishable.
    let h0 = rng.uniform()
    shirt = .hsv(h0, rng.uniform(0.55, 0.9), rng.uniform(0.55, 0.95))
    stripe = .hsv(h0 + rng.uniform(0.35, 0.65), rng.uniform(0.3, 0.9), rng.uniform(0.3, 1))
    stripeAngle = rng.uniform(0, Float.pi)
    stripePeriod = rng.uniform(0.06, 0.12)
    upperArm = [.hsv(h0 + 0.2, rng.uniform(0.7, 1), rng.uniform(0.7, 1)), .hsv(h0 + 0.4, rng.uniform(0.7, 1), rng.uniform(0.7, 1))]
    forearm = [.hsv(h0 + 0.6, rng.uniform(0.7, 1), rng.uniform(0.6, 0.9)), .hsv(h0 + 0.8, rng.uniform(0.7, 1), rng.uniform(0.6, 0.9))]
    let bh = rng.uniform()
    background = [.hsv(bh, rng.uniform(0.05, 0.3), rng.uniform(0.25, 0.75)), .hsv(bh + rng.uniform(-0.15, 0.15), rng.uniform(0.05, 0.3), rng.uniform(0.25, 0.75))]
    backgroundWaves = (0..<2).flatMap { _ in [rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0, 2 * Float.pi)] }
    blobs = (0..<6).flatMap { _ in
      [rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.15), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.5)]
    }
    bodyScale = rng.uniform(0.92, 1.08)
    shoulderWidth = rng.uniform(0.12, 0.15)
  }
}

/// Joint angles as smooth periodic functions of time plus a slow global drift.
public struct FigureMotion: Equatable, Sendable {
  /// Per channel: base + Σ_k amp_k sin(2π t / period_k + phase_k); channels: shoulder l/r,
  /// elbow l/r, head tilt, torso lean, drift x, drift y.
  var base: [Float], amps: [[Float]], periods: [[Float]], phases: [[Float]]

  public init(seed: UInt64, sequence: Int) {
    var rng = SeededRNG(seed: mixSeed(seed, 0x0A7E, UInt64(sequence)))
    let bases: [ClosedRange<Float>] = [0.2...0.8, 0.2...0.8, 0.7...1.5, 0.7...1.5, -0.1...0.1, -0.06...0.06, -0.06...0.06, -0.03...0.03]
    let ampMax: [Float] = [0.45, 0.45, 0.6, 0.6, 0.12, 0.06, 0.06, 0.03]
    let periodRange: [ClosedRange<Float>] = Array(repeating: 24...70, count: 6) + [120...260, 120...260]
    base = bases.map { rng.uniform($0.lowerBound, $0.upperBound) }
    amps = ampMax.map { m in [rng.uniform(0.4, 1) * m, rng.uniform(0, 0.5) * m] }
    periods = periodRange.map { r in [rng.uniform(r.lowerBound, r.upperBound), rng.uniform(r.lowerBound, r.upperBound) * 0.55] }
    phases = (0..<8).map { _ in [rng.uniform(0, 2 * Float.pi), rng.uniform(0, 2 * Float.pi)] }
  }

  public func value(_ channel: Int, at t: Float) -> Float {
    var v = base[channel]
    for k in 0..<2 { v += amps[channel][k] * sin(2 * Float.pi * t / periods[channel][k] + phases[channel][k]) }
    return v
  }
}

/// Joint positions of one frame, in pixels.
public struct FigurePose: Sendable {
  public var neck: SIMD2<Float>, head: SIMD2<Float>
  public var shoulder: [SIMD2<Float>], elbow: [SIMD2<Float>], wrist: [SIMD2<Float>], hand: [SIMD2<Float>]
  public var torsoCentre: SIMD2<Float>, torsoAngle: Float, headTilt: Float
  /// Pixel sizes.
  public var torsoHalf: SIMD2<Float>, headRadius: Float, upperWidth: Float, foreWidth: Float, handRadius: Float

  /// Keypoints in `figureKeypointNames` order.
  public var keypoints: [SIMD2<Float>] { [head, shoulder[0], shoulder[1], elbow[0], elbow[1], wrist[0], wrist[1]] }

  public init(appearance a: FigureAppearance, motion m: FigureMotion, frame t: Int, size: Int) {
    let S = Float(size), k = a.bodyScale * S, tf = Float(t)
    let drift = SIMD2<Float>(m.value(6, at: tf), m.value(7, at: tf)) * S
    torsoAngle = m.value(5, at: tf)
    headTilt = m.value(4, at: tf)
    torsoHalf = SIMD2(a.shoulderWidth * 0.95, 0.2) * k
    torsoCentre = SIMD2(0.5 * (S - 1), 0.5 * (S - 1) + 0.2 * S) + drift
    let up = SIMD2<Float>(sin(torsoAngle), -cos(torsoAngle))  // torso axis, pointing to the head
    let side = SIMD2<Float>(cos(torsoAngle), sin(torsoAngle))
    neck = torsoCentre + up * (torsoHalf.y - 0.01 * k)
    headRadius = 0.085 * k
    let headDir = SIMD2<Float>(sin(torsoAngle + headTilt), -cos(torsoAngle + headTilt))
    head = neck + headDir * (0.03 * k + headRadius)
    upperWidth = 0.075 * k
    foreWidth = 0.062 * k
    handRadius = 0.045 * k
    let upperLen = 0.17 * k, foreLen = 0.15 * k
    shoulder = []; elbow = []; wrist = []; hand = []
    for s in 0..<2 {
      let sign: Float = s == 0 ? -1 : 1  // 0: image left, 1: image right
      let sh = neck - up * (0.035 * k) + side * (sign * a.shoulderWidth * k)
      let theta = m.value(s, at: tf), phi = Swift.min(Swift.max(m.value(2 + s, at: tf), 0.05), 2.6)
      // Angles from "straight down the torso axis", positive outward; the forearm bends inward.
      func dir(_ ang: Float) -> SIMD2<Float> { -up * cos(ang) + side * (sign * sin(ang)) }
      let el = sh + dir(theta) * upperLen
      let wr = el + dir(theta - phi) * foreLen
      shoulder.append(sh); elbow.append(el); wrist.append(wr)
      hand.append(wr + dir(theta - phi) * (handRadius * 0.6))
    }
  }
}
