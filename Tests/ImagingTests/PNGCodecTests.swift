// PNG decode of every colour type and bit depth against the generator's values; write/read
// round trip; errors naming the file for missing, truncated and non-PNG files.
import Foundation
import TestSupport
import XCTest

@testable import Imaging

final class PNGCodecTests: XCTestCase {
  func testDecodesAllColourTypesAndDepths() throws {
    let expected = try XCTUnwrap(Fixtures.json("png_expected.json") as? [String: Any])
    XCTAssertEqual(expected.count, 10)
    var compared = 0
    for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
      let e = try XCTUnwrap(value as? [String: Any])
      let image = try readPNG(try Fixtures.path("png/\(name).png"))
      XCTAssertEqual(image.width, e["width"] as? Int, name)
      XCTAssertEqual(image.height, e["height"] as? Int, name)
      // Tolerance: one float32 rounding of value / (2^depth − 1).
      assertClose(image.pixels, try Fixtures.floats(e["pixels"], "\(name) pixels"), .absolute(1e-6), name)
      compared += 1
    }
    XCTAssertEqual(compared, 10, "PNG files decoded and compared")
  }

  func testWriteReadRoundTripIsExactOn8BitValues() throws {
    var image = RGBImage(width: 9, height: 4)
    for i in 0..<image.pixels.count { image.pixels[i] = Float((i * 37) % 256) / 255 }
    let path = NSTemporaryDirectory() + "lmlab-png-\(UUID().uuidString).png"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try writePNG(image, to: path)
    let back = try readPNG(path)
    XCTAssertEqual(back.width, 9)
    XCTAssertEqual(back.height, 4)
    assertClose(back.pixels, image.pixels, .absolute(1e-6), "8-bit round trip")
    // Same image, same bytes.
    let path2 = path + "2.png"
    defer { try? FileManager.default.removeItem(atPath: path2) }
    try writePNG(image, to: path2)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try Data(contentsOf: URL(fileURLWithPath: path2)))
  }

  func testWriteClampsAndRounds() throws {
    let image = RGBImage(width: 2, height: 1, pixels: [-0.5, 1.7, 0.5, 0.2, 0.1 / 255, 0.6 / 255])
    XCTAssertEqual(rgb8Bytes(image), [0, 128, 0, 255, 51, 1])
  }

  func testErrorsNameTheFile() throws {
    let truncated = try Fixtures.path("png/truncated.png")
    XCTAssertThrowsError(try readPNG(truncated)) { error in
      guard case ImagingError.truncated(let p, _) = error else { return XCTFail("got \(error)") }
      XCTAssertEqual(p, truncated)
      XCTAssertTrue("\(error)".contains("truncated.png"))
    }
    let notPNG = try Fixtures.path("png/not_a_png.png")
    XCTAssertThrowsError(try readPNG(notPNG)) { error in
      XCTAssertEqual(error as? ImagingError, .notPNG(path: notPNG))
      XCTAssertTrue("\(error)".contains("not_a_png.png"))
    }
    XCTAssertThrowsError(try readPNG("/nonexistent/frame.png")) { error in
      XCTAssertEqual(error as? ImagingError, .notFound(path: "/nonexistent/frame.png"))
    }
  }
}
