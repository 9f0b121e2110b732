// `lmlab runs show ID` and `lmlab runs compare ID ID... [--only-changed]`.
import ArgumentParser
import Foundation
import Workbench

struct RunsShow: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "A run's config, lineage, curves summary, checkpoints and artifacts.")

  @OptionGroup var global: GlobalOptions

  @Argument(help: "Run id.")
  var id: String

  @Option(name: .long, help: "Print this series' points as CSV (step,value,time) instead.")
  var series: String?

  func run() throws {
    let runID = try parseRunID(id)
    let registry = try global.openRegistry()
    if let name = series {
      print(try RunQueries.seriesCSV(runID, name: name, registry: registry))
      return
    }
    print(try RunQueries.detail(runID, registry: registry))
  }
}

struct RunsCompare: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare", abstract: "Configs and final/best metrics of runs side by side.")

  @OptionGroup var global: GlobalOptions

  @Argument(help: "Two or more run ids.")
  var ids: [String]

  @Flag(name: .long, help: "Only rows whose values differ between the runs.")
  var onlyChanged = false

  func validate() throws {
    if ids.count < 2 { throw ValidationError("compare needs at least two run ids") }
  }

  func run() throws {
    let runIDs = try ids.map(parseRunID)
    let registry = try global.openRegistry()
    print(try RunQueries.compare(runIDs, onlyChanged: onlyChanged, registry: registry))
  }
}
