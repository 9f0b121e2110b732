// Convs on small maps take the padding-free path (products per class of output pixels with
// the same valid taps) and strided / small-output im2col reads runs from padded phase images;
// both are checked against a naive float64 convolution, including image groups, ragged
// channel counts and outputs that see only padding.
import TestSupport
import XCTest

@testable import TensorEngine

final class SmallMapConvTests: XCTestCase {
  override func tearDown() { engineThreads = 2 }

  /// Naive conv2d in double: out[n, o, y, x] = b[o] + Σ w[o, c, ky, kx] · x[n, c, y·s + ky − p, x·s + kx − p].
  func naive(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride s: Int, pad p: Int) -> [Double] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    let ho = (h + 2 * p - k) / s + 1
    let wo = (wd + 2 * p - k) / s + 1
    let (xv, wv, bv) = (x.values, w.values, b.values)
    var out = [Double](repeating: 0, count: n * o * ho * wo)
    for ni in 0..<n {
      for oc in 0..<o {
        for y in 0..<ho {
          for xx in 0..<wo {
            var acc = Double(bv[oc])
            for ci in 0..<c {
              for ky in 0..<k {
                let iy = y * s + ky - p
                guard iy >= 0 && iy < h else { continue }
                for kx in 0..<k {
                  let ix = xx * s + kx - p
                  guard ix >= 0 && ix < wd else { continue }
                  acc += Double(wv[((oc * c + ci) * k + ky) * k + kx]) * Double(xv[((ni * c + ci) * h + iy) * wd + ix])
                }
              }
            }
            out[((ni * o + oc) * ho + y) * wo + xx] = acc
          }
        }
      }
    }
    return out
  }

  func testSmallMapsAndStridesMatchNaiveConv() {
    // (n, c, o, size, kernel, stride, pad): AlexNet-like tails, even kernels, big batches that
    // split into image groups, one-channel and ragged counts.
    let cases = [
      (150, 5, 7, 3, 3, 1, 1), (9, 16, 12, 7, 5, 1, 2), (4, 3, 5, 4, 3, 1, 1), (3, 2, 3, 5, 4, 1, 2),
      (2, 1, 1, 2, 3, 1, 1), (5, 3, 8, 19, 11, 4, 2), (3, 6, 4, 9, 3, 2, 1), (2, 4, 6, 6, 3, 1, 0),
      (3, 2, 4, 12, 7, 1, 3),  // an interior class 6 pixels wide
      (2, 3, 2, 2, 3, 1, 3),  // padding ≥ kernel: border outputs see only padding (the bias)
    ]
    for threads in [1, 2] {
      engineThreads = threads
      for (n, c, o, size, k, s, p) in cases {
        let x = randn([n, c, size, size], seed: 11)
        let w = randn([o, c, k, k], seed: 12)
        let b = randn([o], seed: 13)
        let g = Conv2dGeometry(n: n, c: c, h: size, w: size, o: o, kh: k, kw: k, stride: s, pad: p)
        let y = Tensor.conv2d(x, weight: w, bias: b, stride: s, padding: p).values
        let ref = naive(x, w, b, stride: s, pad: p)
        // 1e-5 of the output's largest magnitude: float32 sums of up to c·k² = 400 terms.
        assertClose(
          y, ref, .scaled(1e-5),
          "n\(n) c\(c) o\(o) \(size)x\(size) k\(k) s\(s) p\(p) threads \(threads) padding-free \(g.usesPaddingFreeForward)")
      }
    }
    // The cases do reach the paths they are meant for.
    XCTAssertTrue(Conv2dGeometry(n: 1, c: 1, h: 3, w: 3, o: 1, kh: 3, kw: 3, stride: 1, pad: 1).usesPaddingFreeForward)
    XCTAssertTrue(Conv2dGeometry(n: 1, c: 1, h: 7, w: 7, o: 1, kh: 5, kw: 5, stride: 1, pad: 2).usesPaddingFreeForward)
    XCTAssertTrue(Conv2dGeometry(n: 1, c: 1, h: 12, w: 12, o: 1, kh: 7, kw: 7, stride: 1, pad: 3).usesPaddingFreeForward)
    XCTAssertFalse(Conv2dGeometry(n: 1, c: 1, h: 9, w: 9, o: 1, kh: 3, kw: 3, stride: 2, pad: 1).usesPaddingFreeForward)
  }

  func testUsefulFraction() {
    // 3×3 on a 3×3 map: 49 of 81 products touch the image; 5×5 on 7×7: (29/35)².
    let a = Conv2dGeometry(n: 1, c: 1, h: 3, w: 3, o: 1, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(a.usefulFraction, 49.0 / 81.0, accuracy: 1e-12)
    let b = Conv2dGeometry(n: 1, c: 1, h: 7, w: 7, o: 1, kh: 5, kw: 5, stride: 1, pad: 2)
    XCTAssertEqual(b.usefulFraction, (29.0 / 35.0) * (29.0 / 35.0), accuracy: 1e-12)
  }
}
