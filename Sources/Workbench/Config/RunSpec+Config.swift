// Building a registry RunSpec from a loaded config: full config JSON and hash, typed params,
// seed, git commit (with "-dirty" when the tree has changes) and the command line.
import Foundation
import Registry

extension LoadedConfig {
  public func runSpec(
    name: String, kind: String, experiment: String? = nil, parentId: Int64? = nil,
    datasetFingerprint: String? = nil, commandLine: String = CommandLine.arguments.joined(separator: " ")
  ) -> RunSpec {
    RunSpec(
      name: name, kind: kind, experiment: experiment, parentId: parentId, configJSON: config.canonicalJSON(),
      configHash: config.hash, params: config.paramEntries(), seed: Int64(config.seed),
      gitCommit: GitInfo.currentCommit(), datasetFingerprint: datasetFingerprint, commandLine: commandLine)
  }
}

public enum GitInfo {
  /// `git rev-parse HEAD` of the current directory, "-dirty" appended when tracked files
  /// changed; nil outside a repository or without git.
  public static func currentCommit(directory: String = FileManager.default.currentDirectoryPath) -> String? {
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
