// PSNR and SSIM against scikit-image on real photographs (fixtures: make_metrics_fixtures.py).
import EvalMetrics
import TensorEngine
import TestSupport
import XCTest

final class PSNRSSIMTests: XCTestCase {
  /// PSNR within 1e-3 dB of skimage's peak_signal_noise_ratio at 64 and 128 px.
  func testPSNRMatchesScikitImage() throws {
    for size in [64, 128] {
      let f = try ImageFixture(size: size)
      let scores = psnrDecibels(reference: f.reference, predicted: f.distorted)
      XCTAssertEqual(scores.metric, "psnr")
      XCTAssertEqual(scores.direction, .higherIsBetter)
      let c = assertClose(scores.values, try f.expected("psnr"), .absolute(1e-3), "psnr s\(size)")
      XCTAssertEqual(c.count, ImageFixture.frames, "psnr s\(size): frames compared")
    }
  }

  /// Gaussian SSIM (sigma 1.5, population covariance) within 1e-4 of skimage.
  func testGaussianSSIMMatchesScikitImage() throws {
    for size in [64, 128] {
      let f = try ImageFixture(size: size)
      let scores = ssimSimilarity(reference: f.reference, predicted: f.distorted)
      XCTAssertEqual(scores.metric, "ssim")
      let c = assertClose(scores.values, try f.expected("ssim_gaussian"), .absolute(1e-4), "ssim gaussian s\(size)")
      XCTAssertEqual(c.count, ImageFixture.frames, "ssim_gaussian s\(size): frames compared")
    }
  }

  /// scikit-image's default SSIM (7×7 uniform, sample covariance) within 1e-4.
  func testUniformSSIMMatchesScikitImage() throws {
    for size in [64, 128] {
      let f = try ImageFixture(size: size)
      let scores = ssimSimilarity(reference: f.reference, predicted: f.distorted, window: .skimageDefault)
      XCTAssertEqual(scores.metric, "ssim-uniform")
      let c = assertClose(scores.values, try f.expected("ssim_uniform"), .absolute(1e-4), "ssim uniform s\(size)")
      XCTAssertEqual(c.count, ImageFixture.frames, "ssim_uniform s\(size): frames compared")
    }
  }

  /// Identical frames: SSIM 1, PSNR +∞; results do not depend on how frames are split over cores.
  func testIdentityAndBatchIndependence() throws {
    let f = try ImageFixture(size: 64)
    let same = ssimSimilarity(reference: f.reference, predicted: f.reference).values
    assertClose(same, [Double](repeating: 1, count: ImageFixture.frames), .absolute(1e-6), "SSIM of identical frames")
    let psnr = psnrDecibels(reference: f.reference, predicted: f.reference).values
    XCTAssertEqual(psnr, [Double](repeating: .infinity, count: ImageFixture.frames), "PSNR of identical frames")
    let all = ssimSimilarity(reference: f.reference, predicted: f.distorted).values
    let one = ssimSimilarity(
      reference: Tensor(Array(f.reference.values.prefix(3 * 64 * 64)), shape: [1, 3, 64, 64]),
      predicted: Tensor(Array(f.distorted.values.prefix(3 * 64 * 64)), shape: [1, 3, 64, 64])
    ).values
    XCTAssertEqual(one[0], all[0], accuracy: 1e-12)
  }

  /// Odd sizes exercise the scalar tails of the SIMD loops (compared with an O(n·w²) direct sum).
  func testOddSizeMatchesDirectComputation() {
    var rng = SystemRandomNumberGenerator()
    let (h, w) = (23, 29)
    let a = (0..<(h * w)).map { _ in Float.random(in: 0...1, using: &rng) }
    let b = a.map { Swift.min(1, Swift.max(0, $0 + Float.random(in: -0.2...0.2, using: &rng))) }
    let got = ssimSimilarity(
      reference: Tensor(a, shape: [1, 1, h, w]), predicted: Tensor(b, shape: [1, 1, h, w]), window: .skimageDefault
    ).values[0]
    XCTAssertEqual(got, directUniformSSIM(a.map(Double.init), b.map(Double.init), h: h, w: w), accuracy: 1e-5)
  }

  private func directUniformSSIM(_ x: [Double], _ y: [Double], h: Int, w: Int) -> Double {
    let r = 3, np = 49.0
    var total = 0.0
    for i in r..<(h - r) {
      for j in r..<(w - r) {
        var (mx, my, mxx, myy, mxy) = (0.0, 0.0, 0.0, 0.0, 0.0)
        for di in -r...r {
          for dj in -r...r {
            let p = (i + di) * w + j + dj
            mx += x[p] / np
            my += y[p] / np
            mxx += x[p] * x[p] / np
            myy += y[p] * y[p] / np
            mxy += x[p] * y[p] / np
          }
        }
        let cn = np / (np - 1)
        let (vx, vy, vxy) = (cn * (mxx - mx * mx), cn * (myy - my * my), cn * (mxy - mx * my))
        let (c1, c2) = (1e-4, 9e-4)
        total += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
      }
    }
    return total / Double((h - 2 * r) * (w - 2 * r))
  }
}
