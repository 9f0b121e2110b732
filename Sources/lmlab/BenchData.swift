// `lmlab bench data`: synthesis, PNG decode and augmented-pair sampling frames/s at 64 and 128 px.
import Benchmarks
import ArgumentParser
import Workbench

struct BenchData: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data", abstract: "Frames/s for synthesis, PNG decode and augmented-pair sampling at 64 and 128 px.")

  @Option(parsing: .upToNextOption, help: "Frame sizes to measure.") var sizes: [Int] = [64, 128]

  func run() throws {
    try DataBench.run(sizes: sizes) { print($0) }
  }
}
