// ExperimentsFolder: where the shipped experiment configs are — `$LMLAB_EXPERIMENTS`, else an
// `Experiments/` folder in the working folder or one of its parents (a checkout), else the one
// installed beside the binary (`make install`: PREFIX/share/lmlab/Experiments).
import Foundation

public enum ExperimentsFolder {
  /// The folder holding `landmarks-learn.yaml` and the other shipped configs.
  public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
    let fm = FileManager.default
    func holdsConfigs(_ dir: String) -> Bool { fm.fileExists(atPath: dir + "/landmarks-learn.yaml") }
    if let dir = environment["LMLAB_EXPERIMENTS"] {
      guard holdsConfigs(dir) else {
        throw ConfigError.unreadable(path: dir, detail: "$LMLAB_EXPERIMENTS names a folder without landmarks-learn.yaml")
      }
      return dir
    }
    var dir = URL(fileURLWithPath: fm.currentDirectoryPath)
    for _ in 0..<6 {
      let p = dir.appendingPathComponent("Experiments").path
      if holdsConfigs(p) { return p }
      let up = dir.deletingLastPathComponent()
      if up.path == dir.path { break }
      dir = up
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let installed = binary.deletingLastPathComponent().appendingPathComponent("share/lmlab/Experiments").path
    if holdsConfigs(installed) { return installed }
    throw ConfigError.unreadable(
      path: "Experiments",
      detail: "no Experiments/ folder with the shipped configs in the working folder or its parents, none installed at "
        + "\(installed) (make install), and $LMLAB_EXPERIMENTS is not set")
  }
}
