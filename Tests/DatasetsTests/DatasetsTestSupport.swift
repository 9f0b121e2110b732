// Shared helpers for the Datasets tests: temporary directories.
import Foundation

func makeTemporaryDirectory(_ name: String) -> String {
  let dir = NSTemporaryDirectory() + "lmlab-datasets-\(name)-\(UUID().uuidString)"
  try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}
