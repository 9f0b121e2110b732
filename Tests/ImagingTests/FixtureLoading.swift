// Helpers: locate and decode the JSON/PNG fixtures written by Experiments/tools/make_imaging_fixtures.py.
// A missing fixture, or a JSON field that is not what the test reads, is a failure (thrown),
// never an empty array or a NaN that a comparison could pass over. Comparisons use
// TestSupport's `assertClose` (NaN or ±Inf on either side fails, naming the index).
import Foundation
import TestSupport
import XCTest

enum Fixtures {
  static let generator = "python3 Experiments/tools/make_imaging_fixtures.py"

  /// Path of the committed fixture `name` (may be in a subfolder: "png/rgb8.png").
  static func path(_ name: String) throws -> String {
    try committedFixture(name, in: Bundle.module, generator: generator)
  }

  static func json(_ name: String) throws -> Any {
    let data = try Data(contentsOf: URL(fileURLWithPath: try path(name)))
    return try JSONSerialization.jsonObject(with: data)
  }

  /// A JSON array of numbers; anything else (missing, not an array, a non-number) throws naming `what`.
  static func doubles(_ any: Any?, _ what: String) throws -> [Double] {
    guard let array = any as? [Any] else {
      throw FixtureError(description: "fixture field \(what) is \(any.map { "\(type(of: $0))" } ?? "missing"), not an array")
    }
    guard !array.isEmpty else { throw FixtureError(description: "fixture field \(what) is an empty array") }
    return try array.enumerated().map { i, v in
      guard let n = v as? NSNumber else { throw FixtureError(description: "fixture field \(what)[\(i)] is \(v), not a number") }
      return n.doubleValue
    }
  }

  static func floats(_ any: Any?, _ what: String) throws -> [Float] { try doubles(any, what).map(Float.init) }
}
