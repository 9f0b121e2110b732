// Building a registry RunSpec from a loaded config: full config JSON and hash, typed params,
// seed, the git commit of the build that runs it (GitInfo.swift) and the command line.
import Foundation
import Registry

extension LoadedConfig {
  public func runSpec(
    name: String, kind: String, experiment: String? = nil, parentId: Int64? = nil,
    datasetFingerprint: String? = nil, commandLine: String = CommandLine.arguments.joined(separator: " ")
  ) -> RunSpec {
    RunSpec(
      name: name, kind: kind, experiment: experiment, parentId: parentId, configJSON: config.canonicalJSON(),
      configHash: config.hash, params: config.paramEntries(), seed: Int64(config.run.seed),
      gitCommit: GitInfo.buildCommit, datasetFingerprint: datasetFingerprint, commandLine: commandLine)
  }
}
