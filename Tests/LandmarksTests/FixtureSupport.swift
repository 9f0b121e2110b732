// Reading the landmark fixtures (Experiments/tools/make_landmark_fixtures.py). Comparisons go
// through TestSupport's `assertClose` (NaN or ±Inf on either side fails, naming the index); each
// check states its tolerance and why (LandmarkParityTests). References are float64 PyTorch
// results from the same float32 weights and inputs.
import Foundation
import Storage
import TensorEngine
import TestSupport
import XCTest

@testable import Landmarks

struct LandmarkFixture {
  static let generator = "python3 Experiments/tools/make_landmark_fixtures.py"
  let file: HDF5File
  let name: String

  init(_ name: String) throws {
    file = try HDF5File(path: try Self.path(name))
    self.name = name
  }

  /// The committed fixture `name`.h5; missing, unreadable or empty is a failure (thrown).
  static func path(_ name: String) throws -> String {
    try committedFixture("\(name).h5", in: Bundle.module, generator: generator)
  }

  func tensor(_ key: String) throws -> Tensor { try file.readTensor(key) }

  /// Every dataset under `group`, keyed by its path relative to the group; an empty group is a
  /// failure (a comparison over nothing).
  func group(_ group: String) throws -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for path in try file.datasetPaths(under: group) {
      let rel = path.split(separator: "/").last.map(String.init) ?? path
      out[rel] = try file.readTensor(path)
    }
    guard !out.isEmpty else { throw FixtureError(description: "\(name).h5: group \(group) holds no datasets") }
    return out
  }

  /// The fixture's model config (JSON attribute `config`).
  func config() throws -> String { try file.readStringAttribute("config") }
}

extension Dictionary where Key == String, Value == Tensor {
  /// The reference `key`, or a failure naming it.
  func required(_ key: String, in what: String) throws -> Tensor {
    guard let t = self[key] else { throw FixtureError(description: "\(what): no reference \(key) (has \(keys.sorted()))") }
    return t
  }
}
