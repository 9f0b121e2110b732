// `lmlab bench train`: training-step speed, GFLOP/s against same-run sgemm, and peak memory of
// landmarks-learn (the demo's config) and ref-64, beside PyTorch on the same config and threads.
import Benchmarks
import ArgumentParser
import Foundation
import Workbench

struct BenchTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Seconds per step, images/s, GFLOP/s and peak memory of landmarks-learn and ref-64, beside PyTorch.")

  @Option(help: "Timed steps per config and side (after one warm-up; medians).") var steps = 5
  @Option(
    help: "Only this case: ref-64 (the reference sizes at 64 px) or a config in Experiments/ by name (e.g. landmarks-learn).")
  var config: String?
  @Option(help: "Threads for both sides: OpenBLAS, the engine's workers and PyTorch.") var threads = 2
  @Flag(help: "Skip the PyTorch side (needs python3 with torch).") var noPytorch = false
  @Option(help: "The PyTorch benchmark script.") var script = "Experiments/tools/bench_train.py"
  @Flag(help: "Also time every conv by shape and pass (where the step's time goes).") var profile = false
  @Flag(help: "Instead: steps with Winograd off, auto with F2 only, and auto (F2 and F4), rotating in one process (ours only).")
  var winogradAb = false
  @Flag(help: "Instead: the fused norm ops against the unfused composition, op by op and alternating steps (ours only).")
  var fusionsAb = false

  func validate() throws {
    if threads < 1 { throw ValidationError("--threads must be ≥ 1 (got \(threads))") }
    if steps < 1 { throw ValidationError("--steps must be ≥ 1 (got \(steps))") }
    if let config, !TrainBench.knownLabels.contains(config) {
      throw ValidationError("--config \(config): no such case (known: \(TrainBench.knownLabels.joined(separator: ", ")))")
    }
  }

  func run() throws {
    let t = BenchThreads.apply(threads)
    if winogradAb { return try WinogradBench.trainAB(steps: steps, only: config) { print($0); fflush(stdout) } }
    if fusionsAb { return try FusionBench.run(steps: steps, only: config) { print($0); fflush(stdout) } }
    let reference = ReferenceSide(script: script, threads: t, disabled: noPytorch ? "--no-pytorch" : nil)
    try TrainBench.run(steps: steps, only: config, threads: t, reference: reference, profile: profile) {
      print($0)
      fflush(stdout)
    }
  }
}
