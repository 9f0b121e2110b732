// `lmlab bench engine`: sgemm and conv2d throughput in one run.
import ArgumentParser
import Workbench

struct BenchEngine: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine", abstract: "sgemm GFLOP/s and conv2d forward+backward GFLOP/s for the model's shapes.")

  func run() throws {
    EngineBench.run { print($0) }
  }
}
