// Filmstrips: frames land in their cells (ground truth on top), missing frames are grey, and the
// SVG overlay puts each label and score where its frame is.
import Foundation
import Imaging
import XCTest

@testable import Reports

#if canImport(FoundationXML)
  import FoundationXML
#endif

final class FilmstripTests: XCTestCase {
  /// Writes a solid 8×6 PNG of `color` and returns its path.
  private func solid(_ dir: String, _ name: String, _ color: (Float, Float, Float)) throws -> String {
    let path = "\(dir)/\(name).png"
    try writePNG(RGBImage(width: 8, height: 6, fill: color), to: path)
    return path
  }

  /// Asserts pixel (x, y) is `rgb` to within one 8-bit step (the frames went through PNG).
  private func assertPixel(
    _ im: RGBImage, _ x: Int, _ y: Int, _ rgb: [Float], _ label: String = "", file: StaticString = #filePath,
    line: UInt = #line
  ) {
    for c in 0..<3 {
      XCTAssertEqual(
        im[c, y, x], rgb[c], accuracy: 0.6 / 255, "\(label) channel \(c)", file: file, line: line)
    }
  }

  func testComposition() throws {
    let dir = try temporaryFolder("filmstrip")
    let gt = try (0..<3).map { try solid(dir, "gt\($0)", (0, 0, Float($0) / 2)) }
    let a = try (0..<3).map { try solid(dir, "a\($0)", (1, 0, Float($0) / 2)) }
    let b = [try solid(dir, "b0", (0, 1, 0)), nil, try solid(dir, "b2", (0, 1, 1))]
    let strip = Filmstrip(
      columnLabels: ["t+1", "t+2", "t+3"],
      groundTruth: FilmstripRow(label: "ground truth", frames: gt),
      methods: [
        FilmstripRow(label: "lstm", frames: a, scores: [0.1, 0.25, nil]),
        FilmstripRow(label: "copy <last>", frames: b, scores: [0.3, .nan, 0.5]),
      ],
      scale: 2, scoreName: "LPIPS")
    let composed = try strip.compose()
    let l = composed.layout
    let im = composed.image
    XCTAssertEqual(l.cellWidth, 16)
    XCTAssertEqual(l.cellHeight, 12)
    XCTAssertEqual(l.scoreBands, [0, 16, 16])
    // Rows: 12 px frames in a strip with 2 px gaps (16 px), a 16 px band for the scores of the
    // method rows, 6 px more under the ground truth.
    XCTAssertEqual(l.frameTops, [2, 2 + 16 + 6, 2 + 16 + 6 + 16 + 16])
    XCTAssertEqual(im.width, 3 * 16 + 4 * 2)
    XCTAssertEqual(im.height, 16 + 6 + 2 * (16 + 16))
    for c in 0..<3 {
      let x = l.frameLeft(c) + 8
      assertPixel(im, x, l.frameTops[0] + 6, [0, 0, Float(c) / 2], "ground truth column \(c)")
      assertPixel(im, x, l.frameTops[1] + 6, [1, 0, Float(c) / 2], "lstm column \(c)")
      // The score band under a frame is blank for the text.
      assertPixel(im, x, l.frameTops[1] + 12 + 2 + 8, [1, 1, 1], "score band")
    }
    assertPixel(im, l.frameLeft(0) + 3, l.frameTops[2] + 3, [0, 1, 0], "copy column 0")
    assertPixel(im, l.frameLeft(1) + 3, l.frameTops[2] + 3, [0.85, 0.85, 0.85], "missing frame")

    let root = try XCTUnwrap(
      try parseXML(composed.svgFigure(href: "worst/seq 1.png", title: "worst")).rootElement())
    XCTAssertEqual(
      root.elements(withClass: "row-label").map { $0.stringValue ?? "" },
      ["ground truth", "lstm", "copy <last>"])
    XCTAssertEqual(
      root.elements(withClass: "column-label").map { $0.stringValue ?? "" }, ["t+1", "t+2", "t+3"])
    XCTAssertEqual(root.elements(withClass: "score-name").map { $0.stringValue ?? "" }, ["LPIPS", "LPIPS"])
    let scores = root.elements(withClass: "score")
    XCTAssertEqual(scores.map { $0.stringValue ?? "" }, ["0.100", "0.250", "0.300", "nan", "0.500"])
    // A score sits under its frame: centred on the column, between the frame and the next row.
    let image = try XCTUnwrap(
      (root.children ?? []).compactMap { $0 as? XMLElement }.first { $0.name == "image" })
    XCTAssertEqual(image.string("href"), "worst/seq%201.png")
    let x0 = try XCTUnwrap(image.number("x"))
    let y0 = try XCTUnwrap(image.number("y"))
    let second = scores[1]
    XCTAssertEqual(try XCTUnwrap(second.number("x")), x0 + Double(l.frameLeft(1)) + 8, accuracy: 0.01)
    let y = try XCTUnwrap(second.number("y"))
    XCTAssertGreaterThan(y - 9, y0 + Double(l.frameTops[1] + 12), "score text overlaps its frame")
    XCTAssertLessThan(y, y0 + Double(l.frameTops[2]), "score text runs into the next row")

    let table = composed.scoreTable()
    XCTAssertEqual(table.header, ["row", "t+1", "t+2", "t+3"])
    XCTAssertEqual(table.rows, [["lstm", "0.100", "0.250", ""], ["copy <last>", "0.300", "nan", "0.500"]])
  }

  func testUnreadableFrameNamesTheFile() throws {
    let dir = try temporaryFolder("filmstrip-bad")
    let bad = dir + "/not-a.png"
    try Data("text".utf8).write(to: URL(fileURLWithPath: bad))
    let strip = Filmstrip(groundTruth: FilmstripRow(label: "gt", frames: [bad]), methods: [])
    XCTAssertThrowsError(try strip.compose()) { e in XCTAssertTrue("\(e)".contains("not-a.png"), "\(e)") }
  }
}
