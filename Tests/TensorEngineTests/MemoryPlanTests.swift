// The memory plan (issue 28): the graph keeps only what backward closures need, backward
// drops each node's saved tensors and incoming gradient as soon as it has run, activations keep
// bit masks, frozen convs keep no input; and the census that finds what holds the peak.
import XCTest

@testable import TensorEngine

final class MemoryPlanTests: XCTestCase {
  override func tearDown() { _ = MemoryStats.stopCensus() }

  func testIntermediatesNobodyNeedsAreFreedAfterTheForwardPass() {
    // x → ×2 → relu → ×3 → relu: scale needs nothing saved, relu one bit per element, so of
    // the four 256 KB outputs only the last (held here) stays, with two 8 KB masks.
    let x = Tensor(repeating: 1, shape: [256, 256], requiresGrad: true)
    let before = MemoryStats.liveBytes
    let y = ((x * 2).relu() * 3).relu()
    let held = MemoryStats.liveBytes - before
    let oneTensor = x.count * 4
    XCTAssertEqual(held, oneTensor + 2 * oneTensor / 32, "bytes the graph holds after the forward pass")
    y.sum().backward()
    XCTAssertEqual(x.grad?.values.first, 6)
  }

  func testBackwardDropsEachNodesSavedTensorsAsSoonAsItHasRun() {
    // Two ops that each save a 1 MB storage: when the first op's backward runs, the second's
    // (run before it) has released what it saved, and nothing is left after backward returns.
    let x = Tensor(repeating: 1, shape: [4], requiresGrad: true)
    weak var savedBySecond: TensorStorage?
    var secondSavedAliveDuringFirst: Bool?
    func op(_ input: Tensor, _ name: String, onBackward: @escaping () -> Void) -> (Tensor, TensorStorage) {
      let saved = TensorStorage(zeros: 1 << 18)
      let out = TensorStorage(count: input.count)
      out.pointer.update(from: input.data, count: input.count)
      let t = Tensor.result(name, shape: input.shape, storage: out, inputs: [input]) { g in
        _ = saved
        onBackward()
        return [g]
      }
      return (t, saved)
    }
    let live = MemoryStats.liveBytes
    var y: Tensor?
    do {
      let (a, _) = op(x, "first") { secondSavedAliveDuringFirst = savedBySecond != nil }
      let (b, s2) = op(a, "second") {}
      savedBySecond = s2
      y = b
    }
    XCTAssertNotNil(savedBySecond, "the graph keeps the second op's saved storage until backward")
    y!.sum().backward()
    XCTAssertEqual(secondSavedAliveDuringFirst, false, "the second op's saved storage outlived its backward")
    y = nil
    XCTAssertEqual(MemoryStats.liveBytes - live, x.count * 4, "after backward only x.grad remains")
  }

  func testAReleasedGraphStopsASecondBackward() {
    // An intermediate the caller kept is cut from its released graph: a new graph through it
    // sends no gradient further (and does not crash).
    let x = Tensor([1, 2], shape: [2], requiresGrad: true)
    let mid = x * x
    mid.sum().backward()
    XCTAssertEqual(x.grad?.values, [2, 4])
    x.zeroGrad()
    (mid * 3).sum().backward()
    XCTAssertNil(x.grad)
    // retainGraph keeps it for a second pass.
    let kept = x * x
    kept.sum().backward(retainGraph: true)
    kept.sum().backward()
    XCTAssertEqual(x.grad?.values, [4, 8])
  }

  func testAnOpsBackwardOwnsWhatItReads() {
    // softmax's backward reads its output; when the next op keeps nothing (a scale), only the
    // closure holds that output. Freed memory is refilled with NaN before backward runs: a
    // closure reading a storage it does not own would see it.
    let x = randn([4, 64, 64], seed: 9)
    func gradient(_ f: (Tensor) -> Tensor) -> [Float] {
      let xi = x.copy()
      xi.requiresGrad = true
      let y = f(xi)
      let junk = (0..<8).map { _ in Tensor(repeating: .nan, shape: x.shape) }
      y.backward(randn(y.shape, seed: 10))
      _ = junk
      return xi.grad!.values
    }
    let direct = gradient { $0.softmax(axis: 1) * 3 }
    let kept = gradient { t in
      let s = t.softmax(axis: 1)
      return s * Tensor(repeating: 3, shape: s.shape)  // mul keeps its operands, so s as well
    }
    XCTAssertFalse(direct.contains { $0.isNaN }, "softmax's backward read freed memory")
    XCTAssertEqual(direct, kept)
  }

  func testActivationMasksGiveTheFloatFormulasGradientsBitForBit() {
    // Lengths around the 32-bit word edges, values on both sides of each kink, signed zeros,
    // NaN and infinities in the input and in the incoming gradient.
    var rng = SeededRNG(seed: 7)
    for n in [1, 31, 32, 33, 70] {
      let x = Tensor.normal([n], std: 4, rng: &rng)
      let special: [Float] = [0, -0.0, 6, .nan, .infinity, -.infinity, 5.999, 1e-40, -1e-40]
      for (i, v) in special.enumerated() where i < n { x.data[(i * 7) % n] = v }
      let g = Tensor.normal([n], rng: &rng)
      for i in Swift.stride(from: 0, to: n, by: 5) { g.data[i] = [-0.0, .infinity, .nan, -3][i / 5 % 4] }
      func check(_ name: String, _ f: (Tensor) -> Tensor, _ d: (Float) -> Float) {
        let xi = x.copy()
        xi.requiresGrad = true
        f(xi).backward(g)
        for i in 0..<n {
          let expected = g.data[i] * d(x.data[i])
          XCTAssertEqual(
            xi.grad!.data[i].bitPattern, expected.bitPattern,
            "\(name) n \(n) element \(i): x \(x.data[i]), g \(g.data[i]): \(xi.grad!.data[i]) vs \(expected)")
        }
      }
      check("relu", { $0.relu() }) { $0 > 0 ? 1 : 0 }
      check("leaky_relu", { $0.leakyRelu(0.2) }) { $0 > 0 ? 1 : 0.2 }
      check("relu6", { $0.relu6() }) { $0 > 0 && $0 < 6 ? 1 : 0 }
    }
  }

  func testAFrozenConvKeepsNoInputAndGivesTheSameInputGradient() {
    let x = randn([2, 3, 9, 9], seed: 1)
    let w = randn([4, 3, 3, 3], seed: 2)
    let b = randn([4], seed: 3)
    let gout = randn([2, 4, 9, 9], seed: 4)
    func inputGradient(trainable: Bool) -> (grad: [Float], inputKept: Bool) {
      let (wi, bi) = (w.copy(), b.copy())
      (wi.requiresGrad, bi.requiresGrad) = (trainable, trainable)
      weak var input: TensorStorage?
      let xi = x.copy()
      xi.requiresGrad = true
      var y: Tensor
      do {
        let h = xi * 1  // an intermediate only the conv could keep
        input = h.storage
        y = Tensor.conv2d(h, weight: wi, bias: bi, stride: 1, padding: 1)
      }
      let kept = input != nil
      y.backward(gout)
      XCTAssertEqual(wi.grad == nil, !trainable)
      return (xi.grad!.values, kept)
    }
    let frozen = inputGradient(trainable: false)
    let trained = inputGradient(trainable: true)
    XCTAssertFalse(frozen.inputKept, "a frozen conv kept its input for backward")
    XCTAssertTrue(trained.inputKept, "a trainable conv needs its input for the weight gradient")
    XCTAssertEqual(frozen.grad.map(\.bitPattern), trained.grad.map(\.bitPattern))
  }

  func testTheCensusNamesWhatHoldsThePeak() {
    let x = Tensor(repeating: 1, shape: [64, 64], requiresGrad: true)
    let liveBefore = MemoryStats.liveBytes
    MemoryStats.startCensus()
    let w = Tensor(repeating: 1, shape: [64, 64], requiresGrad: true)
    let y = (x.matmul(w) * 2).relu()
    y.sum().backward()
    let c = MemoryStats.stopCensus()
    let rows = Dictionary(uniqueKeysWithValues: c.byOrigin.map { ($0.origin, $0.bytes) })
    XCTAssertEqual(c.before, liveBefore, "storages from before the census, all alive at the peak")
    XCTAssertEqual(rows["relu"], y.count * 4, "relu's output is alive at the peak: \(rows)")
    // The peak falls while matmul's backward makes x's and w's gradients (not yet returned,
    // so not yet billed), its incoming gradient (from scale) still alive; relu's mask is gone.
    XCTAssertEqual(c.phase, "backward of matmul")
    XCTAssertEqual(rows[MemoryStats.unclaimed], 3 * w.count * 4, "w and the two gradients being made: \(rows)")
    XCTAssertEqual(rows["∂ scale"], y.count * 4, "gradients are billed to the op that returned them: \(rows)")
  }
}
