// `lmlab bench train`: training-step speed, GFLOP/s against same-run sgemm, and peak memory for
// ref-64 and the demo config.
import Benchmarks
import ArgumentParser
import Workbench

struct BenchTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Seconds per step, images/s, GFLOP/s and peak memory: ref-64 and the demo config.")

  @Option(help: "Timed steps per config (after one warm-up).") var steps = 4
  @Option(help: "Only this config: \(TrainBench.labels.joined(separator: " or ")).") var config: String?
  @Flag(help: "Also time every conv by shape and pass (where the step's time goes).") var profile = false

  func validate() throws {
    if let config, !TrainBench.labels.contains(config) {
      throw ValidationError("--config \(config): no such config (known: \(TrainBench.labels.joined(separator: ", ")))")
    }
  }

  func run() throws {
    try TrainBench.run(steps: steps, only: config, profile: profile) { print($0) }
  }
}
