// `lmlab bench engine`: sgemm and conv2d throughput in one run.
import Benchmarks
import Foundation
import ArgumentParser
import Workbench

struct BenchEngine: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine", abstract: "sgemm GFLOP/s and conv2d forward+backward GFLOP/s for the model's shapes.")

  @Option(help: "conv kernel paths: auto (by channel count), direct (3x3 direct kernel), gemm (im2col + sgemm).")
  var kernel: String = "auto"

  @Flag(help: "Instead: each 3x3 stride-1 shape of ref-64 and the demo, Winograd F2 and F4 against today's path, interleaved.")
  var winograd = false

  @Option(help: "With --winograd: only these shapes, as C,O,size separated by ';' (e.g. '512,512,8;128,64,64').")
  var shapes: String?

  @Option(help: "With --winograd: interleaved rounds per shape.")
  var rounds = 5

  func validate() throws {
    guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1 (got \(rounds))") }
    guard EngineBench.kernelChoices.contains(kernel) else {
      throw ValidationError("--kernel must be one of \(EngineBench.kernelChoices.joined(separator: ", ")) (got '\(kernel)')")
    }
  }

  func run() throws {
    if winograd {
      let only = shapes.map { Set($0.split(separator: ";").map { $0.replacingOccurrences(of: " ", with: "") }) }
      return WinogradBench.run(rounds: rounds, only: only) { print($0); fflush(stdout) }
    }
    EngineBench.run(kernel: kernel) { print($0) }
  }
}
