// Tidy CSVs: quoting round trip through the parser, numbers that read back exactly.
import XCTest

@testable import Reports

final class TidyCSVTests: XCTestCase {
  func testQuotingRoundTrip() throws {
    var csv = TidyCSV(header: TidyCSV.perFrameHeader)
    let awkward: [[String]] = [
      ["lstm", "seq,1", "1", "lpips-alex", "0.25"],
      ["say \"hi\"", "two\nlines", "2", "psnr", "inf"],
      ["", " padded ", "3", "ssim", "-0.5"],
      ["crlf\r\nhere", "µ-σ ✓", "4", "x,\"y\"", "nan"],
    ]
    for r in awkward { csv.append(r) }
    let text = csv.render()
    XCTAssertTrue(text.hasPrefix("method,sequence,frame,metric,value\nlstm,\"seq,1\",1,"))
    XCTAssertTrue(text.contains("\"say \"\"hi\"\"\""))
    let back = try TidyCSV.parse(text)
    XCTAssertEqual(back, [TidyCSV.perFrameHeader] + awkward)
    // Windows line ends read the same.
    XCTAssertEqual(try TidyCSV.parse("a,b\r\n1,\"x\r\ny\"\r\n"), [["a", "b"], ["1", "x\r\ny"]])
  }

  func testNumbersReadBackExactly() {
    for v in [0.1, 1.0 / 3, 28.123456789012345, 1e-300, -2.5e10, 0] {
      XCTAssertEqual(Double(TidyCSV.number(v)), v, "\(v) → \(TidyCSV.number(v))")
    }
    XCTAssertEqual(TidyCSV.number(.infinity), "inf")
    XCTAssertEqual(TidyCSV.number(-.infinity), "-inf")
    XCTAssertEqual(TidyCSV.number(.nan), "nan")
  }

  func testMalformedTextNamesTheLine() {
    XCTAssertThrowsError(try TidyCSV.parse("a,b\n1,\"open\n2,3\n", source: "curves.csv")) { e in
      XCTAssertEqual(
        e as? ReportsError, .csv(source: "curves.csv", line: 2, reason: "unterminated quoted field"))
    }
    XCTAssertThrowsError(try TidyCSV.parse("a\n\"x\"y\n")) { e in
      XCTAssertEqual(e as? ReportsError, .csv(source: "<csv>", line: 2, reason: "text after a closing quote"))
    }
  }

  func testWriteAndCurveHeader() throws {
    var csv = TidyCSV(header: TidyCSV.curveHeader)
    csv.append(["lstm", "ssim", "1", "8", TidyCSV.number(0.9), TidyCSV.number(0.85), TidyCSV.number(0.95)])
    let path = try temporaryFolder("csv") + "/curves.csv"
    try csv.write(to: path)
    XCTAssertEqual(
      try String(contentsOfFile: path, encoding: .utf8),
      "method,metric,index,n,mean,ci_low,ci_high\nlstm,ssim,1,8,0.9,0.85,0.95\n")
  }
}
