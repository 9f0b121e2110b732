// The four color-jitter operations against torchvision.transforms.functional (fixture
// color_jitter.json), and the random ColorJitter's factor ranges and determinism.
import TensorEngine
import TestSupport
import XCTest

@testable import Imaging

final class ColorJitterTests: XCTestCase {
  func testMatchesTorchvisionFunctional() throws {
    let f = try XCTUnwrap(Fixtures.json("color_jitter.json") as? [String: Any])
    let image = RGBImage(width: try XCTUnwrap(f["width"] as? Int), height: try XCTUnwrap(f["height"] as? Int),
      pixels: try Fixtures.floats(f["input"], "color_jitter.json input"))
    let ops = try XCTUnwrap(f["ops"] as? [[String: Any]])
    XCTAssertEqual(ops.count, 15)
    var compared = 0
    for op in ops {
      let name = try XCTUnwrap(op["op"] as? String)
      let factor = Float(try XCTUnwrap(op["factor"] as? Double))
      let out: RGBImage
      switch name {
      case "brightness": out = image.adjustedBrightness(factor)
      case "contrast": out = image.adjustedContrast(factor)
      case "saturation": out = image.adjustedSaturation(factor)
      default: out = image.adjustedHue(factor)
      }
      // Issue #4: 1e-4 on [0, 1] floats.
      assertClose(out.pixels, try Fixtures.floats(op["output"], "\(name) \(factor) output"), .absolute(1e-4), "\(name) \(factor)")
      compared += 1
    }
    XCTAssertEqual(compared, 15, "color-jitter cases compared")
  }

  func testRandomJitterFactorsAndDeterminism() {
    let jitter = ColorJitter()
    var rng = SeededRNG(seed: 5)
    for _ in 0..<200 {
      let d = jitter.draw(&rng)
      XCTAssertTrue((0.6...1.4).contains(d.brightness) && (0.6...1.4).contains(d.contrast) && (0.6...1.4).contains(d.saturation))
      XCTAssertTrue((-0.3...0.3).contains(d.hue))
      XCTAssertEqual(d.order.sorted(), [0, 1, 2, 3])
    }
    var a = SeededRNG(seed: 9), b = SeededRNG(seed: 9)
    XCTAssertEqual(jitter.draw(&a), jitter.draw(&b))
  }
}
