// `lmlab bench engine`: sgemm and conv2d throughput in one run.
import Benchmarks
import ArgumentParser
import Workbench

struct BenchEngine: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine", abstract: "sgemm GFLOP/s and conv2d forward+backward GFLOP/s for the model's shapes.")

  @Option(help: "conv kernel paths: auto (by channel count), direct (3x3 direct kernel), gemm (im2col + sgemm).")
  var kernel: String = "auto"

  @Flag(help: "Instead: each 3x3 stride-1 shape of ref-64 and the demo, Winograd against today's path, interleaved.")
  var winograd = false

  func validate() throws {
    guard EngineBench.kernelChoices.contains(kernel) else {
      throw ValidationError("--kernel must be one of \(EngineBench.kernelChoices.joined(separator: ", ")) (got '\(kernel)')")
    }
  }

  func run() throws {
    if winograd { return WinogradBench.run { print($0) } }
    EngineBench.run(kernel: kernel) { print($0) }
  }
}
