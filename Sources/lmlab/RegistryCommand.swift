// `lmlab registry copy --from A --to B`: a whole registry into an empty one, any backend to any
// backend, verified by row counts and checksums of every table.
import ArgumentParser
import Foundation
import Workbench

struct RegistryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "registry", abstract: "Whole-registry operations.", subcommands: [RegistryCopyCommand.self])
}

struct RegistryCopyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "copy",
    abstract: "Copy a registry (SQLite file or postgres:// URL) into an empty one, then verify every table.",
    discussion: """
      Examples:
        lmlab registry copy --from lmlab.sqlite --to postgres://lmlab@db.lab/lmlab
        lmlab registry copy --from postgres://lmlab@db.lab/lmlab --to backup.sqlite
      Checkpoints and artifacts stay where they are: the registry holds their paths and sha256.
      """)

  @Option(name: .long, help: "The registry to copy (must exist).")
  var from: String

  @Option(name: .long, help: "The registry to fill (created if missing; must hold no runs).")
  var to: String

  func run() throws {
    LMLabLogging.bootstrap(verbose: false)
    let copy = try RegistryCopy.run(from: from, to: to) {
      print($0)
      fflush(stdout)
    }
    print(copy.table)
    if let mismatch = copy.mismatch { throw ValidationError(mismatch) }
    print(copy.summary)
    print(copy.filesSummary)
  }
}
