// The engine's thread split of conv2d: a batch smaller than the worker count splits within
// samples (Kernels/Conv2dSplit.swift); at batch 1 and 2 and 1, 2 and 3 workers (3 catches an
// off-by-one in the slice bounds) what the direct kernels computed (channel slices) is
// bit-identical to one worker's, what sgemm computed (fixed tiles, per-worker partial sums of
// the weight gradient) within 1e-6 of its scale. A batch of at least as many
// images as workers splits the batch as the engine always did (its own order, checked bit for
// bit against main by BatchSplitOrderTests): within 1e-6 of one worker's.
import TestSupport
import XCTest

@testable import TensorEngine

final class ConvSplitTests: XCTestCase {
  private var savedThreads = engineThreads

  override func setUp() { savedThreads = engineThreads }
  override func tearDown() {
    engineThreads = savedThreads
    conv2dKernelChoice = .auto
  }

  /// Fails at the first element whose bits differ, naming it and both values.
  func assertBitIdentical(_ a: Tensor?, _ e: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let a else { return XCTFail("\(label): no value", file: file, line: line) }
    XCTAssertEqual(a.shape, e.shape, label, file: file, line: line)
    let (av, ev) = (a.values, e.values)
    for i in 0..<Swift.min(av.count, ev.count) where av[i].bitPattern != ev[i].bitPattern {
      return XCTFail("\(label): element \(i) is \(av[i]), one worker gave \(ev[i])", file: file, line: line)
    }
  }

  /// (c, o, h, w, k, stride, pad) covering every path: direct forward, input and weight
  /// gradients; im2col + sgemm; padding-free small maps; strided (no transposed input
  /// gradient); pointwise; 5×5.
  let shapes = [
    (6, 10, 20, 33, 3, 1, 1), (40, 80, 12, 12, 3, 1, 1), (5, 7, 3, 3, 3, 1, 1), (3, 8, 9, 9, 4, 2, 2),
    (6, 9, 7, 7, 1, 1, 0), (4, 6, 10, 10, 5, 1, 2),
  ]

  func run(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ gout: Tensor, stride: Int, pad: Int) -> [Tensor] {
    let (xi, wi, bi) = (x.copy(), w.copy(), b.copy())
    (xi.requiresGrad, wi.requiresGrad, bi.requiresGrad) = (true, true, true)
    let y = Tensor.conv2d(xi, weight: wi, bias: bi, stride: stride, padding: pad)
    y.backward(gout)
    return [y.detached(), xi.grad!, wi.grad!, bi.grad!]
  }

  func testEveryThreadCountGivesOneWorkersNumbers() {
    for mode in [Conv2dKernelChoice.auto, .gemm] {
      conv2dKernelChoice = mode
      for (c, o, h, wd, k, s, p) in shapes {
        for n in [1, 2] {
          let x = randn([n, c, h, wd], seed: 41)
          let w = randn([o, c, k, k], seed: 42)
          let b = randn([o], seed: 43)
          let g = Conv2dGeometry(n: n, c: c, h: h, w: wd, o: o, kh: k, kw: k, stride: s, pad: p)
          let gout = randn([n, o, g.ho, g.wo], seed: 44)
          engineThreads = 1
          let one = run(x, w, b, gout, stride: s, pad: p)
          for threads in [2, 3] {
            engineThreads = threads
            let r = run(x, w, b, gout, stride: s, pad: p)
            let label =
              "\(mode) n\(n) c\(c) o\(o) \(h)x\(wd) k\(k)/\(s) threads \(threads): \(g.forwardKernel) \(g.forwardSplit.label), "
              + "\(g.backwardKernel) \(g.backwardSplit)"
            // Batch 1 splits too, wherever the map has room for two tiles (the padding-free
            // path of small maps works on whole images).
            if n == 1 && g.forwardPath != .paddingFree && g.outPixels >= 2 * ConvTiles.minColumns {
              XCTAssertNotEqual(g.forwardSplit, .single, label)
            }
            if n < threads {  // within samples
              XCTAssertTrue(g.splitsWithinSamples, label)
              // The direct kernels' channel slices sum as one worker; sgemm's bits follow its
              // matrix sizes, and the tiles (and partial sums) are not one worker's.
              let direct = [g.forwardPath == .direct, g.usesDirectInputGradient, g.usesDirectBackward]
              for (i, name) in ["out", "grad_x", "grad_w"].enumerated() {
                if direct[i] {
                  assertBitIdentical(r[i], one[i], label + " " + name)
                } else {
                  assertClose(r[i], one[i], .scaled(1e-6), label + " " + name)
                }
              }
            } else {  // the batch split
              XCTAssertFalse(g.splitsWithinSamples, label)
              for (i, name) in ["out", "grad_x", "grad_w"].enumerated() {
                assertClose(r[i], one[i], .scaled(1e-6), label + " " + name)
              }
            }
            assertBitIdentical(r[3], one[3], label + " grad_b")
          }
        }
      }
    }
  }

  func testTheConvProfileSaysHowEachPassWasSplit() {
    engineThreads = 2
    ConvProfile.reset()
    ConvProfile.enabled = true
    defer { ConvProfile.enabled = false }
    // Batch 1: the direct kernel and Winograd split output channels, im2col + sgemm its tiles.
    for (c, o, h) in [(6, 10, 33), (20, 80, 16), (40, 80, 16)] {
      let x = randn([1, c, h, h], seed: 1)
      x.requiresGrad = true
      let w = randn([o, c, 3, 3], seed: 2)
      w.requiresGrad = true
      Tensor.conv2d(x, weight: w, bias: nil, stride: 1, padding: 1).backward(randn([1, o, h, h], seed: 3))
    }
    let rows = Dictionary(uniqueKeysWithValues: ConvProfile.entries.map { ("\($0.geometry.c) \($0.pass.rawValue)", "\($0.kernel) \($0.split)") })
    XCTAssertEqual(rows["6 forward"], "direct chan×2")
    XCTAssertEqual(rows["6 backward"], "direct/direct chan×2/chan×2")
    XCTAssertEqual(rows["20 forward"], "gemm tile×2/4")  // 256 pixels: 4 tiles of 64
    XCTAssertEqual(rows["20 backward"], "direct/gemm chan×2/tile×2/4")  // input gradient: 80 → 20 channels, direct
    XCTAssertEqual(rows["40 forward"], "winograd4 chan×2")
    XCTAssertEqual(rows["40 backward"], "direct/gemm chan×2/tile×2/4")
  }

  func testChannelRangesCoverEveryChannelOnce() {
    for count in [1, 2, 3, 5, 7, 64] {
      for parts in 1...4 {
        let r = channelRanges(count, parts: parts)
        XCTAssertEqual(r.first?.lowerBound, 0)
        XCTAssertEqual(r.last?.upperBound, count)
        XCTAssertEqual(r.count, Swift.min(count, parts), "\(count) in \(parts)")
        for (a, b) in zip(r, r.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
      }
    }
  }
}
