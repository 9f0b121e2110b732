// Autograd behaviour: accumulation, detach, no-grad mode, graph release, deep graphs, memory.
import XCTest

@testable import TensorEngine

final class AutogradTests: XCTestCase {
  func testGradientsAccumulateAcrossBackwardCalls() {
    let x = Tensor([1, 2, 3], shape: [3], requiresGrad: true)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    // d/dx (x² + 3x) = 2x + 3
    XCTAssertEqual(x.grad!.values, [5, 7, 9])
    x.zeroGrad()
    XCTAssertNil(x.grad)
  }

  func testTensorUsedTwiceSumsItsGradients() {
    let x = Tensor([2], shape: [1], requiresGrad: true)
    let y = x * x * x  // 3x² = 12
    y.sum().backward()
    XCTAssertEqual(x.grad!.item, 12, accuracy: 1e-6)
  }

  func testDetachStopsGradient() {
    let x = Tensor([2], shape: [1], requiresGrad: true)
    let y = x * x.detached()
    y.sum().backward()
    XCTAssertEqual(x.grad!.item, 2, accuracy: 1e-6)
  }

  func testNoGradRecordsNothing() {
    let x = Tensor([1, 2], shape: [2], requiresGrad: true)
    let y = withNoGrad { (x * x).exp() }
    XCTAssertFalse(y.requiresGrad)
    XCTAssertNil(y.node)
    XCTAssertTrue(GradMode.isEnabled)
  }

  func testGraphIsReleasedAfterBackward() {
    let x = Tensor([1, 2], shape: [2], requiresGrad: true)
    let y = (x * x).sum()
    y.backward()
    XCTAssertNil(y.node)
  }

  func testDeepGraphDoesNotOverflowTheStack() {
    let x = Tensor([1], shape: [1], requiresGrad: true)
    var y = x
    for _ in 0..<100_000 { y = y * 1.0 }
    y.sum().backward()
    XCTAssertEqual(x.grad!.item, 1, accuracy: 1e-6)
  }

  func testUndifferentiatedGraphsAreFreed() {
    // Graphs that are built but never differentiated must not leak (no retain cycles).
    let live = MemoryStats.liveBytes
    do {
      let x = Tensor(zeros: [256, 256], requiresGrad: true)
      for _ in 0..<10 { _ = ((x * 2).relu() + x).sum() }
    }
    XCTAssertEqual(MemoryStats.liveBytes, live)
  }

  func testMemoryStaysFlatOverTrainingSteps() {
    // A small conv + linear model: tensor memory after step 1,000 equals that after step 100.
    var rng = SeededRNG(seed: 1)
    let conv = Conv2d(3, 8, kernel: 3, padding: 1, rng: &rng)
    let fc = Linear(8 * 8 * 8, 4, rng: &rng)
    let opt = Adam(conv.namedParameters() + fc.namedParameters(prefix: "fc."), lr: 1e-3)
    let x = Tensor.normal([4, 3, 8, 8], rng: &rng)
    let target = Tensor.normal([4, 4], rng: &rng)
    var at100 = 0
    var rss100 = 0
    var at1000 = 0
    var rss1000 = 0
    for step in 1...1000 {
      opt.zeroGrad()
      let h = conv(x).instanceNorm().relu().reshaped([4, -1])
      let loss = Tensor.mseLoss(fc(h), target)
      loss.backward()
      opt.step()
      if step == 100 {
        at100 = MemoryStats.liveBytes
        rss100 = MemoryStats.processMemory().rss
      }
      if step == 1000 {
        at1000 = MemoryStats.liveBytes
        rss1000 = MemoryStats.processMemory().rss
      }
    }
    XCTAssertEqual(at1000, at100, "tensor memory after step 1,000 vs step 100")
    XCTAssertLessThanOrEqual(Double(rss1000), Double(rss100) * 1.05, "RSS grew from \(rss100) to \(rss1000)")
  }

  func testShapeErrorsAreCaughtBeforeComputing() {
    XCTAssertNil(broadcastShape([2, 3], [4]))
    XCTAssertEqual(broadcastShape([2, 1, 4], [3, 1]), [2, 3, 4])
  }
}
