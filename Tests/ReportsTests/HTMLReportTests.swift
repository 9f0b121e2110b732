// The HTML builder: everything a caller passes as text is escaped, numbers are right-aligned,
// nothing is fetched from the network.
import XCTest

@testable import Reports

final class HTMLReportTests: XCTestCase {
  private func page() -> String {
    var report = HTMLReport(title: "Runs <3 & 4>", subtitle: "made by \"lmlab report\"")
    var s = HTMLSection("Keypoint accuracy")
    s.paragraph("<script>alert('x')</script>")
    s.table(
      header: ["config", "PCK@5%", "n"],
      rows: [["K=10 <slim>", "0.93 ± 0.02", "3"], ["baseline", "—", "12"], ["K=30", "91.5%", "−2"]],
      caption: "mean ± std over seeds")
    s.links([(text: "curves.csv", href: "csv/curves & more.csv")])
    var sub = HTMLSection("Worst cases")
    sub.image(src: "worst/seq 1#a.png", alt: "strip \"1\"", caption: "ground truth on top")
    sub.svg(
      "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>",
      caption: "a & b")
    s.subsection(sub)
    report.add(s)
    report.add(HTMLSection("Curves"))
    return report.render()
  }

  func testTextIsEscaped() {
    let html = page()
    XCTAssertTrue(html.contains("<title>Runs &lt;3 &amp; 4&gt;</title>"))
    XCTAssertTrue(html.contains("<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"))
    XCTAssertFalse(html.contains("<script"))
    XCTAssertTrue(html.contains("<td>K=10 &lt;slim&gt;</td>"))
    XCTAssertTrue(html.contains("alt=\"strip &quot;1&quot;\""))
    XCTAssertTrue(html.contains("<figcaption>a &amp; b</figcaption>"))
    XCTAssertTrue(html.contains("made by &quot;lmlab report&quot;"))
  }

  func testNumbersAreRightAligned() {
    let html = page()
    XCTAssertTrue(html.contains("<td class=\"num\">0.93 ± 0.02</td>"))
    XCTAssertTrue(html.contains("<td class=\"num\">91.5%</td>"))
    XCTAssertTrue(html.contains("<td class=\"num\">−2</td>"))
    XCTAssertTrue(html.contains("<td>—</td>"))
    // Columns of numbers (a dash for a missing value allowed) get a right-aligned header too.
    XCTAssertTrue(html.contains("<th>config</th><th class=\"num\">PCK@5%</th><th class=\"num\">n</th>"))
    for s in ["1e-3", "-0.5", "+2", ".5", "nan", "0.1 ± 0.2 %"] { XCTAssertTrue(HTMLSection.isNumeric(s), s) }
    for s in ["K=10", "lstm", "1.2.3", "", "12 px", "e5"] { XCTAssertFalse(HTMLSection.isNumeric(s), s) }
  }

  func testSelfContainedAndStructured() {
    let html = page()
    XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
    XCTAssertFalse(html.contains("<link"))
    XCTAssertFalse(html.contains("src=\"http"))
    XCTAssertFalse(html.contains("<?xml"), "the SVG's XML declaration must not land inside HTML")
    // Relative paths percent-encoded: space, # and & would otherwise break or truncate them.
    XCTAssertTrue(html.contains("src=\"worst/seq%201%23a.png\""))
    XCTAssertTrue(html.contains("href=\"csv/curves%20&amp;%20more.csv\""))
    // Contents link to the sections; the nested section is one heading level down.
    XCTAssertTrue(html.contains("<a href=\"#keypoint-accuracy\">Keypoint accuracy</a>"))
    XCTAssertTrue(html.contains("<section id=\"worst-cases\">\n<h3>Worst cases</h3>"))
    XCTAssertEqual(HTMLSection.slug("Per-frame PSNR / SSIM (95%)"), "per-frame-psnr-ssim-95")
  }

  func testWriteCreatesTheFile() throws {
    let dir = try temporaryFolder("html")
    let path = dir + "/index.html"
    try HTMLReport(title: "t").write(to: path)
    XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).contains("<h1>t</h1>"))
    XCTAssertThrowsError(try HTMLReport(title: "t").write(to: dir + "/missing/dir/index.html")) { e in
      XCTAssertTrue("\(e)".contains("missing/dir/index.html"), "\(e)")
    }
  }
}
