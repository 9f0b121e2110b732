// Helpers for the reports tests: SVG parsing (FoundationXML on Linux) and temporary folders.
import Foundation
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Parses `svg` as XML, failing the test on malformed markup.
func parseXML(_ svg: String, file: StaticString = #filePath, line: UInt = #line) throws -> XMLDocument {
  do {
    return try XMLDocument(xmlString: svg, options: [])
  } catch {
    XCTFail("not well-formed XML: \(error)\n\(svg.prefix(600))", file: file, line: line)
    throw error
  }
}

extension XMLElement {
  /// Descendants (self included) whose class attribute holds `cls` among its words.
  func elements(withClass cls: String) -> [XMLElement] {
    var out: [XMLElement] = []
    var stack: [XMLElement] = [self]
    while let e = stack.popLast() {
      if let c = e.string("class"), c.split(separator: " ").contains(Substring(cls)) { out.append(e) }
      stack.append(contentsOf: (e.children ?? []).compactMap { $0 as? XMLElement }.reversed())
    }
    return out
  }

  // NOTE: swift-corelibs-foundation's attribute(forName:) finds nothing on an element in a
  // default namespace (xmlns="http://www.w3.org/2000/svg"), so look the attribute up by name.
  func string(_ name: String) -> String? { attributes?.first { $0.name == name }?.stringValue }
  func number(_ name: String) -> Double? { string(name).flatMap(Double.init) }
}

extension XCTestCase {
  /// A fresh empty folder under the system temporary directory, removed when the test ends.
  func temporaryFolder(_ name: String) throws -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("reports-tests-\(name)-\(getpid())")
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
  }
}
