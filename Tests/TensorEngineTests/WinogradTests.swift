// The Winograd paths, F(2×2, 3×3) and F(4×4, 3×3): PyTorch's fixtures forced through each, agreement with im2col +
// sgemm on ragged shapes (odd sizes: partial edge tiles; padding 0, 1; chunks that end inside
// an image; 1 and 2 workers; AVX2 and AVX-512 transforms), finite differences, and its error
// against a float64 reference on the models' 3×3 shapes.
import CKernels
import TestSupport
import XCTest

@testable import TensorEngine

final class WinogradTests: XCTestCase {
  override func tearDown() {
    convWinograd = .auto
    conv2dKernelChoice = .auto
    lm_conv_allow_avx512(1)
    engineThreads = 2
    (winogradChunkFloats, winogradMinChunkTiles) = (1 << 20, 256)
    winogradAutoAllowsF4 = true
  }

  func testForcedWinogradMatchesPyTorchFixtures() throws {
    for mode in [WinogradChoice.f2, .f4] {
      convWinograd = mode
      let f = try FixtureFile("conv2d")
      var winogradCases = 0
      try forEachCase(f, expected: 10) { c in
        let stride = try f.int(c, "stride")
        let pad = try f.int(c, "padding")
        let x = try f.tensor(c, "x", requiresGrad: true)
        let w = try f.tensor(c, "w", requiresGrad: true)
        let b = f.has(c, "b") ? try f.tensor(c, "b", requiresGrad: true) : nil
        let g = Conv2dGeometry(
          n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3], o: w.shape[0], kh: w.shape[2], kw: w.shape[3],
          stride: stride, pad: pad)
        if g.usesWinogradForward { winogradCases += 1 }
        let out = Tensor.conv2d(x, weight: w, bias: b, stride: stride, padding: pad)
        assertClose(out, try f.tensor(c, "out"), fixtureTol, "\(c) \(mode) out")
        out.backward(try f.tensor(c, "gout"))
        assertClose(x.grad, try f.tensor(c, "grad_x"), fixtureTol, "\(c) \(mode) grad_x")
        assertClose(w.grad, try f.tensor(c, "grad_w"), fixtureTol, "\(c) \(mode) grad_w")
      }
      XCTAssertGreaterThan(winogradCases, 0, "no conv2d fixture case took the Winograd path (\(mode))")
    }
  }

  func testWinogradAgreesWithGEMMOnRaggedShapes() {
    // (c, o, h, w, pad): odd sizes leave half-empty edge tiles; pad 0 gives the input gradient
    // padding 2; 1×1 and 2×2 maps are a single, mostly empty tile.
    let shapes = [
      (5, 7, 9, 13, 1), (16, 24, 8, 8, 1), (3, 4, 7, 6, 0), (12, 9, 11, 5, 0), (2, 3, 1, 1, 1), (4, 6, 2, 3, 1),
      (33, 17, 16, 15, 1), (64, 32, 40, 40, 1),
    ]
    // Small chunks: runs of tile rows end inside images and chunks span images. 64 → 32 at
    // 40×40: im2col's tiles are parts of an image (the within-sample split must not hand those
    // to Winograd).
    for tile in [WinogradChoice.f2, .f4] {
      for (c, o, h, w, pad) in shapes {
        let x = randn([3, c, h, w], seed: 41)
        let wt = randn([o, c, 3, 3], seed: 42)
        let b = randn([o], seed: 43)
        let ho = h + 2 * pad - 2
        let wo = w + 2 * pad - 2
        let gout = randn([3, o, ho, wo], seed: 44)
        func run(_ mode: WinogradChoice, wide: Int32, threads: Int, chunk: Int) -> [Tensor] {
          convWinograd = mode
          lm_conv_allow_avx512(wide)
          engineThreads = threads
          (winogradChunkFloats, winogradMinChunkTiles) = (chunk, 1)
          defer { convWinograd = .auto }
          let (y, gx, gw) = WinogradErrorTests.convPasses(x, wt, b, gout, pad: pad)
          return [y, gx, gw]
        }
        let reference = run(.off, wide: 1, threads: 2, chunk: 1 << 20)
        // 4 threads over 3 images: the within-sample split (output-channel slices per worker).
        let cases = [
          (Int32(1), 2, 1 << 20), (0, 1, 1 << 20), (1, 2, 36 * Swift.max(c, o) * 3), (0, 2, 1), (1, 4, 1 << 20), (0, 4, 1),
        ]
        for (wide, threads, chunk) in cases {
          let r = run(tile, wide: wide, threads: threads, chunk: chunk)
          for k in 0..<3 {
            assertClose(
              r[k], reference[k], .scaled(1e-5),
              "\(tile) c\(c) o\(o) \(h)x\(w) pad \(pad) avx512 \(wide) threads \(threads) chunk \(chunk) tensor \(k)")
          }
        }
      }
    }
  }

  func testF4WithinSampleSplitAtARaggedSplit() {
    // Batch 1 on 3 workers: 13 output channels in slices of 4, 4, 5 (the input gradient: 40 in
    // slices of 13, 13, 14), each worker transforming the whole input. sgemm's bits depend on
    // the slice's size and F(4×4)'s output transform multiplies such differences (up to 8·8),
    // so: against one worker at 1e-5, against float64 at F(4×4)'s bound.
    convWinograd = .f4
    let (c, o, s) = (40, 13, 18)
    let x = randn([1, c, s, s], seed: 81)
    let wt = randn([o, c, 3, 3], seed: 82, scale: Float(1 / (9 * Double(c)).squareRoot()))
    let b = randn([o], seed: 83, scale: 0.1)
    let gout = randn([1, o, s, s], seed: 84)
    func run(threads: Int) -> [Tensor] {
      engineThreads = threads
      let (y, gx, gw) = WinogradErrorTests.convPasses(x, wt, b, gout, pad: 1)
      return [y, gx, gw]
    }
    let one = run(threads: 1)
    ConvProfile.reset()
    ConvProfile.enabled = true
    let split = run(threads: 3)
    ConvProfile.enabled = false
    let rows = ConvProfile.entries.map { "\($0.pass.rawValue) \($0.kernel) \($0.split)" }.sorted()
    XCTAssertEqual(rows, ["backward winograd4/winograd4 chan×3/chan×3", "forward winograd4 chan×3"])
    let ref = SampledConvReference(x: x, w: wt, b: b, gout: gout, pad: 1, samples: 1 << 30)
    let errors = [ref.forwardError(split[0]), ref.inputGradError(split[1]), ref.weightGradError(split[2])]
    for k in 0..<3 {
      assertClose(split[k], one[k], .scaled(1e-5), "tensor \(k) split over 3 workers vs one")
      XCTAssertTrue(errors[k].scaled <= winogradF4ErrorBound, "tensor \(k) split over 3 workers vs float64: \(errors[k].scaled)")
    }
  }

  func testFiniteDifferencesThroughWinograd() {
    // F(4×4)'s float32 forward rounds ~10× more than F(2×2)'s, and the difference quotient
    // divides that by h: 5e-3 for it (measured 2.5e-3 at most); the float64 per-pass test in
    // WinogradErrorTests is its precise check.
    for (mode, tol) in [(WinogradChoice.f2, 2e-3), (.f4, 5e-3)] {
      convWinograd = mode
      for pad in [0, 1] {
        gradCheck(
          "winograd \(mode) conv p\(pad)", [randn([2, 3, 7, 6], seed: 50), randn([4, 3, 3, 3], seed: 51), randn([4], seed: 52)],
          tol: tol
        ) {
          Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: 1, padding: pad)
        }
      }
    }
  }

  func testAutoChoosesWinogradOnlyWhereItWins() {
    let wide = Conv2dGeometry(n: 8, c: 128, h: 32, w: 32, o: 128, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertTrue(wide.usesWinogradForward)
    // F(4×4) from 16 px forward (and input gradient), from 32 px for the weight gradient.
    XCTAssertEqual(wide.forwardKernel, "winograd4")
    XCTAssertEqual(wide.backwardKernel, "winograd4/winograd4")
    let sixteen = Conv2dGeometry(n: 8, c: 128, h: 16, w: 16, o: 128, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(sixteen.forwardKernel + " " + sixteen.backwardKernel, "winograd4 winograd4/winograd")
    winogradAutoAllowsF4 = false  // auto as it was with F(2×2) alone
    XCTAssertEqual(wide.forwardKernel + " " + wide.backwardKernel, "winograd winograd/winograd")
    winogradAutoAllowsF4 = true
    let thin = Conv2dGeometry(n: 8, c: 3, h: 64, w: 64, o: 8, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertFalse(thin.usesWinogradForward)
    // Few channels stay on the direct kernel where it has one; 8×8 maps keep im2col forward.
    let direct = Conv2dGeometry(n: 8, c: 64, h: 32, w: 32, o: 64, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(direct.forwardKernel, directConvAvailable ? "direct" : "winograd")
    let small = Conv2dGeometry(n: 8, c: 128, h: 8, w: 8, o: 128, kh: 3, kw: 3, stride: 1, pad: 1)
    XCTAssertEqual(small.forwardKernel, "gemm")
    XCTAssertEqual(small.backwardKernel, "gemm/winograd")
    let strided = Conv2dGeometry(n: 8, c: 64, h: 32, w: 32, o: 64, kh: 3, kw: 3, stride: 2, pad: 1)
    XCTAssertFalse(strided.usesWinogradForward)
    convWinograd = .off
    XCTAssertNotEqual(wide.forwardKernel, "winograd")
    XCTAssertEqual(WinogradChoice.parse("0"), .off)
    XCTAssertEqual(WinogradChoice.parse("1"), .on)
    XCTAssertEqual(WinogradChoice.parse("1"), .f2)  // `1` kept its meaning: F(2×2) wherever eligible
    XCTAssertEqual(WinogradChoice.parse("2"), .f2)
    XCTAssertEqual(WinogradChoice.parse("4"), .f4)
    XCTAssertEqual(WinogradChoice.parse(nil), .auto)
    // Forced F(4×4): every eligible shape, named in the profile; strided convs keep their path.
    convWinograd = .f4
    XCTAssertEqual(small.forwardKernel, "winograd4")
    XCTAssertEqual(small.backwardKernel, "winograd4/winograd4")
    XCTAssertEqual(thin.forwardKernel, "winograd4")
    XCTAssertFalse(strided.usesWinogradForward)
    convWinograd = .f2
    XCTAssertEqual(small.backwardKernel, "winograd/winograd")
  }
}
