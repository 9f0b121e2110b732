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

  @Option(name: .long, help: "Directory for the CSV files (created if missing).")
  var csv: String

  func run() throws {
    let filter = try RunFilter(where: `where`)
    for (path, rows) in try RunQueries.exportCSV(filter, to: csv, registry: try global.openRegistry()) {
      print("\(path)  \(rows) rows")
    }
  }
}
