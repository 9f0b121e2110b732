// `lmlab bench engine`: sgemm and conv2d throughput in one run.
import Benchmarks
import ArgumentParser
import Workbench

struct BenchEngine: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine", abstract: "sgemm GFLOP/s and conv2d forward+backward GFLOP/s for the model's shapes.")

  @Option(help: "conv kernel paths: auto (by channel count), direct (3x3 direct kernel), gemm (im2col + sgemm).")
  var kernel: String = "auto"

  func validate() throws {
    guard EngineBench.kernelChoices.contains(kernel) else {
      throw ValidationError("--kernel must be one of \(EngineBench.kernelChoices.joined(separator: ", ")) (got '\(kernel)')")
    }
  }

  func run() throws {
    EngineBench.run(kernel: kernel) { print($0) }
  }
}
