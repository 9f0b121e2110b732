// GitInfo: the git commit (with "-dirty" when tracked files changed) of the LandmarkLab checkout
// this binary was built from, found by walking up from the executable's own path (SwiftPM puts
// it under <checkout>/.build*/<triple>/<config>/), so a run started in any folder, inside
// another repository or none, records the code that ran it rather than the working directory.
import Foundation

public enum GitInfo {
  /// `commit[-dirty]` of the build's checkout, computed once per process; nil when the binary
  /// does not sit inside a LandmarkLab git checkout (copied elsewhere) or git is missing.
  public static let buildCommit: String? = buildCheckout().flatMap { commit(of: $0) }

  /// The LandmarkLab checkout above `executable`: the nearest ancestor folder holding both
  /// this package's Package.swift and a `.git` (a folder, or a file in a worktree).
  public static func buildCheckout(executable: String? = executablePath()) -> String? {
    guard let executable else { return nil }
    let fm = FileManager.default
    var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
    while dir.path != "/" && !dir.path.isEmpty {
      let manifest = dir.appendingPathComponent("Package.swift").path
      if fm.fileExists(atPath: dir.appendingPathComponent(".git").path),
        let text = try? String(contentsOfFile: manifest, encoding: .utf8), text.contains("name: \"LandmarkLab\"")
      {
        return dir.path
      }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }

  /// This process's executable (on Linux /proc/self/exe, which names the real file even when
  /// started through a symlink or from PATH).
  public static func executablePath() -> String? {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
    return Bundle.main.executablePath
  }

  /// `git rev-parse HEAD` of `directory`, "-dirty" appended when tracked files changed; nil
  /// outside a repository or without git.
  public static func commit(of directory: String) -> String? {
    guard let head = run(["rev-parse", "HEAD"], in: directory), !head.isEmpty else { return nil }
    let dirty =
      run(["status", "--porcelain", "--untracked-files=no"], in: directory).map { !$0.isEmpty } ?? false
    return head + (dirty ? "-dirty" : "")
  }

  static func run(_ args: [String], in directory: String) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["git", "-C", directory] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
