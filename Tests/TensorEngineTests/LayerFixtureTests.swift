// Stateful layers and the optimizer against PyTorch: spectral norm, LSTM, ConvLSTM cell, Adam.
import TestSupport
import XCTest

@testable import TensorEngine

final class LayerFixtureTests: XCTestCase {
  func testSpectralNorm() throws {
    let f = try FixtureFile("spectral_norm")
    try forEachCase(f, expected: 3) { c in
      let w = try f.tensor(c, "weight_orig")
      var rng = SeededRNG(seed: 0)
      let sn = SpectralNormConv2d(w.shape[1], w.shape[0], kernel: w.shape[2], rng: &rng)
      try sn.loadStateDict([
        "weight_orig": w, "weight_u": try f.tensor(c, "u"), "weight_v": try f.tensor(c, "v"), "bias": sn.bias!,
      ])
      sn.train()
      let out = sn.normalizedWeight()
      assertClose(out, try f.tensor(c, "out_weight"), fixtureTol, "\(c) weight")
      assertClose(sn.weightU, try f.tensor(c, "out_u"), fixtureTol, "\(c) u")
      assertClose(sn.weightV, try f.tensor(c, "out_v"), fixtureTol, "\(c) v")
      out.backward(try f.tensor(c, "gout_weight"))
      assertClose(sn.weightOrig.grad, try f.tensor(c, "grad_weight_orig"), fixtureTol, "\(c) grad_weight_orig")
    }
  }

  func testLSTM() throws {
    let f = try FixtureFile("lstm")
    try forEachCase(f, expected: 2) { c in
      let (inF, hid, layers) = (try f.int(c, "input_size"), try f.int(c, "hidden_size"), try f.int(c, "num_layers"))
      var rng = SeededRNG(seed: 0)
      let lstm = LSTM(inputSize: inF, hiddenSize: hid, numLayers: layers, rng: &rng)
      var dict: [String: Tensor] = [:]
      for (name, _) in lstm.namedParameters() { dict[name] = try f.tensor(c, name) }
      try lstm.loadStateDict(dict)
      let x = try f.tensor(c, "x", requiresGrad: true)
      let h0 = try f.tensor(c, "h0", requiresGrad: true)
      let c0 = try f.tensor(c, "c0", requiresGrad: true)
      let (out, state) = lstm(x, lstm.state(h0: h0, c0: c0))
      let hN = Tensor.concat(state.h.map { $0.reshaped([1] + $0.shape) }, axis: 0)
      let cN = Tensor.concat(state.c.map { $0.reshaped([1] + $0.shape) }, axis: 0)
      assertClose(out, try f.tensor(c, "out_output"), fixtureTol, "\(c) output")
      assertClose(hN, try f.tensor(c, "out_h"), fixtureTol, "\(c) h")
      assertClose(cN, try f.tensor(c, "out_c"), fixtureTol, "\(c) c")
      let loss = (out * (try f.tensor(c, "gout_output"))).sum() + (hN * (try f.tensor(c, "gout_h"))).sum()
        + (cN * (try f.tensor(c, "gout_c"))).sum()
      loss.backward()
      assertClose(x.grad, try f.tensor(c, "grad_x"), fixtureTol, "\(c) grad_x")
      assertClose(h0.grad, try f.tensor(c, "grad_h0"), fixtureTol, "\(c) grad_h0")
      assertClose(c0.grad, try f.tensor(c, "grad_c0"), fixtureTol, "\(c) grad_c0")
      for (name, p) in lstm.namedParameters() {
        assertClose(p.grad, try f.tensor(c, "grad_\(name)"), fixtureTol, "\(c) grad_\(name)")
      }
    }
  }

  /// Two steps from the zero state (step 1's state fed to step 2), loaded through the cell's
  /// state-dict names; values of h and c after each step, gradients of the parameters and inputs.
  func testConvLSTMCell() throws {
    let f = try FixtureFile("conv_lstm")
    try forEachCase(f, expected: 1) { c in
      var rng = SeededRNG(seed: 0)
      let cell = ConvLSTMCell(
        inputChannels: try f.int(c, "input_channels"), hiddenChannels: try f.int(c, "hidden_channels"),
        kernel: try f.int(c, "kernel"), rng: &rng)
      try cell.loadStateDict(["conv.weight": try f.tensor(c, "weight"), "conv.bias": try f.tensor(c, "bias")])
      let x1 = try f.tensor(c, "x1", requiresGrad: true)
      let x2 = try f.tensor(c, "x2", requiresGrad: true)
      let s1 = cell(x1, nil)
      let s2 = cell(x2, s1)
      let outputs = ["h1": s1.h, "c1": s1.c, "h2": s2.h, "c2": s2.c]
      var loss: Tensor?
      for (name, t) in outputs.sorted(by: { $0.key < $1.key }) {
        assertClose(t, try f.tensor(c, "out_\(name)"), fixtureTol, "\(c) \(name)")
        let term = (t * (try f.tensor(c, "gout_\(name)"))).sum()
        loss = loss.map { $0 + term } ?? term
      }
      loss!.backward()
      assertClose(x1.grad, try f.tensor(c, "grad_x1"), fixtureTol, "\(c) grad_x1")
      assertClose(x2.grad, try f.tensor(c, "grad_x2"), fixtureTol, "\(c) grad_x2")
      assertClose(cell.conv.weight.grad, try f.tensor(c, "grad_weight"), fixtureTol, "\(c) grad conv.weight")
      assertClose(cell.conv.bias!.grad, try f.tensor(c, "grad_bias"), fixtureTol, "\(c) grad conv.bias")
    }
  }

  /// The cell's parameters: the contract's names and shapes, PyTorch's Conv2d default range
  /// ±1/√fan_in (filled, not just bounded: the largest magnitude is near the bound).
  func testConvLSTMCellParametersAndInit() {
    var rng = SeededRNG(seed: 3)
    let cell = ConvLSTMCell(inputChannels: 5, hiddenChannels: 6, kernel: 5, rng: &rng)
    XCTAssertEqual(cell.namedParameters().map(\.0), ["conv.weight", "conv.bias"])
    XCTAssertEqual(cell.conv.weight.shape, [24, 11, 5, 5])
    XCTAssertEqual(cell.conv.bias?.shape, [24])
    let bound = 1 / Float(11 * 25).squareRoot()
    for (name, t) in cell.namedParameters() {
      let largest = t.values.map { Swift.abs($0) }.max()!
      XCTAssertLessThanOrEqual(largest, bound, "\(name): outside ±1/√fan_in")
      XCTAssertGreaterThan(largest, 0.8 * bound, "\(name): narrower than ±1/√fan_in")
    }
    // The zero state: h and c of the input's batch and size.
    let s = cell(Tensor(zeros: [2, 5, 3, 4]), nil)
    XCTAssertEqual(s.h.shape, [2, 6, 3, 4])
    XCTAssertEqual(s.c.shape, [2, 6, 3, 4])
  }

  func testAdamThreeSteps() throws {
    let f = try FixtureFile("adam")
    try forEachCase(f, expected: 3) { c in
      let p = try f.tensor(c, "param0", requiresGrad: true)
      let opt = Adam(
        [("p", p)], lr: Float(try f.double(c, "lr")), betas: (try f.double(c, "beta1"), try f.double(c, "beta2")),
        eps: Float(try f.double(c, "eps")), weightDecay: Float(try f.double(c, "weight_decay")))
      for step in 1...3 {
        p.grad = try f.tensor(c, "grad_step\(step)")
        opt.step()
        assertClose(p, try f.tensor(c, "param_step\(step)"), fixtureTol, "\(c) param step \(step)")
        assertClose(opt.expAvg[0], try f.tensor(c, "exp_avg_step\(step)"), fixtureTol, "\(c) exp_avg \(step)")
        assertClose(opt.expAvgSq[0], try f.tensor(c, "exp_avg_sq_step\(step)"), fixtureTol, "\(c) exp_avg_sq \(step)")
      }
    }
  }

  func testClipGradNormMatchesPyTorchRule() {
    let a = Tensor([3, 4], shape: [2], requiresGrad: true)
    a.grad = Tensor([3, 4], shape: [2])
    let norm = clipGradNorm([a], maxNorm: 1)
    XCTAssertEqual(norm, 5, accuracy: 1e-6)
    // coefficient 1 / (5 + 1e-6)
    XCTAssertEqual(a.grad!.values[0], 3 / (5 + 1e-6), accuracy: 1e-7)
    XCTAssertEqual(a.grad!.values[1], 4 / (5 + 1e-6), accuracy: 1e-7)
  }
}
