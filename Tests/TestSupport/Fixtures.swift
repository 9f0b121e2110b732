// Committed fixtures: a missing, unreadable or empty fixture file is a test failure that names
// the file and the script that makes it, never a skip (a skipped comparison cannot fail).
import Foundation

/// Thrown by `committedFixture`: XCTest records a thrown error as a failure with this text.
public struct FixtureError: Error, CustomStringConvertible {
  public let description: String
  public init(description: String) { self.description = description }
}

/// The path of the committed fixture `name` (e.g. "conv2d.h5") in `bundle`'s copied
/// `Fixtures` folder; throws `FixtureError` when it is absent, unreadable or empty.
public func committedFixture(
  _ name: String, in bundle: Bundle, generator: String, subdirectory: String = "Fixtures"
) throws -> String {
  let fm = FileManager.default
  guard let root = bundle.resourceURL ?? Optional(bundle.bundleURL) else {
    throw FixtureError(description: "fixture \(name): the test bundle has no resource folder")
  }
  let path = root.appendingPathComponent(subdirectory).appendingPathComponent(name).path
  guard fm.fileExists(atPath: path) else {
    throw FixtureError(
      description: "committed fixture \(subdirectory)/\(name) is missing from the test bundle (\(path));"
        + " it is made by \(generator) and must be committed")
  }
  guard fm.isReadableFile(atPath: path) else {
    throw FixtureError(description: "committed fixture \(path) is not readable")
  }
  let size = (try? fm.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
  guard size > 0 else {
    throw FixtureError(description: "committed fixture \(path) is empty (\(generator) makes it)")
  }
  return path
}
