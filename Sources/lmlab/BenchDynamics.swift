// `lmlab bench dynamics`: LSTM training and rollout+decode speed at the demo and BAIR sizes,
// with PyTorch's figures from the same run (Experiments/tools/bench_dynamics.py).
import Benchmarks
import ArgumentParser
import Workbench

struct BenchDynamics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dynamics", abstract: "LSTM training sequences/s and rollout+decode frames/s, beside PyTorch.")

  @Option(help: "Seconds each figure is timed for (medians).") var seconds = 3.0
  @Option(help: "Only this size: demo or bair.") var size: String?
  @Flag(help: "Skip the PyTorch side (needs python3 with torch).") var noPytorch = false
  @Option(help: "The PyTorch benchmark script.") var script = "Experiments/tools/bench_dynamics.py"
  @Flag(help: "Also print where decoding spends its time: per op and per conv shape.") var profile = false

  func validate() throws {
    if let size, !DynamicsBench.cases.contains(where: { $0.label == size }) {
      throw ValidationError("--size \(size): expected demo or bair")
    }
  }

  func run() throws {
    try DynamicsBench.run(seconds: seconds, only: size, pytorch: !noPytorch, script: script, profile: profile) { print($0) }
  }
}
