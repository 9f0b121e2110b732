// manifest.json: train/val/test splits of a frame-folder dataset and, for synthetic sets, the
// generator's parameters and each sequence's appearance id. Written with sorted keys (same
// content, same bytes).
import Foundation

public struct DatasetManifest: Codable, Equatable, Sendable {
  public var format: String = "lmlab-frames/1"
  /// split name → sequence names.
  public var splits: [String: [String]]
  /// sequence → appearance id (synthetic sets; test appearances never occur in train).
  public var appearance: [String: Int]?
  public var keypoints: [String]?
  public var generator: [String: String]?

  public init(splits: [String: [String]], appearance: [String: Int]? = nil, keypoints: [String]? = nil, generator: [String: String]? = nil) {
    self.splits = splits
    self.appearance = appearance
    self.keypoints = keypoints
    self.generator = generator
  }

  public static func read(_ path: String) throws -> DatasetManifest {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw DatasetError.badFile(path: path, detail: "cannot read manifest")
    }
    do { return try JSONDecoder().decode(DatasetManifest.self, from: data) } catch {
      throw DatasetError.badFile(path: path, detail: "invalid manifest JSON (\(error))")
    }
  }

  public func encoded() throws -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted]
    return try enc.encode(self)
  }
}
