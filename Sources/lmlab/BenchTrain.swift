// `lmlab bench train`: training-step speed, GFLOP/s against same-run sgemm, and peak memory for
// ref-64 and the demo config.
import ArgumentParser
import Workbench

struct BenchTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Seconds per step, images/s, GFLOP/s and peak memory: ref-64 and the demo config.")

  @Option(help: "Timed steps per config (after one warm-up).") var steps = 4

  func run() throws {
    try TrainBench.run(steps: steps) { print($0) }
  }
}
