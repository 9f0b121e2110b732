// ExperimentsFolder: where the shipped experiment configs are — `$LMLAB_EXPERIMENTS`, else an
// `Experiments/` folder in the working folder or one of its parents (a checkout), else the one
// installed beside the binary (`make install`: PREFIX/share/lmlab/Experiments), else the copies
// built into the binary (ShippedConfigs, named `(built in)/NAME.yaml`), so the demo runs anywhere.
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
    let installed = installedFolder(binary: executablePath())
    if holdsConfigs(installed) { return installed }
    return builtIn
  }

  /// A `--config` path as given when it exists; else, when it names a shipped config (`NAME`,
  /// `NAME.yaml` or `Experiments/NAME.yaml`, as the README writes them from the checkout), that
  /// config wherever `locate` finds the shipped ones, so the README's commands work from any folder.
  public static func resolve(config path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    guard !FileManager.default.fileExists(atPath: path) else { return path }
    var name = path.hasPrefix("Experiments/") ? String(path.dropFirst("Experiments/".count)) : path
    guard !name.contains("/"), !name.isEmpty else { return path }
    if !name.hasSuffix(".yaml") { name += ".yaml" }
    guard let dir = try? locate(environment: environment) else { return path }
    let shipped = dir + "/" + name
    return FileManager.default.fileExists(atPath: shipped) || builtInText(shipped) != nil ? shipped : path
  }

  /// The folder name of the configs built into the binary: `(built in)/landmarks-learn.yaml`
  /// reads ShippedConfigs' copy (a run records that name as its config's source).
  public static let builtIn = "(built in)"

  /// The built-in text of `path` when it names one (`(built in)/NAME`) and no such file exists.
  static func builtInText(_ path: String) -> String? {
    guard path.hasPrefix(builtIn + "/"), !FileManager.default.fileExists(atPath: path) else { return nil }
    return ShippedConfigs.files[String(path.dropFirst(builtIn.count + 1))]
  }

  /// `PREFIX/share/lmlab/Experiments` for a binary at `PREFIX/bin/lmlab` (symbolic links followed).
  static func installedFolder(binary: String) -> String {
    URL(fileURLWithPath: binary).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("share/lmlab/Experiments").path
  }

  /// This process's executable. NOTE: argv[0] is a bare `lmlab` when the binary was found on
  /// $PATH, which would be taken relative to the working folder; /proc/self/exe is the file itself.
  static func executablePath() -> String {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), p.hasPrefix("/") { return p }
    return CommandLine.arguments[0]
  }
}
