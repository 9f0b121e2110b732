// Every op's forward and backward against PyTorch (float64 references on float32 inputs).
// Each test states how many fixture cases it compares and fails when fewer were compared.
import TestSupport
import XCTest

@testable import TensorEngine

/// 1e-5 of the tensor's largest magnitude (the requirement): float32 kernels accumulate
/// rounding of ~1e-7 per term over sums of up to a few thousand terms.
let fixtureTol = Tolerance.scaled(1e-5)

/// Runs `body` on every case of `f` and asserts that exactly `expected` cases were compared
/// (a fixture regenerated with fewer cases, or a loop that compares nothing, fails).
func forEachCase(
  _ f: FixtureFile, expected: Int, file: StaticString = #filePath, line: UInt = #line, _ body: (String) throws -> Void
) rethrows {
  var compared = 0
  for c in f.cases {
    try body(c)
    compared += 1
  }
  XCTAssertEqual(compared, expected, "\(f.name): cases compared (\(f.cases))", file: file, line: line)
}

final class FixtureTests: XCTestCase {
  /// Runs `op` on the case's inputs, back-propagates `gout`, and compares `out` and each `grad_<name>`.
  /// Every input the case holds must have its reference gradient: a renamed key fails instead
  /// of leaving a gradient unchecked.
  func check(
    _ f: FixtureFile, _ c: String, inputs names: [String], tol: Tolerance = fixtureTol,
    _ op: ([String: Tensor]) throws -> Tensor
  ) throws {
    var inputs: [String: Tensor] = [:]
    for n in names where f.has(c, n) { inputs[n] = try f.tensor(c, n, requiresGrad: true) }
    XCTAssertFalse(inputs.isEmpty, "\(f.name)/\(c): none of the inputs \(names) is in the fixture")
    let out = try op(inputs)
    assertClose(out, try f.tensor(c, "out"), tol, "\(f.name)/\(c) out")
    var gout = try f.tensor(c, "gout")
    if gout.shape != out.shape { gout = gout.reshaped(out.shape) }
    out.backward(gout)
    for (n, t) in inputs.sorted(by: { $0.key < $1.key }) {
      guard f.has(c, "grad_\(n)") else {
        XCTFail("\(f.name)/\(c): input \(n) has no reference gradient grad_\(n)")
        continue
      }
      assertClose(t.grad, try f.tensor(c, "grad_\(n)"), tol, "\(f.name)/\(c) grad_\(n)")
    }
  }

  func testConv2d() throws {
    let f = try FixtureFile("conv2d")
    try forEachCase(f, expected: 10) { c in
      let stride = try f.int(c, "stride")
      let pad = try f.int(c, "padding")
      try check(f, c, inputs: ["x", "w", "b"]) { t in
        Tensor.conv2d(t["x"]!, weight: t["w"]!, bias: t["b"], stride: stride, padding: pad)
      }
    }
  }

  func testInstanceNorm() throws {
    let f = try FixtureFile("instance_norm")
    try forEachCase(f, expected: 4) { c in
      let eps = Float(try f.double(c, "eps"))
      try check(f, c, inputs: ["x"]) { $0["x"]!.instanceNorm(eps: eps) }
    }
  }

  func testBilinear() throws {
    let f = try FixtureFile("bilinear")
    try forEachCase(f, expected: 8) { c in
      let (h, w, ac) = (try f.int(c, "out_h"), try f.int(c, "out_w"), try f.int(c, "align_corners") != 0)
      try check(f, c, inputs: ["x"]) { $0["x"]!.resizedBilinear(height: h, width: w, alignCorners: ac) }
    }
  }

  func testNearest() throws {
    let f = try FixtureFile("nearest")
    try forEachCase(f, expected: 3) { c in
      let (h, w) = (try f.int(c, "out_h"), try f.int(c, "out_w"))
      try check(f, c, inputs: ["x"]) { $0["x"]!.resizedNearest(height: h, width: w) }
    }
  }

  func testAvgPool2d() throws {
    let f = try FixtureFile("avg_pool2d")
    try forEachCase(f, expected: 7) { c in
      let (k, s, p) = (try f.int(c, "kernel"), try f.int(c, "stride"), try f.int(c, "padding"))
      let include = try f.int(c, "count_include_pad") != 0
      try check(f, c, inputs: ["x"]) { $0["x"]!.avgPool2d(kernel: k, stride: s, padding: p, countIncludePad: include) }
    }
  }

  func testSoftmax() throws {
    let f = try FixtureFile("softmax")
    try forEachCase(f, expected: 2) { c in
      let axis = try f.int(c, "axis")
      try check(f, c, inputs: ["x"]) { $0["x"]!.softmax(axis: axis) }
    }
  }

  func testElementwise() throws {
    let f = try FixtureFile("elementwise")
    try forEachCase(f, expected: 26) { c in
      try check(f, c, inputs: ["a", "b", "x"]) { t in
        switch c {
        case _ where c.hasPrefix("add"): return t["a"]! + t["b"]!
        case _ where c.hasPrefix("sub"): return t["a"]! - t["b"]!
        case _ where c.hasPrefix("mul"): return t["a"]! * t["b"]!
        case _ where c.hasPrefix("div"): return t["a"]! / t["b"]!
        case "relu": return t["x"]!.relu()
        case "leaky_relu": return t["x"]!.leakyRelu(Float(try f.double(c, "negative_slope")))
        case "sigmoid": return t["x"]!.sigmoid()
        case "tanh": return t["x"]!.tanh()
        case "exp": return t["x"]!.exp()
        case "log": return t["x"]!.log()
        case "sqrt": return t["x"]!.sqrt()
        case "pow", "pow_int": return t["x"]!.pow(Float(try f.double(c, "exponent")))
        case "relu6": return t["x"]!.relu6()
        default:
          XCTFail("unknown elementwise case \(c)")
          return t.values.first!
        }
      }
    }
  }

  func testReductions() throws {
    let f = try FixtureFile("reduce")
    try forEachCase(f, expected: 6) { c in
      let axes = try f.ints(c, "axes")
      let keep = try f.int(c, "keepdim") != 0
      try check(f, c, inputs: ["x"]) { t in
        if c.hasPrefix("sum") { return t["x"]!.sum(axes: axes, keepDims: keep) }
        if c.hasPrefix("mean") { return t["x"]!.mean(axes: axes, keepDims: keep) }
        return t["x"]!.max(axes: axes, keepDims: keep)
      }
    }
  }

  func testMatmulAndLinear() throws {
    let f = try FixtureFile("matmul")
    try forEachCase(f, expected: 3) { c in
      try check(f, c, inputs: ["a", "b", "x", "weight", "bias"]) { t in
        c == "linear" ? Tensor.linear(t["x"]!, weight: t["weight"]!, bias: t["bias"]) : t["a"]!.matmul(t["b"]!)
      }
    }
  }

  func testCovarianceOps() throws {
    let f = try FixtureFile("covariance")
    try forEachCase(f, expected: 4) { c in
      try check(f, c, inputs: ["m"]) { t in c.hasPrefix("inverse") ? t["m"]!.inverse2x2() : t["m"]!.cholesky2x2() }
    }
  }

  func testLosses() throws {
    let f = try FixtureFile("loss")
    try forEachCase(f, expected: 2) { c in
      try check(f, c, inputs: ["a", "b"]) { t in
        c == "mse" ? Tensor.mseLoss(t["a"]!, t["b"]!) : Tensor.l1Loss(t["a"]!, t["b"]!)
      }
    }
  }

  func testDepthwiseConv2d() throws {
    let f = try FixtureFile("depthwise_conv2d")
    XCTAssertEqual(f.cases.count, 17)
    for c in f.cases {
      let pad = Padding2d(
        top: try f.int(c, "top"), bottom: try f.int(c, "bottom"), left: try f.int(c, "left"), right: try f.int(c, "right"))
      let stride = try f.int(c, "stride")
      try check(f, c, inputs: ["x", "w", "b"]) { t in
        Tensor.depthwiseConv2d(t["x"]!, weight: t["w"]!, bias: t["b"], stride: stride, padding: pad)
      }
    }
  }

  func testPerSampleConv2d() throws {
    let f = try FixtureFile("per_sample_conv2d")
    try forEachCase(f, expected: 3) { c in
      let k = try f.int(c, "kernel")
      try check(f, c, inputs: ["image", "kernels"]) { t in
        XCTAssertEqual(t["kernels"]!.shape[2], k, "\(c): kernel size")
        return Tensor.perSampleConv2d(t["image"]!, kernels: t["kernels"]!)
      }
    }
  }

  func testBatchNorm() throws {
    let f = try FixtureFile("batch_norm")
    XCTAssertEqual(f.cases.count, 4)
    for c in f.cases {
      let eps = Float(try f.double(c, "eps"))
      let mean = try f.tensor(c, "running_mean")
      let variance = try f.tensor(c, "running_var")
      try check(f, c, inputs: ["x", "weight", "bias"]) { t in
        Tensor.batchNorm(t["x"]!, runningMean: mean, runningVar: variance, weight: t["weight"], bias: t["bias"], eps: eps)
      }
    }
  }

  func testLayoutOps() throws {
    let f = try FixtureFile("layout")
    XCTAssertEqual(
      f.cases, ["concat", "pad_tf_same_k3", "pad_tf_same_k5", "pad_uneven", "permute", "slice"],
      "layout: the six cases below are every case")
    for c in ["pad_tf_same_k3", "pad_tf_same_k5", "pad_uneven"] {
      let pad = Padding2d(
        top: try f.int(c, "top"), bottom: try f.int(c, "bottom"), left: try f.int(c, "left"), right: try f.int(c, "right"))
      try check(f, c, inputs: ["x"]) { $0["x"]!.padded(pad) }
    }
    try check(f, "permute", inputs: ["x"]) { $0["x"]!.permuted(try f.ints("permute", "perm")) }
    try check(f, "concat", inputs: ["a", "b"]) { Tensor.concat([$0["a"]!, $0["b"]!], axis: try f.int("concat", "axis")) }
    try check(f, "slice", inputs: ["x"]) {
      $0["x"]!.slice(axis: try f.int("slice", "axis"), start: try f.int("slice", "start"), end: try f.int("slice", "end"))
    }
  }
}
