// `lmlab registry copy --from A --to B`: a whole registry into an empty one, any backend to any
// backend, verified by row counts and checksums of every table.
import ArgumentParser
import Foundation
import Workbench

struct RegistryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "registry", abstract: "Whole-registry operations.", subcommands: [RegistryCopy.self])
}

struct RegistryCopy: ParsableCommand {
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
    var readOnly = RegistryOptions.fromEnvironment()
    readOnly.createIfMissing = false
    readOnly.reapOnOpen = false
    let source = try Registry(path: from, options: readOnly)
    let isNewFile = !Registry.isPostgresURL(to) && !FileManager.default.fileExists(atPath: to)
    var destOptions = RegistryOptions.fromEnvironment()
    destOptions.reapOnOpen = false
    let destination = try Registry(path: to, options: destOptions)
    let start = Date()
    var lastPrint = Date.distantPast
    let tables: [TableCopy]
    do {
      tables = try source.copy(to: destination) { table, rows in
        if Date().timeIntervalSince(lastPrint) > 2 {
          lastPrint = Date()
          let secs = Date().timeIntervalSince(start)
          print(String(format: "  copying %@: %d rows (%.0f s)", table, rows, secs))
          fflush(stdout)
        }
      }
    } catch {
      try? destination.close()
      // A file made only for this copy is removed, so a failed copy leaves nothing behind.
      if isNewFile { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: to + suffix) } }
      throw error
    }
    try destination.close()
    try source.close()
    var table = TextTable(header: ["table", "rows", "copied", "sha256 (source)", "check"])
    for t in tables {
      table.rows.append([
        t.table, String(t.sourceRows), String(t.destinationRows), String(t.sourceChecksum.prefix(16)),
        t.matches ? "ok" : "MISMATCH (destination \(t.destinationChecksum.prefix(16)))",
      ])
    }
    print(table.render())
    let rows = tables.reduce(0) { $0 + $1.sourceRows }
    let bad = tables.filter { !$0.matches }
    let secs = Date().timeIntervalSince(start)
    if !bad.isEmpty {
      throw ValidationError("registry copy: \(bad.map(\.table).joined(separator: ", ")) differ after the copy into \(destination.path)")
    }
    print(String(format: "copied %d rows from %@ to %@ in %.1f s; every table's count and checksum match", rows, source.path, destination.path, secs))
  }
}
