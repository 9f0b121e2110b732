// The Winograd paths' error against float64 on the 3×3 stride-1 shapes of ref-64 and the demo
// (8–64 px, 16–512 channels), F(2×2) and F(4×4) beside today's path (direct or im2col + sgemm)
// on the same data; and F(4×4) per pass on small ragged shapes against every float64 element,
// which a wrong entry of any transform matrix fails by orders of magnitude.
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

/// F(4×4, 3×3)'s transforms carry constants up to 8 (A) and 5 (B) and the points ±2, so its
/// rounding is larger and grows with the channel count: measured 1.0–13·10⁻⁶ on the shapes
/// below (forward 1.9–12.9·10⁻⁶, the largest at 512 → 512 on 8 px), about 10× F(2×2)'s; the
/// conv fixtures (few channels) still pass at 1e-5.
let winogradF4ErrorBound = 3e-5

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
    print("winograd error vs float64 (scaled = max|err|/max|ref|): F(2x2) / F(4x4) / today's path")
    print("   C    O   HxW   fwd scaled F2 / F4 / today       gx scaled F2 / F4 / today        gw scaled F2 / F4 / today")
    for (c, o, s) in Self.shapes {
      let n = 2
      let x = randn([n, c, s, s], seed: 61)
      let w = randn([o, c, 3, 3], seed: 62, scale: Float(1 / (9 * Double(c)).squareRoot()))
      let b = randn([o], seed: 63, scale: 0.1)
      let gout = randn([n, o, s, s], seed: 64)
      let ref = SampledConvReference(x: x, w: w, b: b, gout: gout, pad: 1, samples: 300)
      var rows: [[(scaled: Double, abs: Double)]] = []
      for mode in [WinogradChoice.f2, .f4, .off] {
        convWinograd = mode
        let (y, gx, gw) = Self.convPasses(x, w, b, gout, pad: 1)
        rows.append([ref.forwardError(y), ref.inputGradError(gx), ref.weightGradError(gw)])
      }
      var line = String(format: "%4d %4d %3dx%-3d", c, o, s, s)
      for k in 0..<3 {
        line += String(format: "  %.2e / %.2e / %.2e", rows[0][k].scaled, rows[1][k].scaled, rows[2][k].scaled)
      }
      print(line)
      for (k, name) in ["forward", "input gradient", "weight gradient"].enumerated() {
        for (r, (label, bound)) in [("F(2x2)", winogradErrorBound), ("F(4x4)", winogradF4ErrorBound)].enumerated() {
          XCTAssertLessThanOrEqual(rows[r][k].scaled, bound, "C\(c) O\(o) \(s)px \(label) \(name)")
          XCTAssertFalse(rows[r][k].scaled.isNaN, "C\(c) O\(o) \(s)px \(label) \(name) is NaN")
        }
      }
    }
  }

  /// F(4×4) forced, each pass against float64 at every element, on ragged shapes (partial edge
  /// tiles, padding 0 (the input gradient's padding 2), 1 and 2, several tile rows and columns)
  /// and both instruction sets. A wrong matrix entry gives errors near 1e-1–1e0; the bound is 1e-5.
  func testF4EachPassAgainstFloat64() {
    defer { lm_conv_allow_avx512(1) }
    convWinograd = .f4
    for (c, o, h, w, pad) in [(3, 5, 11, 9, 1), (6, 4, 13, 10, 0), (4, 7, 6, 14, 2), (8, 8, 8, 8, 1)] {
      let x = randn([2, c, h, w], seed: 71)
      let wt = randn([o, c, 3, 3], seed: 72, scale: Float(1 / (9 * Double(c)).squareRoot()))
      let b = randn([o], seed: 73, scale: 0.1)
      let gout = randn([2, o, h + 2 * pad - 2, w + 2 * pad - 2], seed: 74)
      let ref = SampledConvReference(x: x, w: wt, b: b, gout: gout, pad: pad, samples: 1 << 30)  // every element
      for wide in [Int32(1), 0] {
        lm_conv_allow_avx512(wide)
        let (y, gx, gw) = Self.convPasses(x, wt, b, gout, pad: pad)
        let geometry = Conv2dGeometry(n: 2, c: c, h: h, w: w, o: o, kh: 3, kw: 3, stride: 1, pad: pad)
        XCTAssertEqual(geometry.forwardKernel + " " + geometry.backwardKernel, "winograd4 winograd4/winograd4")
        let errors = [ref.forwardError(y), ref.inputGradError(gx), ref.weightGradError(gw)]
        for (k, name) in ["forward", "input gradient", "weight gradient"].enumerated() {
          let e = errors[k].scaled
          XCTAssertTrue(e <= winogradF4ErrorBound, "F(4x4) \(name) C\(c) O\(o) \(h)x\(w) pad \(pad) avx512 \(wide): \(e)")
        }
      }
    }
  }

  /// One conv's output and gradients (input, weight) under the current choice.
  static func convPasses(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ gout: Tensor, pad: Int) -> (Tensor, Tensor, Tensor) {
    let xi = x.copy()
    xi.requiresGrad = true
    let wi = w.copy()
    wi.requiresGrad = true
    let y = Tensor.conv2d(xi, weight: wi, bias: b, stride: 1, padding: pad)
    y.backward(gout)
    return (y.detached(), xi.grad!, wi.grad!)
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
