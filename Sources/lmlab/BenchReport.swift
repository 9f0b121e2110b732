// `lmlab bench report`: report time on a registry of many runs with per-frame scores.
import Benchmarks
import ArgumentParser
import Foundation
import Workbench

struct BenchReport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report", abstract: "Time `lmlab report` over a fresh registry of 1,000 predict runs with per-frame scores.")

  @Option(help: "Predict runs to create.") var runs = 1000
  @Option(help: "Test sequences per run (each 28 frames × 3 metrics).") var sequences = 10
  @Option(help: "Keep the report in this folder (default: a temporary one).") var out: String?

  func run() throws {
    _ = try ReportBench.run(runs: runs, sequences: sequences, out: out) {
      print($0)
      fflush(stdout)
    }
  }
}
