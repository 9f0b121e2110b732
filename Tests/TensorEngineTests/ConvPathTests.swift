// conv2d has three kernel paths (direct AVX2, direct AVX-512VL weight gradient, im2col+sgemm)
// and a worker split; each must give PyTorch's numbers and agree with the others.
import CKernels
import TestSupport
import XCTest

@testable import TensorEngine

final class ConvPathTests: XCTestCase {
  override func tearDown() {
    conv2dKernelChoice = .auto
    lm_conv_allow_avx512(1)
    engineThreads = 2
  }

  func testEveryPathMatchesPyTorchFixtures() throws {
    let f = try FixtureFile("conv2d")
    for (mode, wide, threads) in [(Conv2dKernelChoice.gemm, 1, 2), (.direct, 1, 2), (.direct, 0, 2), (.direct, 1, 1), (.gemm, 1, 1)] {
      conv2dKernelChoice = mode
      lm_conv_allow_avx512(Int32(wide))
      engineThreads = threads
      try forEachCase(f, expected: 10) { c in
        let stride = try f.int(c, "stride")
        let pad = try f.int(c, "padding")
        let x = try f.tensor(c, "x", requiresGrad: true)
        let w = try f.tensor(c, "w", requiresGrad: true)
        let b = f.has(c, "b") ? try f.tensor(c, "b", requiresGrad: true) : nil
        let out = Tensor.conv2d(x, weight: w, bias: b, stride: stride, padding: pad)
        let label = "\(c) direct=\(mode) avx512=\(wide) threads=\(threads)"
        assertClose(out, try f.tensor(c, "out"), fixtureTol, "\(label) out")
        out.backward(try f.tensor(c, "gout"))
        assertClose(x.grad, try f.tensor(c, "grad_x"), fixtureTol, "\(label) grad_x")
        assertClose(w.grad, try f.tensor(c, "grad_w"), fixtureTol, "\(label) grad_w")
      }
    }
  }

  func testDirectAndGEMMPathsAgreeOnRaggedShapes() {
    // Channel counts that leave remainders in every register block (output blocks of 6 and 4:
    // 32 = 6·4 + 4·2, 8 = 4·2, 2, 64 = 6·10 + 4, 65, 37, 7), widths off the vector size.
    let shapes = [
      (5, 37, 9, 13), (40, 7, 6, 17), (1, 1, 3, 3), (64, 65, 5, 17), (9, 32, 4, 16), (3, 8, 5, 20), (6, 2, 4, 33),
      (7, 64, 3, 16), (66, 3, 2, 40),
    ]
    for (c, o, h, w) in shapes {
      let x = randn([3, c, h, w], seed: 31)
      let wt = randn([o, c, 3, 3], seed: 32)
      let b = randn([o], seed: 33)
      let gout = randn([3, o, h, w], seed: 34)
      var results: [[Tensor]] = []
      // .auto on the last shape mixes paths: direct forward, im2col weight gradient.
      for (mode, wide) in [(Conv2dKernelChoice.gemm, 1), (.direct, 1), (.direct, 0), (.auto, 1)] {
        conv2dKernelChoice = mode
        lm_conv_allow_avx512(Int32(wide))
        let xi = x.copy()
        xi.requiresGrad = true
        let wi = wt.copy()
        wi.requiresGrad = true
        let y = Tensor.conv2d(xi, weight: wi, bias: b, stride: 1, padding: 1)
        y.backward(gout)
        results.append([y.detached(), xi.grad!, wi.grad!])
      }
      for r in results.dropFirst() {
        for k in 0..<3 {
          assertClose(r[k], results[0][k], .scaled(1e-5), "c\(c) o\(o) \(h)x\(w) tensor \(k)")
        }
      }
    }
  }
}
