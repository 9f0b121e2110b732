// Per-sample conv beyond the fixtures: the batch split over two workers gives exactly the serial
// result (each sample is computed by one worker with the same arithmetic), and a kernel that is
// one centred tap copies the image.
import TestSupport
import XCTest

@testable import TensorEngine

final class PerSampleConvTests: XCTestCase {
  /// Forward and both gradients with the engine on 1 and on 2 threads: bit-identical.
  func testTwoWorkersMatchOne() {
    let image = randn([4, 3, 20, 21], seed: 70)
    let kernels = randn([4, 3, 5, 5], seed: 71, scale: 0.2)
    let gout = randn([4, 3, 3, 20, 21], seed: 72)
    // The sizes must actually split (else this would compare the serial path with itself).
    let g = PerSampleGeometry(b: 4, c: 3, h: 20, w: 21, n: 3, k: 5)
    XCTAssertGreaterThanOrEqual(4 / g.minPerWorker, 2)

    func run(threads: Int) -> [[Float]] {
      let saved = engineThreads
      engineThreads = threads
      defer { engineThreads = saved }
      let (x, k) = (image.copy(), kernels.copy())
      x.requiresGrad = true
      k.requiresGrad = true
      let y = Tensor.perSampleConv2d(x, kernels: k)
      y.backward(gout)
      return [y.values, x.grad!.values, k.grad!.values]
    }
    let serial = run(threads: 1)
    let parallel = run(threads: 2)
    for (name, (a, b)) in zip(["out", "grad image", "grad kernels"], zip(serial, parallel)) {
      XCTAssertTrue(a.allSatisfy(\.isFinite), "\(name): non-finite values")
      XCTAssertEqual(a, b, "\(name): 2 workers differ from 1")
    }
  }

  /// Kernel n of sample b is a single tap at (n, n) scaled by b + 1: kernel 1 (the centre)
  /// copies the image times b + 1, kernel 0 shifts it down and right by one pixel.
  func testSingleTapKernels() {
    let (bN, c, h, w) = (2, 2, 5, 6)
    let image = randn([bN, c, h, w], seed: 73)
    let kernels = Tensor(zeros: [bN, 2, 3, 3])
    for b in 0..<bN {
      for n in 0..<2 { kernels.data[(b * 2 + n) * 9 + n * 3 + n] = Float(b + 1) }
    }
    let y = Tensor.perSampleConv2d(image, kernels: kernels)
    XCTAssertEqual(y.shape, [bN, 2, c, h, w])
    let plane = h * w  // every other tap adds exact zeros: the values are exact
    for b in 0..<bN {
      for ch in 0..<c {
        let src = Array(image.values[((b * c + ch) * plane)..<((b * c + ch + 1) * plane)])
        let scale = Float(b + 1)
        // Kernel 1, the centre tap: the image times b + 1.
        let centre = Array(y.values[(((b * 2 + 1) * c + ch) * plane)..<(((b * 2 + 1) * c + ch + 1) * plane)])
        XCTAssertEqual(centre, src.map { scale * $0 }, "centre tap, sample \(b) channel \(ch)")
        // Kernel 0, the tap at (0, 0): out(y, x) = image(y − 1, x − 1), zero on the first row and column.
        let shifted = Array(y.values[((b * 2 * c + ch) * plane)..<((b * 2 * c + ch + 1) * plane)])
        let expected = (0..<plane).map { i -> Float in
          let (yy, xx) = (i / w, i % w)
          return yy > 0 && xx > 0 ? scale * src[(yy - 1) * w + xx - 1] : 0
        }
        XCTAssertEqual(shifted, expected, "corner tap, sample \(b) channel \(ch)")
      }
    }
  }
}
