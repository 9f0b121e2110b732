// PoseState: (μ, Σ) ↔ (μx, μy, L11, L21, L22) round trips, and the decoding floor keeps every
// covariance positive definite whatever the state holds.
import TensorEngine
import XCTest

@testable import Dynamics

final class PoseStateTests: XCTestCase {
  func testRoundTripOfRandomCovariances() {
    var rng = SeededRNG(seed: 3)
    let (b, k) = (4, 7)
    var mu = [Float](), cov = [Float]()
    for _ in 0..<(b * k) {
      let (l11, l21, l22) = (rng.uniform(0.02, 0.3), rng.uniform(-0.2, 0.2), rng.uniform(0.02, 0.3))
      mu += [rng.uniform(-1, 1), rng.uniform(-1, 1)]
      cov += [l11 * l11, l11 * l21, l11 * l21, l21 * l21 + l22 * l22]
    }
    let m = Tensor(mu, shape: [b, k, 2]), c = Tensor(cov, shape: [b, k, 2, 2])
    let s = PoseState.encode(mu: m, covariance: c)
    XCTAssertEqual(s.shape, [b, k * 5])
    let (m2, c2) = PoseState.decode(s, floor: 1e-4)
    XCTAssertEqual(m2.values, m.values)  // means are copied
    for i in 0..<c.count { XCTAssertEqual(c2.data[i], c.data[i], accuracy: 2e-6 * max(1, abs(c.data[i]))) }
  }

  func testKnownFactor() {
    // Σ = [[4, 2], [2, 5]] → L = [[2, 0], [1, 2]].
    let s = PoseState.encode(mu: Tensor([0.5, -0.25], shape: [1, 1, 2]), covariance: Tensor([4, 2, 2, 5], shape: [1, 1, 2, 2]))
    XCTAssertEqual(s.values, [0.5, -0.25, 2, 1, 2])
  }

  func testFloorKeepsEveryDecodedCovarianceDefinite() {
    // Degenerate and negative diagonals, as a predictor or an extrapolation can produce them.
    let states: [Float] = [0, 0, 0, 0, 0, 0, 0, -0.5, 3, -0.1, 0, 0, 1e-9, 1e3, 1e-9]
    let (_, cov) = PoseState.decode(Tensor(states, shape: [3, 5]), floor: 1e-3)
    for i in 0..<3 {
      let c = cov.data + 4 * i
      let s = Sym2(a: Double(c[0]), b: Double(c[1]), d: Double(c[3]))
      XCTAssertTrue(s.isPositiveDefinite, "row \(i): \(s)")
      XCTAssertEqual(c[1], c[2])
    }
  }

  func testMeanErrorInPixels() {
    // One landmark 0.1 off in x at 64 px: 0.1 · 32 = 3.2 px; the other exact.
    let a = Tensor([0.1, 0, 0.1, 0, 0.1, 0.5, 0.5, 0.1, 0, 0.1], shape: [1, 10])
    let b = Tensor([0, 0, 0.1, 0, 0.1, 0.5, 0.5, 0.1, 0, 0.1], shape: [1, 10])
    XCTAssertEqual(PoseState.meanErrorPixels(a, b, imageSize: 64)[0], 1.6, accuracy: 1e-5)
  }
}
