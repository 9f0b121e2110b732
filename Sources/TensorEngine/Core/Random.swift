// Seeded random numbers (so a run is repeatable) and the initializers the model uses.
import Foundation

/// xoshiro256** seeded through SplitMix64: fast, good quality, state savable as four words.
public struct SeededRNG: RandomNumberGenerator {
  public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

  public init(seed: UInt64) {
    var z = seed
    func splitmix() -> UInt64 {
      z &+= 0x9E37_79B9_7F4A_7C15
      var x = z
      x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
      x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
      return x ^ (x >> 31)
    }
    state = (splitmix(), splitmix(), splitmix(), splitmix())
  }

  /// Restores a saved state.
  public init(state: [UInt64]) {
    precondition(state.count == 4, "SeededRNG state needs 4 words")
    self.state = (state[0], state[1], state[2], state[3])
  }

  public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

  public mutating func next() -> UInt64 {
    let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = (state.3 << 45) | (state.3 >> 19)
    return result
  }

  /// Uniform in [0, 1).
  public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / Float(1 << 24)) }

  /// Uniform in [lo, hi).
  public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * uniform() }

  /// Standard normal (Box–Muller).
  public mutating func normal() -> Float {
    let u1 = Swift.max(Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0), 1e-300)
    let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    return Float((-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2))
  }
}

extension Tensor {
  /// Values uniform in [lo, hi).
  public static func uniform(_ shape: [Int], _ lo: Float, _ hi: Float, rng: inout SeededRNG) -> Tensor {
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t.data[i] = rng.uniform(lo, hi) }
    return t
  }

  /// Values from N(0, std²).
  public static func normal(_ shape: [Int], std: Float = 1, rng: inout SeededRNG) -> Tensor {
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t.data[i] = rng.normal() * std }
    return t
  }

  /// Xavier/Glorot uniform for a weight [out, in, ...]: bound = gain·sqrt(6 / (fan_in + fan_out)).
  public static func xavierUniform(_ shape: [Int], gain: Float = 1, rng: inout SeededRNG) -> Tensor {
    precondition(shape.count >= 2, "xavierUniform needs a weight of rank ≥ 2, got \(shape)")
    let receptive = shape.dropFirst(2).reduce(1, *)
    let fanIn = shape[1] * receptive
    let fanOut = shape[0] * receptive
    let bound = gain * (6 / Float(fanIn + fanOut)).squareRoot()
    return uniform(shape, -bound, bound, rng: &rng)
  }
}
