// Interpolation schemes: the Wasserstein geodesic against scipy's closed form, endpoints
// reproduced exactly, every intermediate covariance SPD over many random pairs (including
// near-degenerate ones), extrapolation only where a scheme allows it.
import TensorEngine
import TestSupport
import XCTest

@testable import Dynamics

final class InterpolationTests: XCTestCase {
  /// Pair `i`'s Gaussian from float64 arrays mu [P, 2] and cov [P, 2, 2].
  func gaussian(_ mu: [Double], _ cov: [Double], _ i: Int) -> Gaussian2D {
    Gaussian2D(mx: mu[2 * i], my: mu[2 * i + 1], cov: Sym2(a: cov[4 * i], b: cov[4 * i + 1], d: cov[4 * i + 3]))
  }

  /// Tolerance: the covariance error is measured against the reference's smallest eigenvalue,
  /// max |Δ entry| / λ_min ≤ 1e-7. The fixture exists for near-degenerate pairs (eigenvalue
  /// ratio down to 1e-4, λ_min down to 1e-6): an error of 1e-5 of the largest entry would be 10 %
  /// of λ_min there, a wrong covariance. Inputs and references are float64 and our closed form
  /// runs in float64, so the error is rounding plus scipy's sqrtm: 1.4e-9 of λ_min at worst
  /// (measured); 1e-7 leaves room for that and fails on any real mistake.
  /// Means are linear in α: 1e-12 absolute on coordinates in [-1, 1].
  func testWassersteinMatchesClosedFormFixture() throws {
    let f = try DynamicsFixture("gaussian_interp")
    XCTAssertEqual(f.cases, ["w2"])
    let (ma, mb, ca, cb) = (try f.doubles("w2", "mu_a"), try f.doubles("w2", "mu_b"), try f.doubles("w2", "cov_a"), try f.doubles("w2", "cov_b"))
    let alphas = try f.doubles("w2", "alpha")
    let muT = try f.doubles("w2", "mu_t"), covT = try f.doubles("w2", "cov_t")
    let p = ma.count / 2
    XCTAssertEqual(p, 200, "pairs in the fixture (120 generic, 20 each degenerate, isotropic, identical, commuting)")
    XCTAssertEqual(alphas.count, 7)
    XCTAssertEqual(covT.count, p * alphas.count * 4)
    var worst = (error: 0.0, pair: -1, ratio: 0.0)
    var compared = 0
    for i in 0..<p {
      let a = gaussian(ma, ca, i), b = gaussian(mb, cb, i)
      for (j, t) in alphas.enumerated() {
        let g = InterpolationScheme.wasserstein.interpolate(a, b, alpha: t, floor: 1e-9)
        let k = i * alphas.count + j
        let r = Sym2(a: covT[4 * k], b: covT[4 * k + 1], d: covT[4 * k + 3])
        let (large, small) = r.eigenvalues
        let c = assertClose(
          [g.cov.a, g.cov.b, g.cov.d], [r.a, r.b, r.d], .ofScale(1e-7, scale: small, what: "the reference's smallest eigenvalue"),
          "pair \(i) α \(t) (eigenvalues \(large), \(small))")
        if c.passed && c.worst > worst.error { worst = (c.worst, i, small / large) }
        assertClose([g.mx, g.my], [muT[2 * k], muT[2 * k + 1]], .absolute(1e-12), "pair \(i) α \(t) mean")
        compared += 1
      }
    }
    XCTAssertEqual(compared, 200 * 7)
    print(
      "wasserstein vs closed form: worst error \(worst.error) of λ_min (pair \(worst.pair), eigenvalue ratio \(worst.ratio))"
        + " over \(compared) covariances")
  }

  /// Random pairs: generic, near-degenerate (eigenvalue ratio down to 1e-5), near-isotropic,
  /// identical, and with opposite orientations.
  func randomPairs(_ n: Int) -> [(Tensor, Tensor)] {
    var rng = SeededRNG(seed: 11)
    func state(kind: Int) -> [Float] {
      let angle = Double(rng.uniform(-3.2, 3.2))
      let major = Double(rng.uniform(0.02, 0.4))
      let ratio: Double = kind == 1 ? pow(10, Double(rng.uniform(-5, -2))) : kind == 2 ? 1 + 1e-6 * Double(rng.uniform()) : Double(rng.uniform(0.05, 1))
      let (l1, l2) = (major * major, major * major * ratio)
      let (c, s) = (cos(angle), sin(angle))
      let sigma = Sym2(a: l1 * c * c + l2 * s * s, b: (l1 - l2) * c * s, d: l1 * s * s + l2 * c * c)
      let l = Cholesky2(sigma)
      return [rng.uniform(-1, 1), rng.uniform(-1, 1), Float(l.l11), Float(l.l21), Float(l.l22)]
    }
    return (0..<n).map { i in
      let kind = i % 4
      let a = state(kind: kind)
      let b = kind == 3 ? a : state(kind: kind)
      return (Tensor(a, shape: [5]), Tensor(b, shape: [5]))
    }
  }

  func testEndpointsAreReproducedExactly() throws {
    for (a, b) in randomPairs(50) {
      for scheme in InterpolationScheme.allCases {
        let s = try scheme.states(from: a, to: b, alphas: [0, 1], floor: 1e-4)
        XCTAssertEqual(Array(s.values[0..<5]), a.values, "\(scheme) α = 0")
        XCTAssertEqual(Array(s.values[5..<10]), b.values, "\(scheme) α = 1")
      }
    }
  }

  func testEveryIntermediateCovarianceIsSPD() throws {
    let alphas = (1..<20).map { Double($0) / 20 }
    var checked = 0
    for (a, b) in randomPairs(400) {
      let ga = PoseState.gaussian(a.reshaped([1, 5]), row: 0, landmark: 0, floor: 1e-9)
      let gb = PoseState.gaussian(b.reshaped([1, 5]), row: 0, landmark: 0, floor: 1e-9)
      for scheme in InterpolationScheme.allCases {
        for t in alphas {
          // The scheme's own covariance, before any floor.
          let g = scheme.interpolate(ga, gb, alpha: t, floor: 0)
          XCTAssertTrue(g.cov.isPositiveDefinite, "\(scheme) α \(t): \(g.cov) between \(ga.cov) and \(gb.cov)")
          checked += 1
        }
        let v = Rollout.validity(try scheme.states(from: a, to: b, alphas: alphas, floor: 1e-4), floor: 1e-4)
        XCTAssertTrue(v.isValid, "\(scheme): \(v)")
      }
    }
    XCTAssertEqual(checked, 400 * 4 * 19)
  }

  func testNearEndpointsTheFormulaApproachesTheEndpoints() {
    for (a, b) in randomPairs(40) {
      let ga = PoseState.gaussian(a.reshaped([1, 5]), row: 0, landmark: 0, floor: 1e-9)
      let gb = PoseState.gaussian(b.reshaped([1, 5]), row: 0, landmark: 0, floor: 1e-9)
      for scheme in InterpolationScheme.allCases {
        for (t, g) in [(1e-9, ga), (1 - 1e-9, gb)] {
          let r = scheme.interpolate(ga, gb, alpha: t, floor: 0)
          let scale = max(abs(g.cov.a), abs(g.cov.d))
          XCTAssertEqual(r.cov.a, g.cov.a, accuracy: 1e-6 * scale, "\(scheme) α \(t)")
          XCTAssertEqual(r.cov.b, g.cov.b, accuracy: 1e-6 * scale, "\(scheme) α \(t)")
          XCTAssertEqual(r.cov.d, g.cov.d, accuracy: 1e-6 * scale, "\(scheme) α \(t)")
        }
      }
    }
  }

  func testCholeskySchemeIsLinearInTheState() throws {
    let a = Tensor([0, 0, 0.1, 0, 0.1], shape: [5]), b = Tensor([0.4, -0.2, 0.3, 0.1, 0.05], shape: [5])
    let s = try InterpolationScheme.cholesky.states(from: a, to: b, alphas: [0.25, 1.5], floor: 1e-4)
    let expect: [Float] = [0.1, -0.05, 0.15, 0.025, 0.0875, 0.6, -0.3, 0.4, 0.15, 0.025]
    for (x, e) in zip(s.values, expect) { XCTAssertEqual(x, e, accuracy: 1e-6) }
  }

  func testAxesSchemeTurnsTheShortWay() {
    // Major axes at +80° and −80° are 20° apart through 90°, not 160° through 0°.
    func g(_ deg: Double) -> Gaussian2D {
      let t = deg * .pi / 180, (c, s) = (cos(t), sin(t))
      return Gaussian2D(mx: 0, my: 0, cov: Sym2(a: 0.04 * c * c + 0.01 * s * s, b: 0.03 * c * s, d: 0.04 * s * s + 0.01 * c * c))
    }
    let mid = InterpolationScheme.axes.interpolate(g(80), g(-80), alpha: 0.5, floor: 0)
    let expect = g(90).cov
    XCTAssertEqual(mid.cov.a, expect.a, accuracy: 1e-12)
    XCTAssertEqual(mid.cov.b, expect.b, accuracy: 1e-12)
    XCTAssertEqual(mid.cov.d, expect.d, accuracy: 1e-12)
  }

  func testCovarianceSchemeRefusesExtrapolation() {
    let a = Tensor([0, 0, 0.1, 0, 0.1], shape: [5])
    XCTAssertThrowsError(try InterpolationScheme.covariance.states(from: a, to: a, alphas: [1.2], floor: 1e-4)) { e in
      XCTAssertTrue("\(e)".contains("1.2"), "\(e)")
    }
    for scheme in [InterpolationScheme.cholesky, .axes, .wasserstein] {
      XCTAssertNoThrow(try scheme.states(from: a, to: a, alphas: [1.2, -0.3], floor: 1e-4))
    }
  }

  func testCrossfade() {
    let a = Tensor([0, 1], shape: [1, 2]), b = Tensor([1, -1], shape: [1, 2])
    XCTAssertEqual(PixelCrossfade.frames(from: a, to: b, alphas: [0, 0.25, 1]).values, [0, 1, 0.25, 0.5, 1, -1])
  }
}
