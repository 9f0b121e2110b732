// `lmlab runs export [--where EXPR] --csv DIR`.
import ArgumentParser
import Foundation
import Workbench

struct RunsExport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract:
      "Write runs, params, full series, summaries, per-frame scores, checkpoints and artifacts as CSV.")

  @OptionGroup var global: GlobalOptions

  @Option(name: .long, help: "Filter expression, as for `runs list`.")
  var `where`: String?

  @Option(name: .long, help: "Folder for the CSV files: a new or empty folder, or an earlier export (replaced whole).")
  var csv: String

  @Flag(help: "Replace --csv even when it holds files this command did not write (they are deleted).")
  var force = false

  func run() throws {
    let filter = try RunFilter(where: `where`)
    for (path, rows) in try RunQueries.exportCSV(filter, to: csv, force: force, registry: try global.openRegistry()) {
      print("\(path)  \(rows) rows")
    }
  }
}
