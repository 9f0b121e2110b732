// A run's recorded config as this process uses it. Paths a run read (its data, its separate test
// data, its VGG weights) are recorded as the user gave them, relative to the folder the run was
// started in, which is as a rule the registry's own. Opened from another folder, such a path is
// found under the registry's folder, as the registry's own file paths are (Registry's FileRoot),
// and used as an absolute path (so a run built on this one records where its data really is).
import Foundation
import Registry

extension ConfigLoader {
  /// `run`'s recorded config with its data and weight paths found from here.
  public static func recorded(_ run: Run, registry: Registry) throws -> ExperimentConfig {
    var c = try recorded(run.configJSON, runId: run.id)
    c.data.datasetPath = located(c.data.datasetPath, registry)
    c.data.testDataPath = located(c.data.testDataPath, registry)
    c.trainer.vggWeights = located(c.trainer.vggWeights, registry)
    return c
  }

  /// `path` when it is absolute, empty or there from the working folder; else the same path
  /// under the registry's folder when it is there (absolute); else `path` (its error names it).
  static func located(_ path: String, _ registry: Registry) -> String {
    let fm = FileManager.default
    guard !path.isEmpty, !path.hasPrefix("/"), !fm.fileExists(atPath: path) else { return path }
    let there = URL(fileURLWithPath: registry.fileRoot.absolute).appendingPathComponent(path).standardizedFileURL.path
    return fm.fileExists(atPath: there) ? there : path
  }
}
