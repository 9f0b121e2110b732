// `lmlab bench ...`: benchmark commands; each prints its figures and same-run ratios.
import Benchmarks
import ArgumentParser
import Workbench

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure speed (figures and same-run ratios are printed).",
    subcommands: [BenchBLAS.self, BenchEngine.self, BenchRegistry.self, BenchReport.self, BenchData.self, BenchMetrics.self, BenchTrain.self, BenchDynamics.self, BenchUI.self]
  )
}
