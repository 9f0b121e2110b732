// The `lmlab` root command: declares the subcommand groups; each lives in its own file.
import ArgumentParser
import Workbench

@main
struct LMLab: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lmlab",
    abstract: "LandmarkLab: unsupervised-landmark video models on the CPU.",
    subcommands: [
      Demo.self, Report.self, Worst.self, Bench.self, Runs.self, DataCommand.self, Eval.self, Train.self, SweepCommand.self, Encode.self, Predict.self,
      Interpolate.self, Import.self, RegistryCommand.self, ConfigCommand.self, WeightsCommand.self, UI.self,
    ]
  )

  /// OpenBLAS's generic fallback kernels are 3-5x slower: restart with the right ones first.
  static func main() {
    NativeBLAS.restartIfFallback()
    main(nil)
  }
}
