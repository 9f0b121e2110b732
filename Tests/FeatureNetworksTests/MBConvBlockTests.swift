// The stem and MBConv blocks with random weights against PyTorch (Experiments/tools/
// make_feature_network_fixtures.py, float64 references: output and input gradient, tolerance 1e-5
// of each tensor's largest magnitude), and finite-difference gradients through a block.
import FeatureNetworks
import Storage
import TensorEngine
import XCTest

final class MBConvBlockTests: XCTestCase {
  func testBlocksAgainstPyTorch() throws {
    let f = try Fixtures.file("mbconv_blocks.h5")
    let cases = try f.members(of: "/").sorted()
    XCTAssertEqual(cases, ["block_e1_k3_s1_6to4", "block_e6_k3_s1_skip", "block_e6_k3_s2_even", "block_e6_k5_s2_8to12", "stem"])
    var compared = 0
    ComparisonLog.reset()
    defer { ComparisonLog.report("blocks") }
    for c in cases {
      func attr(_ name: String) throws -> Int { Int(try f.readInt64Attribute(name, on: c)) }
      var params: [String: Tensor] = [:]
      for name in try f.datasetPaths(under: "\(c)/params") {
        params[String(name.split(separator: "/").last!)] = try f.readTensor(name)
      }
      var rng = SeededRNG(seed: 0)
      let module: Module
      let apply: (Tensor) -> Tensor
      if c == "stem" {
        // The network's stem: conv 3×3/2 SAME + BN + ReLU6, as a Module with the same names.
        let stem = StemForTest(out: try attr("out"), rng: &rng)
        (module, apply) = (stem, { stem($0) })
      } else {
        let block = MBConvBlock(
          try attr("in"), try attr("out"), expandRatio: try attr("expand"), kernel: try attr("kernel"),
          stride: try attr("stride"), bnEps: EfficientNetLite0.bnEps, rng: &rng)
        (module, apply) = (block, { block($0) })
      }
      try module.loadStateDict(params)  // strict: the fixture's names are the module's
      let x = try f.readTensor("\(c)/x")
      x.requiresGrad = true
      let y = apply(x)
      compared += compareScaled(y.values, try f.readDoubles("\(c)/out").values, tol: 1e-5, "\(c) out")
      y.backward(try f.readTensor("\(c)/gout").reshaped(y.shape))
      compared += compareScaled(x.grad?.values ?? [], try f.readDoubles("\(c)/grad_x").values, tol: 1e-5, "\(c) grad_x")
    }
    // out + grad_x: 2·12·5·5 + 2·8·9·10, 12·7·6 ·2, 2·4·5·5 + 2·6·5·5, 8·4·4 + 4·8·8, 2·6·5·6 + 2·3·10·12.
    XCTAssertEqual(compared, (600 + 1440) + (504 + 504) + (200 + 300) + (128 + 256) + (360 + 720))
  }

  /// Finite differences through a block with a 5×5 stride-2 depthwise conv and a skip block.
  func testBlockGradients() {
    var rng = SeededRNG(seed: 11)
    let down = MBConvBlock(4, 6, expandRatio: 3, kernel: 5, stride: 2, bnEps: 1e-3, rng: &rng)
    let same = MBConvBlock(6, 6, expandRatio: 2, kernel: 3, stride: 1, bnEps: 1e-3, rng: &rng)
    let x = randn([2, 4, 8, 7], seed: 12)
    x.requiresGrad = true
    let y = same(down(x))
    let w = randn(y.shape, seed: 13)
    (y * w).sum().backward()
    let g = x.grad!
    let h: Float = 1e-2
    var checked = 0
    for i in stride(from: 0, to: x.count, by: 17) {
      let saved = x.data[i]
      func objective() -> Double {
        withNoGrad {
          let out = same(down(x))
          return (0..<out.count).reduce(0.0) { $0 + Double(out.data[$1]) * Double(w.data[$1]) }
        }
      }
      x.data[i] = saved + h
      let fp = objective()
      x.data[i] = saved - h
      let fm = objective()
      x.data[i] = saved
      let numeric = (fp - fm) / Double(2 * h)
      let analytic = Double(g.data[i])
      // ReLU6 kinks may sit within h of an activation: 2e-3 as the engine's gradient checks, 1e-2 here.
      XCTAssertTrue(abs(numeric - analytic) <= 1e-2 * max(1, abs(analytic)), "element \(i): analytic \(analytic), numeric \(numeric)")
      checked += 1
    }
    XCTAssertEqual(checked, (2 * 4 * 8 * 7 + 16) / 17)
  }
}

/// The network's stem as a stand-alone module (same layers and names as EfficientNetLite0's).
final class StemForTest: Module {
  let conv: SameConv2d
  let bn: FrozenBatchNorm2d
  init(out: Int, rng: inout SeededRNG) {
    conv = SameConv2d(3, out, kernel: 3, stride: 2, rng: &rng)
    bn = FrozenBatchNorm2d(out, eps: EfficientNetLite0.bnEps)
    super.init()
    child("_conv_stem", conv)
    child("_bn0", bn)
  }
  func callAsFunction(_ x: Tensor) -> Tensor { bn(conv(x)).relu6() }
}
