// The opt-in profilers behind `lmlab bench train --profile`: what they count must be right,
// and nothing is recorded while they are off.
import XCTest

@testable import TensorEngine

final class ProfileTests: XCTestCase {
  override func tearDown() {
    OpProfile.enabled = false
    ConvProfile.enabled = false
    OpProfile.reset()
    ConvProfile.reset()
  }

  func testConvAndOpTalliesCountCallsPassesAndFLOPs() {
    let x = randn([2, 3, 8, 8], seed: 1)
    x.requiresGrad = true
    let w = randn([4, 3, 3, 3], seed: 2)
    w.requiresGrad = true
    OpProfile.reset()
    ConvProfile.reset()
    OpProfile.enabled = true
    ConvProfile.enabled = true
    let y = Tensor.conv2d(x, weight: w, bias: nil, stride: 1, padding: 1).relu()
    y.sum().backward()
    OpProfile.enabled = false
    ConvProfile.enabled = false

    let convs = ConvProfile.entries
    XCTAssertEqual(convs.count, 2)
    let g = Conv2dGeometry(n: 2, c: 3, h: 8, w: 8, o: 4, kh: 3, kw: 3, stride: 1, pad: 1)
    let forward = convs.first { $0.pass == .forward }
    let backward = convs.first { $0.pass == .backward }
    XCTAssertEqual(forward?.geometry, g)
    XCTAssertEqual(forward?.calls, 1)
    XCTAssertEqual(forward?.flops, 2 * 2 * 4 * 27 * 64)
    XCTAssertEqual(forward?.kernel, "gemm")  // 8 px rows: im2col; 84% of products useful
    XCTAssertEqual(backward?.kernel, "gemm/gemm")
    // Input and weight gradients: two products of the forward's size.
    XCTAssertEqual(backward?.flops, 2 * g.forwardFLOPs)
    XCTAssertGreaterThan(backward?.seconds ?? 0, 0)

    let ops = Dictionary(uniqueKeysWithValues: OpProfile.entries.map { ($0.name, $0) })
    XCTAssertEqual(ops["conv2d"]?.forwardCalls, 1)
    XCTAssertEqual(ops["conv2d"]?.backwardCalls, 1)
    XCTAssertEqual(ops["relu"]?.forwardCalls, 1)
    XCTAssertEqual(ops["relu"]?.backwardCalls, 1)
    XCTAssertEqual(ops["sum"]?.forwardCalls, 1)
    // The leaves' gradients are tallied as such (x and w).
    XCTAssertEqual(ops["(leaf gradient)"]?.backwardCalls, 2)
  }

  func testKernelLabelsNameThePathTaken() {
    let wide = Conv2dGeometry(n: 1, c: 24, h: 64, w: 64, o: 24, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(wide.forwardKernel, directConvAvailable ? "direct" : "gemm")
    XCTAssertEqual(wide.backwardKernel, directConvAvailable ? "direct/direct" : "gemm/gemm")
    // Many channels on 16 px and more go through Winograd (WinogradConv.swift; F(4×4) named
    // "winograd4", F(2×2) "winograd"), on 8×8 maps through im2col + sgemm (faster there on
    // AVX-512 BLAS than the direct kernel).
    let manyChannels = Conv2dGeometry(n: 1, c: 128, h: 32, w: 32, o: 128, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(manyChannels.forwardKernel, "winograd4")
    XCTAssertEqual(manyChannels.backwardKernel, "winograd4/winograd4")
    let smallMap = Conv2dGeometry(n: 1, c: 128, h: 8, w: 8, o: 128, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(smallMap.forwardKernel, "gemm")
    let tiny = Conv2dGeometry(n: 1, c: 384, h: 3, w: 3, o: 256, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(tiny.forwardKernel, "padfree")
    XCTAssertEqual(tiny.backwardKernel, "padfree/gemm")
    let strided = Conv2dGeometry(n: 1, c: 3, h: 64, w: 64, o: 64, kh: 11, kw: 11, stride: 4, pad: 2)
    XCTAssertEqual(strided.backwardKernel, "gemm/gemm")
  }

  func testNothingIsRecordedWhileOff() {
    OpProfile.reset()
    ConvProfile.reset()
    let x = randn([1, 2, 5, 5], seed: 3)
    _ = Tensor.conv2d(x, weight: randn([2, 2, 3, 3], seed: 4), bias: nil, stride: 1, padding: 1).relu()
    XCTAssertTrue(ConvProfile.entries.isEmpty)
    XCTAssertTrue(OpProfile.entries.isEmpty)
  }
}
