// The Winograd path's error against float64 on the 3×3 stride-1 shapes of ref-64 and the demo
// (8–64 px, 16–256 channels), beside today's path (direct or im2col + sgemm) on the same data.
// Error = max |ours − float64| / max |float64| over sampled elements (the fixtures' `.scaled`
// measure), and the largest absolute error. The float64 reference is computed only at the
// sampled elements, so large shapes stay cheap. Inputs are N(0, 1), weights N(0, 1/(9C)) (the
// scale Xavier init gives), output gradients N(0, 1).
import CKernels
import TestSupport
import XCTest

@testable import TensorEngine

/// The stated bound: F(2×2, 3×3)'s transforms add a few roundings per element; measured
/// errors are 1–4e-7, like the other paths; fixtures use 1e-5.
let winogradErrorBound = 2e-6

final class WinogradErrorTests: XCTestCase {
  override func tearDown() { convWinograd = .auto }

  /// (C, O, H=W): ref-64's and the demo's 3×3 stride-1 shapes (pose U-Net, SPADE blocks and
  /// their SPADE convs, VGG) spread over 8–64 px and 16–256 channels.
  static let shapes = [
    (16, 16, 64), (32, 32, 64), (64, 64, 64), (64, 32, 64), (16, 32, 32), (128, 64, 32), (128, 128, 32),
    (64, 128, 32), (24, 24, 32), (256, 128, 16), (256, 256, 16), (48, 48, 16), (128, 256, 8), (256, 256, 8),
    (96, 96, 8), (512, 512, 8),
  ]

  func testErrorAgainstFloat64PerShape() {
    print("winograd error vs float64 (scaled = max|err|/max|ref|; today's path in brackets)")
    print("   C    O   HxW   fwd scaled (today)     gx scaled (today)      gw scaled (today)      max abs fwd/gx/gw")
    for (c, o, s) in Self.shapes {
      let n = 2
      let x = randn([n, c, s, s], seed: 61)
      let w = randn([o, c, 3, 3], seed: 62, scale: Float(1 / (9 * Double(c)).squareRoot()))
      let b = randn([o], seed: 63, scale: 0.1)
      let gout = randn([n, o, s, s], seed: 64)
      let ref = SampledConvReference(x: x, w: w, b: b, gout: gout, pad: 1, samples: 300)
      var rows: [[(scaled: Double, abs: Double)]] = []
      for mode in [WinogradChoice.on, .off] {
        convWinograd = mode
        let xi = x.copy()
        xi.requiresGrad = true
        let wi = w.copy()
        wi.requiresGrad = true
        let y = Tensor.conv2d(xi, weight: wi, bias: b, stride: 1, padding: 1)
        y.backward(gout)
        rows.append([ref.forwardError(y), ref.inputGradError(xi.grad!), ref.weightGradError(wi.grad!)])
      }
      let (wino, today) = (rows[0], rows[1])
      print(
        String(
          format: "%4d %4d %3dx%-3d  %.2e (%.2e)    %.2e (%.2e)    %.2e (%.2e)    %.1e/%.1e/%.1e", c, o, s, s,
          wino[0].scaled, today[0].scaled, wino[1].scaled, today[1].scaled, wino[2].scaled, today[2].scaled,
          wino[0].abs, wino[1].abs, wino[2].abs))
      for (k, name) in ["forward", "input gradient", "weight gradient"].enumerated() {
        XCTAssertLessThanOrEqual(wino[k].scaled, winogradErrorBound, "C\(c) O\(o) \(s)px winograd \(name)")
        XCTAssertFalse(wino[k].scaled.isNaN, "C\(c) O\(o) \(s)px winograd \(name) is NaN")
      }
    }
  }
}

/// A float64 conv (3×3, stride 1, `pad`) evaluated at sampled elements of the output, the input
/// gradient and the weight gradient.
struct SampledConvReference {
  let x, w, b, gout: Tensor
  let pad: Int
  let (n, c, h, wd, o, ho, wo): (Int, Int, Int, Int, Int, Int, Int)
  let samples: Int

  init(x: Tensor, w: Tensor, b: Tensor, gout: Tensor, pad: Int, samples: Int) {
    (self.x, self.w, self.b, self.gout, self.pad, self.samples) = (x, w, b, gout, pad, samples)
    (n, c, h, wd, o) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], w.shape[0])
    (ho, wo) = (h + 2 * pad - 2, wd + 2 * pad - 2)
  }

  /// Evenly spread sample indices over [0, count), odd strides so they hit every position class.
  func indices(_ count: Int) -> [Int] {
    let step = Swift.max(1, count / samples) | 1
    return Array(Swift.stride(from: 0, to: count, by: step))
  }

  func error(_ ours: Tensor, _ indices: [Int], _ exact: (Int) -> Double) -> (scaled: Double, abs: Double) {
    var (maxErr, maxRef) = (0.0, 0.0)
    for i in indices {
      let e = exact(i)
      let d = Swift.abs(Double(ours.data[i]) - e)
      if d.isNaN { return (.nan, .nan) }
      maxErr = Swift.max(maxErr, d)
      maxRef = Swift.max(maxRef, Swift.abs(e))
    }
    return (maxErr / Swift.max(maxRef, 1e-30), maxErr)
  }

  func forwardError(_ y: Tensor) -> (scaled: Double, abs: Double) {
    error(y, indices(y.count)) { i in
      let (xo, yo, oc, ni) = (i % wo, (i / wo) % ho, (i / (wo * ho)) % o, i / (wo * ho * o))
      var s = Double(b.data[oc])
      for ci in 0..<c {
        for ky in 0..<3 {
          let yi = yo + ky - pad
          guard yi >= 0 && yi < h else { continue }
          for kx in 0..<3 {
            let xi = xo + kx - pad
            guard xi >= 0 && xi < wd else { continue }
            s += Double(w.data[((oc * c + ci) * 3 + ky) * 3 + kx]) * Double(x.data[((ni * c + ci) * h + yi) * wd + xi])
          }
        }
      }
      return s
    }
  }

  func inputGradError(_ gx: Tensor) -> (scaled: Double, abs: Double) {
    error(gx, indices(gx.count)) { i in
      let (xi, yi, ci, ni) = (i % wd, (i / wd) % h, (i / (wd * h)) % c, i / (wd * h * c))
      var s = 0.0
      for oc in 0..<o {
        for ky in 0..<3 {
          let yo = yi - ky + pad
          guard yo >= 0 && yo < ho else { continue }
          for kx in 0..<3 {
            let xo = xi - kx + pad
            guard xo >= 0 && xo < wo else { continue }
            s += Double(w.data[((oc * c + ci) * 3 + ky) * 3 + kx]) * Double(gout.data[((ni * o + oc) * ho + yo) * wo + xo])
          }
        }
      }
      return s
    }
  }

  func weightGradError(_ gw: Tensor) -> (scaled: Double, abs: Double) {
    error(gw, indices(gw.count)) { i in
      let (kx, ky, ci, oc) = (i % 3, (i / 3) % 3, (i / 9) % c, i / (9 * c))
      var s = 0.0
      for ni in 0..<n {
        for yo in 0..<ho {
          let yi = yo + ky - pad
          guard yi >= 0 && yi < h else { continue }
          for xo in 0..<wo {
            let xi = xo + kx - pad
            guard xi >= 0 && xi < wd else { continue }
            s += Double(gout.data[((ni * o + oc) * ho + yo) * wo + xo]) * Double(x.data[((ni * c + ci) * h + yi) * wd + xi])
          }
        }
      }
      return s
    }
  }
}
