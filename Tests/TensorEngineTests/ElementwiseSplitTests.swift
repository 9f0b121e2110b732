// The engine's thread split of the non-conv ops (Kernels/Parallel.swift): elementwise ops and
// their gradients, same-shape and scalar binary ops, softmax rows and resize planes run in
// contiguous ranges over the workers. Each element (or row, or plane) is computed exactly as
// on one worker, so at 1, 2 and 3 workers (3 catches an off-by-one in the range bounds)
// forward and backward are the same bits. The tensors are a few grains long so that they
// really split (asserted); a tiny one stays on one worker.
import TestSupport
import XCTest

@testable import TensorEngine

final class ElementwiseSplitTests: XCTestCase {
  private var savedThreads = engineThreads

  override func setUp() { savedThreads = engineThreads }
  override func tearDown() { engineThreads = savedThreads }

  /// Fails at the first element whose bits differ, naming it and both values.
  func assertSameBits(_ a: Tensor?, _ e: Tensor?, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let a, let e else { return XCTFail("\(label): no value", file: file, line: line) }
    XCTAssertEqual(a.shape, e.shape, label, file: file, line: line)
    let (av, ev) = (a.values, e.values)
    for i in 0..<Swift.min(av.count, ev.count) where av[i].bitPattern != ev[i].bitPattern {
      return XCTFail("\(label): element \(i) is \(av[i]), one worker gave \(ev[i])", file: file, line: line)
    }
  }

  /// Output and input gradients of `op` at one worker, then at 2 and 3, compared bit for bit.
  func check(_ name: String, _ inputs: [Tensor], _ op: ([Tensor]) -> Tensor) {
    func run() -> [Tensor?] {
      let xs = inputs.map { t -> Tensor in
        let c = t.copy()
        c.requiresGrad = true
        return c
      }
      let y = op(xs)
      y.backward(randn(y.shape, seed: 99))
      return [y.detached()] + xs.map { $0.grad }
    }
    engineThreads = 1
    let one = run()
    for threads in [2, 3] {
      engineThreads = threads
      let r = run()
      for (i, part) in ["out", "grad 0", "grad 1"].prefix(r.count).enumerated() {
        assertSameBits(r[i], one[i], "\(name) threads \(threads) \(part)")
      }
    }
  }

  // 3 grains and a bit: splits at 2 and 3 workers, with uneven range ends.
  let n = 3 * elementwiseGrain + 37

  func testSplitsHappenAndTinyTensorsStayOnOneWorker() {
    engineThreads = 3
    XCTAssertEqual(rangeWorkers(n, minPerWorker: elementwiseGrain), 3)
    engineThreads = 2
    XCTAssertEqual(rangeWorkers(n, minPerWorker: elementwiseGrain), 2)
    XCTAssertEqual(rangeWorkers(elementwiseGrain + 5, minPerWorker: elementwiseGrain), 1)
    XCTAssertEqual(rangeWorkers(100, minPerWorker: elementwiseGrain), 1)
  }

  func testUnaryOpsAndTheirGradientsGiveOneWorkersBits() {
    let x = randn([n], seed: 1, scale: 3)
    let positive = randn([n], seed: 2).abs() + 0.1
    check("relu", [x]) { $0[0].relu() }
    check("relu6", [x.scaled(3)]) { $0[0].relu6() }
    check("leaky_relu", [x]) { $0[0].leakyRelu(0.2) }
    check("sigmoid", [x]) { $0[0].sigmoid() }
    check("tanh", [x]) { $0[0].tanh() }
    check("exp", [x]) { $0[0].exp() }
    check("log", [positive]) { $0[0].log() }
    check("sqrt", [positive]) { $0[0].sqrt() }
    check("square", [x]) { $0[0].pow(2) }
    check("pow 1.5", [positive]) { $0[0].pow(1.5) }
    check("abs", [x]) { $0[0].abs() }
    check("scale", [x]) { $0[0].scaled(-1.7) }
    check("shift", [x]) { $0[0].shifted(0.3) }
  }

  func testBinaryOpsGiveOneWorkersBits() {
    let a = randn([2, 3, n / 6], seed: 3)
    let b = randn([2, 3, n / 6], seed: 4).abs() + 0.5
    check("add", [a, b]) { $0[0] + $0[1] }
    check("sub", [a, b]) { $0[0] - $0[1] }
    check("mul", [a, b]) { $0[0] * $0[1] }
    check("div", [a, b]) { $0[0] / $0[1] }
    check("mul by a scalar tensor", [a, randn([1], seed: 5)]) { $0[0] * $0[1] }
  }

  func testSoftmaxRowsGiveOneWorkersBits() {
    // Over the last axis (landmark heatmaps: rows of positions), and a middle axis (strided rows).
    check("softmax last", [randn([3, 7, 40, 41], seed: 6, scale: 2)]) { $0[0].softmax(axis: -1) }
    check("softmax middle", [randn([2, 5, 90, 70], seed: 7, scale: 2)]) { $0[0].softmax(axis: 1) }
    check("softmax flat", [randn([1, 3, 32 * 32 * 20], seed: 8, scale: 2)]) { $0[0].softmax(axis: -1) }
  }

  func testResizePlanesGiveOneWorkersBits() {
    let x = randn([1, 24, 33, 31], seed: 9)
    check("bilinear up", [x]) { $0[0].resizedBilinear(height: 66, width: 62, alignCorners: false) }
    check("bilinear up aligned", [x]) { $0[0].resizedBilinear(height: 65, width: 61, alignCorners: true) }
    check("bilinear down", [randn([2, 10, 90, 90], seed: 10)]) {
      $0[0].resizedBilinear(height: 45, width: 30, alignCorners: false)
    }
    check("nearest up", [x]) { $0[0].resizedNearest(height: 66, width: 93) }
    check("nearest down", [randn([2, 10, 90, 90], seed: 11)]) { $0[0].resizedNearest(height: 45, width: 30) }
  }
}
