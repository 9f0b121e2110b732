// Central finite-difference gradient checks for every op.
//
// Tolerance: the engine computes in float32. With inputs O(1) and step h = 1e-2, the central
// difference has truncation error O(h²·f''') ≈ 1e-4 and rounding error ≈ ε·|f|/h ≈ 1e-5·|f|
// (f is accumulated in double), so an analytic gradient is accepted when it is within
// 2e-3·max(1, |g|) of the numeric one. The fixtures against PyTorch check values to 1e-5.
// A NaN or infinite gradient (analytic or numeric) fails (TestSupport.closeness).
import TestSupport
import XCTest

@testable import TensorEngine

/// Checks d(sum(f(inputs) · w))/d(input) for a fixed random w, on up to `samples` elements per input.
func gradCheck(
  _ name: String, _ inputs: [Tensor], samples: Int = 24, h: Float = 1e-2, tol: Double = 2e-3,
  file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor
) {
  for t in inputs { t.requiresGrad = true; t.grad = nil }
  var rng = SeededRNG(seed: 99)
  let out = f(inputs)
  let w = Tensor.normal(out.shape, rng: &rng)
  (out * w).sum().backward()

  func objective() -> Double {
    withNoGrad {
      let y = f(inputs)
      var s: Double = 0
      for i in 0..<y.count { s += Double(y.data[i]) * Double(w.data[i]) }
      return s
    }
  }
  var checked = 0
  for (k, t) in inputs.enumerated() {
    guard let g = t.grad else {
      XCTFail("\(name): input \(k) got no gradient", file: file, line: line)
      continue
    }
    let step = Swift.max(1, t.count / samples)
    for i in Swift.stride(from: 0, to: t.count, by: step) {
      let saved = t.data[i]
      t.data[i] = saved + h
      let fp = objective()
      t.data[i] = saved - h
      let fm = objective()
      t.data[i] = saved
      let numeric = (fp - fm) / (2 * Double(h))
      let analytic = Double(g.data[i])
      let bound = tol * Swift.max(1, Swift.abs(analytic))
      if let failure = closeness([analytic], [numeric], .absolute(bound)).failure {
        XCTFail(
          "\(name): input \(k) element \(i): analytic \(analytic) vs numeric \(numeric) (\(failure))", file: file,
          line: line)
        return
      }
      checked += 1
    }
  }
  XCTAssertGreaterThan(checked, 0, "\(name): no gradient element was checked", file: file, line: line)
}

func randn(_ shape: [Int], seed: UInt64, scale: Float = 1, shift: Float = 0) -> Tensor {
  var rng = SeededRNG(seed: seed)
  let t = Tensor.normal(shape, std: scale, rng: &rng)
  for i in 0..<t.count { t.data[i] += shift }
  return t
}

/// Values bounded away from zero (for kinks like relu and |x|).
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
  let t = randn(shape, seed: seed)
  for i in 0..<t.count where Swift.abs(t.data[i]) < 0.05 { t.data[i] = t.data[i] < 0 ? -0.1 : 0.1 }
  return t
}

final class GradCheckTests: XCTestCase {
  func testBroadcastingBinaryOps() {
    gradCheck("add", [randn([2, 3, 4], seed: 1), randn([3, 1], seed: 2)]) { $0[0] + $0[1] }
    gradCheck("sub", [randn([2, 3, 4], seed: 1), randn([1, 3, 1], seed: 2)]) { $0[0] - $0[1] }
    gradCheck("mul", [randn([2, 1, 4], seed: 1), randn([3, 1], seed: 2)]) { $0[0] * $0[1] }
    gradCheck("div", [randn([2, 3, 4], seed: 1), randn([4], seed: 2, scale: 0.2, shift: 2)]) { $0[0] / $0[1] }
  }

  func testUnaryOps() {
    gradCheck("relu", [awayFromZero([3, 4, 5], seed: 3)]) { $0[0].relu() }
    gradCheck("leaky_relu", [awayFromZero([3, 4, 5], seed: 3)]) { $0[0].leakyRelu(0.2) }
    gradCheck("sigmoid", [randn([3, 4, 5], seed: 3)]) { $0[0].sigmoid() }
    gradCheck("tanh", [randn([3, 4, 5], seed: 3)]) { $0[0].tanh() }
    gradCheck("exp", [randn([3, 4, 5], seed: 3, scale: 0.5)]) { $0[0].exp() }
    gradCheck("log", [randn([3, 4, 5], seed: 3, scale: 0.2, shift: 2)]) { $0[0].log() }
    gradCheck("sqrt", [randn([3, 4, 5], seed: 3, scale: 0.2, shift: 2)]) { $0[0].sqrt() }
    gradCheck("pow 2.5", [randn([3, 4, 5], seed: 3, scale: 0.2, shift: 2)]) { $0[0].pow(2.5) }
    gradCheck("pow 2", [randn([3, 4, 5], seed: 3)]) { $0[0].pow(2) }
    gradCheck("abs", [awayFromZero([3, 4, 5], seed: 3)]) { $0[0].abs() }
  }

  func testReductions() {
    gradCheck("sum axis 1", [randn([2, 3, 4], seed: 4)]) { $0[0].sum(axes: [1]) }
    gradCheck("sum all", [randn([2, 3, 4], seed: 4)]) { $0[0].sum() }
    gradCheck("mean 0,2 keep", [randn([2, 3, 4], seed: 4)]) { $0[0].mean(axes: [0, 2], keepDims: true) }
    gradCheck("max axis 2", [randn([2, 3, 4], seed: 4)]) { $0[0].max(axes: [2]) }
  }

  func testLayoutOps() {
    gradCheck("reshape", [randn([2, 3, 4], seed: 5)]) { $0[0].reshaped([4, -1]) }
    gradCheck("permute", [randn([2, 3, 4, 5], seed: 5)]) { $0[0].permuted([0, 2, 3, 1]) }
    gradCheck("concat", [randn([2, 3, 4], seed: 5), randn([2, 1, 4], seed: 6)]) { Tensor.concat($0, axis: 1) }
    gradCheck("slice", [randn([4, 6], seed: 5)]) { $0[0].slice(axis: 1, start: 1, end: 5) }
    gradCheck("split", [randn([4, 6], seed: 5)]) {
      let parts = $0[0].split(sizes: [2, 4], axis: 1)
      return parts[0].sum(axes: [1], keepDims: true) * parts[1]
    }
  }

  func testMatmulAndLinear() {
    gradCheck("bmm", [randn([3, 4, 5], seed: 7), randn([3, 5, 6], seed: 8)]) { $0[0].matmul($0[1]) }
    gradCheck("matmul", [randn([4, 5], seed: 7), randn([5, 3], seed: 8)]) { $0[0].matmul($0[1]) }
    gradCheck("linear", [randn([6, 5], seed: 7), randn([3, 5], seed: 8), randn([3], seed: 9)]) {
      Tensor.linear($0[0], weight: $0[1], bias: $0[2])
    }
  }

  func testConv2d() {
    for (stride, pad, k) in [(1, 1, 3), (2, 1, 3), (1, 0, 1), (2, 2, 4), (1, 0, 3)] {
      gradCheck("conv k\(k) s\(stride) p\(pad)", [randn([2, 3, 7, 6], seed: 10), randn([4, 3, k, k], seed: 11), randn([4], seed: 12)]) {
        Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: pad)
      }
    }
    // Many images per tile (small spatial size) and one image split over tiles.
    gradCheck("conv tiny images", [randn([5, 2, 2, 3], seed: 10), randn([3, 2, 3, 3], seed: 11)]) {
      Tensor.conv2d($0[0], weight: $0[1], bias: nil, stride: 1, padding: 1)
    }
  }

  func testPoolResizeNorm() {
    gradCheck("avg_pool include", [randn([2, 2, 7, 8], seed: 13)]) { $0[0].avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludePad: true) }
    gradCheck("avg_pool exclude", [randn([2, 2, 7, 8], seed: 13)]) { $0[0].avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludePad: false) }
    gradCheck("bilinear ac", [randn([1, 2, 5, 7], seed: 14)]) { $0[0].resizedBilinear(height: 12, width: 9, alignCorners: true) }
    gradCheck("bilinear", [randn([1, 2, 9, 9], seed: 14)]) { $0[0].resizedBilinear(height: 4, width: 6, alignCorners: false) }
    gradCheck("nearest", [randn([1, 2, 6, 6], seed: 14)]) { $0[0].resizedNearest(height: 4, width: 9) }
    gradCheck("instance_norm", [randn([2, 3, 5, 4], seed: 15)]) { $0[0].instanceNorm() }
    gradCheck("softmax", [randn([2, 5, 3], seed: 16)]) { $0[0].softmax(axis: 1) }
  }

  func testDepthwiseConv2d() {
    typealias Case = (k: Int, stride: Int, pad: Padding2d, h: Int, w: Int)
    let sameK3S2: Padding2d = .tfSame(height: 8, width: 8, kernel: 3, stride: 2)
    let sameK5S2: Padding2d = .tfSame(height: 7, width: 10, kernel: 5, stride: 2)
    let uneven = Padding2d(top: 0, bottom: 2, left: 3, right: 1)
    var cases: [Case] = []
    cases.append((3, 1, .symmetric(1), 6, 7))
    cases.append((3, 2, sameK3S2, 8, 8))
    cases.append((5, 2, sameK5S2, 7, 10))
    cases.append((5, 1, .symmetric(2), 5, 5))
    cases.append((3, 2, uneven, 6, 7))
    cases.append((3, 1, .symmetric(0), 4, 5))
    cases.append((5, 1, Padding2d(top: 0, bottom: 3, left: 4, right: 1), 6, 5))
    for (i, c) in cases.enumerated() {
      let seed = UInt64(30 + 3 * i)
      gradCheck(
        "depthwise k\(c.k) s\(c.stride) pad \(c.pad)",
        [randn([2, 3, c.h, c.w], seed: seed), randn([3, 1, c.k, c.k], seed: seed + 1, scale: 0.3), randn([3], seed: seed + 2)]
      ) {
        Tensor.depthwiseConv2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.pad)
      }
    }
  }

  func testPerSampleConv2d() {
    for (k, seed) in [(3, 50), (5, 53), (1, 56)] as [(Int, UInt64)] {
      gradCheck(
        "per-sample conv k\(k)", [randn([2, 2, 4, 5], seed: seed), randn([2, 3, k, k], seed: seed + 1, scale: 0.3)],
        samples: 40
      ) { Tensor.perSampleConv2d($0[0], kernels: $0[1]) }
    }
  }

  func testBatchNormReLU6Pad() {
    let variance = randn([4], seed: 41, scale: 0.2, shift: 1)
    let mean = randn([4], seed: 42)
    gradCheck("batch_norm eval", [randn([2, 4, 3, 5], seed: 43), randn([4], seed: 44), randn([4], seed: 45)]) {
      Tensor.batchNorm($0[0], runningMean: mean, runningVar: variance, weight: $0[1], bias: $0[2], eps: 1e-3)
    }
    // Values kept 0.05 away from both kinks (0 and 6): the finite difference must not cross one.
    let x = randn([3, 4, 5], seed: 46, scale: 4, shift: 3)
    for i in 0..<x.count {
      for kink: Float in [0, 6] where Swift.abs(x.data[i] - kink) < 0.05 { x.data[i] = kink + 0.1 }
    }
    gradCheck("relu6", [x]) { $0[0].relu6() }
    gradCheck("pad", [randn([2, 3, 4, 5], seed: 47)]) { $0[0].padded(Padding2d(top: 2, bottom: 0, left: 1, right: 3)) }
  }

  func testCovarianceOps() {
    let spd = { (seed: UInt64) -> Tensor in
      let a = randn([4, 2, 2], seed: seed)
      return withNoGrad { a.matmul(a.transposedLast2()) + Tensor([1, 0, 0, 1], shape: [2, 2]) }
    }
    gradCheck("inverse2x2", [spd(17)]) { $0[0].inverse2x2() }
    // Cholesky reads the lower triangle; symmetric perturbations are what the symmetrized
    // gradient describes, so check through a symmetrizing map.
    gradCheck("cholesky2x2", [spd(18)]) { m in
      let sym = (m[0] + m[0].transposedLast2()) * 0.5
      return sym.cholesky2x2()
    }
  }

  func testLosses() {
    gradCheck("mse", [randn([2, 3, 4], seed: 19), randn([2, 3, 4], seed: 20)]) { Tensor.mseLoss($0[0], $0[1]) }
    gradCheck("l1", [awayFromZero([2, 3, 4], seed: 19), randn([2, 3, 4], seed: 20, scale: 0.01)]) {
      Tensor.l1Loss($0[0], $0[1])
    }
  }

  func testLSTMGradients() {
    var rng = SeededRNG(seed: 21)
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, rng: &rng)
    let x = randn([3, 2, 3], seed: 22)
    gradCheck("lstm", [x] + lstm.parameters, samples: 6) { inputs in lstm(inputs[0]).0 }
  }

  func testConvLSTMCellGradients() {
    var rng = SeededRNG(seed: 25)
    let cell = ConvLSTMCell(inputChannels: 2, hiddenChannels: 2, kernel: 3, rng: &rng)
    let x = randn([3, 1, 2, 3, 4], seed: 26)
    gradCheck("conv lstm", [x] + cell.parameters, samples: 8) { inputs in
      var state: (h: Tensor, c: Tensor)?
      for t in 0..<3 { state = cell(inputs[0].slice(axis: 0, start: t, end: t + 1).reshaped([1, 2, 3, 4]), state) }
      return Tensor.concat([state!.h, state!.c], axis: 1)
    }
  }

  func testSpectralNormGradients() {
    var rng = SeededRNG(seed: 23)
    let sn = SpectralNormConv2d(3, 4, kernel: 3, padding: 1, rng: &rng)
    sn.eval()  // fixed u, v so the objective is a function of the weight alone
    let x = randn([1, 3, 5, 5], seed: 24)
    gradCheck("spectral norm conv", [x, sn.weightOrig]) { inputs in sn(inputs[0]) }
  }
}
