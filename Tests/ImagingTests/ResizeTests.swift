// Resize against PIL's BILINEAR on float planes (shrinking with antialiasing and enlarging),
// crop, and the tensor round trip.
import TestSupport
import XCTest

@testable import Imaging

final class ResizeTests: XCTestCase {
  func testMatchesPILBilinear() throws {
    let cases = try XCTUnwrap(Fixtures.json("resize.json") as? [[String: Any]])
    XCTAssertEqual(cases.count, 4)
    var compared = 0
    for c in cases {
      let w = try XCTUnwrap(c["width"] as? Int), h = try XCTUnwrap(c["height"] as? Int)
      let ow = try XCTUnwrap(c["out_width"] as? Int), oh = try XCTUnwrap(c["out_height"] as? Int)
      let image = RGBImage(width: w, height: h, pixels: try Fixtures.floats(c["input"], "resize input"))
      let out = image.resized(width: ow, height: oh)
      // PIL accumulates in double and stores float32; we accumulate in float32.
      assertClose(out.pixels, try Fixtures.floats(c["output"], "resize output"), .absolute(1e-5), "\(w)x\(h)->\(ow)x\(oh)")
      compared += 1
    }
    XCTAssertEqual(compared, 4, "resize cases compared")
  }

  func testCropAndTensorRoundTrip() {
    var image = RGBImage(width: 5, height: 4)
    for i in 0..<image.pixels.count { image.pixels[i] = Float(i) / Float(image.pixels.count) }
    let crop = image.cropped(x: 1, y: 2, width: 3, height: 2)
    XCTAssertEqual(crop[2, 1, 2], image[2, 3, 3], accuracy: 0)
    let t = crop.toTensor()
    XCTAssertEqual(t.shape, [1, 3, 2, 3])
    XCTAssertEqual(t.data[0], crop.pixels[0] * 2 - 1, accuracy: 1e-7)
    let back = RGBImage(tensor: t, index: 0)
    assertClose(back.pixels, crop.pixels, .absolute(1e-6), "tensor round trip")
  }

  func testDrawingAndFilmstrip() {
    var image = RGBImage(width: 20, height: 20)
    image.fillCircle(cx: 10, cy: 10, radius: 3, color: .red)
    XCTAssertEqual(image[0, 10, 10], 1, accuracy: 1e-6)
    XCTAssertEqual(image[0, 10, 15], 0, accuracy: 1e-6)
    let edge = image[0, 10, 13]  // distance 3 from the centre: half covered
    XCTAssertEqual(edge, 0.5, accuracy: 1e-6)
    image.drawLine(x0: 2, y0: 2, x1: 2, y1: 17, width: 2, color: .green)
    XCTAssertEqual(image[1, 9, 2], 1, accuracy: 1e-6)
    let sheet = filmstrip([image, image, image], columns: 2, gap: 1)
    XCTAssertEqual(sheet.width, 2 * 20 + 3)
    XCTAssertEqual(sheet.height, 2 * 20 + 3)
  }
}
