// Depthwise conv beyond the fixtures: the work split over two workers gives exactly the serial
// result (each plane and channel is computed by one worker with the same arithmetic), and TF
// "SAME" padding follows TensorFlow's rule.
import XCTest

@testable import TensorEngine

final class DepthwiseConvTests: XCTestCase {
  /// Forward and all three gradients with the engine on 1 and on 2 threads: bit-identical.
  func testTwoWorkersMatchOne() {
    for (k, stride) in [(5, 2), (3, 1)] {
      let x = randn([2, 24, 30, 30], seed: 60)
      let w = randn([24, 1, k, k], seed: 61, scale: 0.3)
      let b = randn([24], seed: 62)
      let gout = randn([2, 24, (30 + stride - 1) / stride, (30 + stride - 1) / stride], seed: 63)
      let pad = Padding2d.tfSame(height: 30, width: 30, kernel: k, stride: stride)
      // The sizes must actually split (else this would compare the serial path with itself).
      let g = DepthwiseGeometry(n: 2, c: 24, h: 30, w: 30, kh: k, kw: k, stride: stride, pad: pad)
      XCTAssertGreaterThanOrEqual(2 * 24 / depthwiseMinPerWorker(g), 2)
      XCTAssertGreaterThanOrEqual(24 / depthwiseMinPerWorker(g, planesPerItem: 2), 2)

      func run(threads: Int) -> [[Float]] {
        let saved = engineThreads
        engineThreads = threads
        defer { engineThreads = saved }
        let (xi, wi, bi) = (x.copy(), w.copy(), b.copy())
        for t in [xi, wi, bi] { t.requiresGrad = true }
        let y = Tensor.depthwiseConv2d(xi, weight: wi, bias: bi, stride: stride, padding: pad)
        y.backward(gout)
        return [y.values, xi.grad!.values, wi.grad!.values, bi.grad!.values]
      }
      let serial = run(threads: 1)
      let parallel = run(threads: 2)
      for (name, (a, b)) in zip(["out", "grad x", "grad w", "grad b"], zip(serial, parallel)) {
        XCTAssertTrue(a.allSatisfy(\.isFinite), "k\(k) s\(stride) \(name): non-finite values")
        XCTAssertEqual(a, b, "k\(k) s\(stride) \(name): 2 workers differ from 1")
      }
    }
  }

  /// TensorFlow's SAME: output ceil(size / stride), the odd padding pixel after.
  func testTFSamePadding() {
    XCTAssertEqual(Padding2d.tfSame(height: 224, width: 224, kernel: 3, stride: 2), Padding2d(top: 0, bottom: 1, left: 0, right: 1))
    XCTAssertEqual(Padding2d.tfSame(height: 56, width: 56, kernel: 5, stride: 2), Padding2d(top: 1, bottom: 2, left: 1, right: 2))
    XCTAssertEqual(Padding2d.tfSame(height: 7, width: 9, kernel: 3, stride: 2), .symmetric(1))
    XCTAssertEqual(Padding2d.tfSame(height: 14, width: 14, kernel: 5, stride: 1), .symmetric(2))
    XCTAssertEqual(Padding2d.tfSame(height: 5, width: 5, kernel: 1, stride: 1), .symmetric(0))
    // Output sizes through the conv: ceil(size / stride).
    for (size, k, s) in [(224, 3, 2), (57, 5, 2), (7, 5, 1), (9, 3, 2)] {
      let p = Padding2d.tfSame(height: size, width: size, kernel: k, stride: s)
      let g = DepthwiseGeometry(n: 1, c: 1, h: size, w: size, kh: k, kw: k, stride: s, pad: p)
      XCTAssertEqual(g.ho, (size + s - 1) / s, "size \(size) k\(k) s\(s)")
    }
  }

  /// A NaN in the input reaches the output (so the checks downstream can see it).
  func testNaNPropagates() {
    let x = randn([1, 2, 6, 6], seed: 64)
    x.data[14] = .nan
    let y = Tensor.depthwiseConv2d(x, weight: randn([2, 1, 3, 3], seed: 65), bias: nil, stride: 1, padding: .symmetric(1))
    XCTAssertTrue(y.values.contains { $0.isNaN })
    XCTAssertTrue(Tensor.batchNorm(
      x, runningMean: Tensor(zeros: [2]), runningVar: Tensor(repeating: 1, shape: [2]), weight: nil, bias: nil, eps: 1e-3
    ).values.contains { $0.isNaN })
    XCTAssertTrue(x.relu6().values.contains { $0.isNaN })
  }
}
