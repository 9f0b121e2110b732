// A whole batch-1 decode (heatmaps → appearance projection → SPADE generator) on 1 and on 2
// engine threads: at batch 1 every conv splits within the sample (channel slices or fixed
// pixel tiles) and the elementwise, softmax and resize ops split in ranges. Same frames within
// 1e-5 of their scale (not bit for bit: OpenBLAS's sums depend on a product's size).
import Landmarks
import TensorEngine
import TestSupport
import XCTest

@testable import Dynamics

final class DecodeThreadsTests: XCTestCase {
  func testBatchOneDecodeOnOneAndTwoThreadsAgrees() throws {
    let saved = engineThreads
    defer { EngineThreads.apply(saved) }
    // 64 px with a few channels: the late layers ([1, 8, 64, 64]) are large enough to split.
    var c = ModelConfig()
    (c.imgSize, c.nLandmarks, c.nsf, c.naf, c.ngc, c.nFilters, c.poseDecoderChannels, c.spadeHidden) = (
      64, 5, 2, 2, 16, 8, [16, 16, 16], 16
    )
    var rng = SeededRNG(seed: 3)
    let model = try LandmarkModel(config: c, rng: &rng)
    let decoder = StateDecoder(model: model, floor: 1e-3, batch: 1)
    let images = Tensor.uniform([1, 3, 64, 64], -1, 1, rng: &rng)
    let states = decoder.encode(Tensor.uniform([2, 3, 64, 64], -1, 1, rng: &rng))
    func decode(threads: Int) -> [Float] {
      EngineThreads.apply(threads)
      let source = decoder.appearance(of: images)
      return decoder.decode(states, appearance: source, appearanceIndex: [0, 0]).values
    }
    let one = decode(threads: 1)
    let two = decode(threads: 2)
    XCTAssertEqual(one.count, 2 * 3 * 64 * 64)
    assertAllFinite(one, "decoded on one thread")
    // The elementwise, softmax and resize ops and the direct and padding-free convs give one
    // thread's bits (their own tests); the sgemm-based convs (Winograd and im2col slices of
    // output channels or pixel tiles) move by ulps, which the network's depth adds up.
    let c12 = assertClose(two, one, .scaled(1e-5), "batch-1 decode, 2 threads against 1")
    print("batch-1 decode, 2 threads against 1: \(c12)")
  }
}
