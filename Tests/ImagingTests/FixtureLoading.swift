// Helpers: locate and decode the JSON/PNG fixtures written by Experiments/tools/make_imaging_fixtures.py.
import Foundation
import XCTest

enum Fixtures {
  static func path(_ name: String) -> String {
    guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { return "Fixtures/" + name }
    return url.appendingPathComponent(name).path
  }

  static func json(_ name: String) throws -> Any {
    let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
    return try JSONSerialization.jsonObject(with: data)
  }

  static func floats(_ any: Any?) -> [Float] { ((any as? [Any]) ?? []).map { Float(($0 as? NSNumber)?.doubleValue ?? .nan) } }
  static func doubles(_ any: Any?) -> [Double] { ((any as? [Any]) ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
}

/// Largest absolute difference; fails the test on a size mismatch.
func maxAbsDiff(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) -> Float {
  XCTAssertEqual(a.count, b.count, "length mismatch", file: file, line: line)
  var m: Float = 0
  for i in 0..<min(a.count, b.count) { m = max(m, abs(a[i] - b[i])) }
  return m
}
