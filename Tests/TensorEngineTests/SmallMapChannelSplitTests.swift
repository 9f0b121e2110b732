// Batch-1 convs on small maps (Kernels/Conv2dSplit.swift `splitsForwardByChannels`): the
// padding-free path (4×4 maps) and im2col + sgemm with fewer fixed tiles than workers (an 8×8
// map is one tile) split by output channels, each slice a conv of fewer channels on the same
// path. Their outputs are the same bits as one worker's at 2 and 3 workers; a conv too small to
// pay for the hand-off stays on one worker.
import TestSupport
import XCTest

@testable import TensorEngine

final class SmallMapChannelSplitTests: XCTestCase {
  private var savedThreads = engineThreads

  override func setUp() { savedThreads = engineThreads }
  override func tearDown() { engineThreads = savedThreads }

  func forward(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> [Float] {
    withNoGrad { Tensor.conv2d(x, weight: w, bias: b, stride: 1, padding: 1).values }
  }

  func testSmallMapsSplitByChannelsWithOneWorkersBits() {
    // (c, o, side, path): the decoder's 4×4 and 8×8 levels at dynamics-bair's widths, and an
    // odd channel count (uneven slices).
    let cases: [(Int, Int, Int, ConvForwardPath)] = [
      (128, 256, 4, .paddingFree), (30, 129, 4, .paddingFree), (128, 256, 8, .gemm), (256, 97, 8, .gemm),
    ]
    for (c, o, side, path) in cases {
      let x = randn([1, c, side, side], seed: 1)
      let w = randn([o, c, 3, 3], seed: 2, scale: 0.05)
      let b = randn([o], seed: 3)
      let g = Conv2dGeometry(n: 1, c: c, h: side, w: side, o: o, kh: 3, kw: 3, stride: 1, pad: 1)
      XCTAssertEqual(g.forwardPath, path, "c\(c) o\(o) \(side)px")
      engineThreads = 1
      let one = forward(x, w, b)
      for threads in [2, 3] {
        engineThreads = threads
        let label = "c\(c) o\(o) \(side)px threads \(threads)"
        XCTAssertEqual(g.forwardSplit, .channels(workers: threads), label)
        let r = forward(x, w, b)
        if path == .paddingFree {
          let bad = zip(r, one).enumerated().first { $0.1.0.bitPattern != $0.1.1.bitPattern }
          XCTAssertNil(bad, "\(label): element \(bad?.0 ?? -1) is \(bad?.1.0 ?? 0), one worker gave \(bad?.1.1 ?? 0)")
        } else {
          // One sgemm of O rows against products of O/workers rows: OpenBLAS's bits depend
          // on the product's size (measured: ~1 ulp), as with the pixel tiles.
          assertClose(r.map(Double.init), one.map(Double.init), .scaled(1e-6), label)
        }
      }
    }
  }

  func testATinyConvStaysOnOneWorker() {
    engineThreads = 2
    let g = Conv2dGeometry(n: 1, c: 8, h: 4, w: 4, o: 8, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(g.forwardPath, .paddingFree)
    XCTAssertLessThan(2 * g.o * g.kc * g.outPixels, channelSplitMinFLOPs)
    XCTAssertFalse(g.splitsForwardByChannels)
    XCTAssertEqual(g.forwardSplit, .single)
  }
}
