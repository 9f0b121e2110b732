// The fused normalization ops (FusedNorm.swift): finite-difference gradients, bit-for-bit
// agreement with the unfused composition (forward and every gradient), and what they keep.
import XCTest

@testable import TensorEngine

final class FusedNormTests: XCTestCase {
  override func tearDown() { FusedOps.enabled = true }

  static let activations: [NormActivation] = [.none, .relu, .leakyRelu(0.2)]

  func testFiniteDifferenceGradients() {
    for act in Self.activations {
      gradCheck("instance_norm \(act)", [randn([2, 3, 5, 4], seed: 15)]) { $0[0].instanceNorm(activation: act) }
      // γ, β of the size SPADE's convs make; values kept off the activation's kink by the seed.
      gradCheck(
        "spade_modulation \(act)",
        [randn([2, 3, 5, 4], seed: 16), randn([2, 3, 5, 4], seed: 17, scale: 0.5), randn([2, 3, 5, 4], seed: 18)]
      ) { Tensor.spadeModulation($0[0], gamma: $0[1], beta: $0[2], activation: act) }
    }
  }

  /// Output and input gradients of `f` with the fused ops on and off, as bit patterns.
  func fusedAndUnfused(_ inputs: [Tensor], seed: UInt64, _ f: ([Tensor]) -> Tensor) -> [[[UInt32]]] {
    [true, false].map { fused in
      FusedOps.enabled = fused
      let xs = inputs.map { t -> Tensor in
        let c = t.copy()
        c.requiresGrad = true
        return c
      }
      let y = f(xs)
      y.backward(randn(y.shape, seed: seed))
      return [y.values.map(\.bitPattern)] + xs.map { $0.grad!.values.map(\.bitPattern) }
    }
  }

  func testBitForBitTheUnfusedComposition() {
    // Plane sizes with and without an 8-lane tail, one large enough to split over workers; a
    // large mean offset (the double statistics); x normalized twice as SPADE's norm_0 and norm_s
    // do, so the gradients meet in a sum.
    for (shape, seed) in [([2, 3, 4, 4], 1), ([3, 2, 5, 3], 2), ([4, 16, 32, 32], 3)] as [([Int], UInt64)] {
      let x = randn(shape, seed: seed, scale: 2, shift: 30)
      let gamma = randn(shape, seed: seed + 10, scale: 0.5)
      let beta = randn(shape, seed: seed + 20)
      for act in Self.activations {
        let norm = fusedAndUnfused([x], seed: seed + 30) { $0[0].instanceNorm(activation: act) }
        XCTAssertEqual(norm[0], norm[1], "instance_norm \(act) \(shape): fused vs unfused bits")
        let spade = fusedAndUnfused([x, gamma, beta], seed: seed + 40) { t in
          let a = Tensor.spadeModulation(t[0], gamma: t[1], beta: t[2], activation: act)
          let b = Tensor.spadeModulation(t[0], gamma: t[2], beta: t[1], activation: .none)
          return a * 2 + b
        }
        XCTAssertEqual(spade[0], spade[1], "spade_modulation \(act) \(shape): fused vs unfused bits")
      }
    }
  }

  func testTheFusedOpsKeepTheInputStatisticsAndMaskOnly() {
    // After the forward pass the graph holds, beside what the test holds (x, γ, β, the output),
    // each plane's mean and 1/std and, with an activation, one bit per element: no normalized
    // or modulated map.
    let shape = [2, 4, 16, 16]
    let x = randn(shape, seed: 1)
    let gamma = randn(shape, seed: 2)
    let beta = randn(shape, seed: 3)
    for t in [x, gamma, beta] { t.requiresGrad = true }
    let (count, planes) = (x.count, 8)
    for act in Self.activations {
      var live = MemoryStats.liveBytes
      let y1 = Tensor.spadeModulation(x, gamma: gamma, beta: beta, activation: act)
      let mask = act == .none ? 0 : count / 8
      XCTAssertEqual(MemoryStats.liveBytes - live, 4 * count + 8 * planes + mask, "spade_modulation \(act)")
      y1.sum().backward()
      live = MemoryStats.liveBytes
      let y2 = x.instanceNorm(activation: act)
      // Without an activation it is plain instanceNorm (keeps its output and 1/std).
      let kept = act == .none ? 4 * count + 4 * planes : 4 * count + 8 * planes
      XCTAssertEqual(MemoryStats.liveBytes - live, kept, "instance_norm \(act)")
      y2.sum().backward()
    }
  }
}
