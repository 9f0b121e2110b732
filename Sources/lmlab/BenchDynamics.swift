// `lmlab bench dynamics`: LSTM training and rollout+decode speed of dynamics-demo and
// dynamics-bair, with PyTorch's figures from the same run (Experiments/tools/bench_dynamics.py).
import Benchmarks
import ArgumentParser
import Foundation
import Workbench

struct BenchDynamics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dynamics", abstract: "LSTM training sequences/s and rollout+decode frames/s, beside PyTorch.")

  @Option(help: "Seconds each figure is timed for (medians).") var seconds = 3.0
  @Option(help: "Only this case: \(DynamicsBench.labels.joined(separator: " or ")).") var config: String?
  @Option(help: "Threads for both sides: OpenBLAS, the engine's workers and PyTorch.") var threads = 2
  @Flag(help: "Skip the PyTorch side (needs python3 with torch).") var noPytorch = false
  @Option(help: "The PyTorch benchmark script.") var script = "Experiments/tools/bench_dynamics.py"
  @Flag(help: "Also print where decoding spends its time: per op and per conv shape.") var profile = false
  @Option(help: "Frames per decoder call (1: one frame at a time, as when decoding a single sequence; PyTorch's side decodes 32, so it is skipped for other values).")
  var decodeBatch = 32

  func validate() throws {
    if threads < 1 { throw ValidationError("--threads must be ≥ 1 (got \(threads))") }
    if decodeBatch < 1 { throw ValidationError("--decode-batch must be ≥ 1 (got \(decodeBatch))") }
    if let config, !DynamicsBench.labels.contains(config) {
      throw ValidationError("--config \(config): expected \(DynamicsBench.labels.joined(separator: " or "))")
    }
  }

  func run() throws {
    let t = BenchThreads.apply(threads)
    let skip = noPytorch ? "--no-pytorch" : decodeBatch != 32 ? "--decode-batch \(decodeBatch) (its script decodes 32 at a time)" : nil
    let reference = ReferenceSide(script: script, threads: t, disabled: skip)
    try DynamicsBench.run(
      seconds: seconds, only: config, threads: t, reference: reference, profile: profile, decodeBatch: decodeBatch
    ) {
      print($0)
      fflush(stdout)
    }
  }
}
