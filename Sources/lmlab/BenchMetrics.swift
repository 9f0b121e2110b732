// `lmlab bench metrics`: frames per second of PSNR, SSIM, LPIPS alex/vgg/squeeze and
// effnet-lite0-dist at 64 and 128 px, beside scikit-image, lpips and PyTorch on the same batches.
import Benchmarks
import ArgumentParser
import Foundation
import Workbench

struct BenchMetrics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "metrics",
    abstract:
      "Frames/s of PSNR, SSIM (both windows), LPIPS alex/vgg/squeeze and effnet-lite0-dist at 64 and 128 px, beside scikit-image, lpips and PyTorch."
  )

  @Option(help: "LPIPS weights file or folder; without one, random weights of the same architecture (same speed).")
  var lpipsWeights: String?
  @Option(help: "Minimum seconds per measurement.") var seconds: Double = 2
  @Option(parsing: .upToNextOption, help: "Frame sizes to measure.") var sizes: [Int] = [64, 128]
  @Option(help: "Threads for both sides: metric workers (one BLAS thread each), worker processes for scikit-image, PyTorch threads.")
  var threads = 2
  @Flag(help: "Skip the reference side (needs python3 with torch, scikit-image and lpips).") var noPytorch = false
  @Option(help: "The reference benchmark script.") var script = "Experiments/tools/bench_metrics.py"

  func validate() throws {
    if threads < 1 { throw ValidationError("--threads must be ≥ 1 (got \(threads))") }
    if sizes.isEmpty || sizes.contains(where: { $0 < 32 }) { throw ValidationError("--sizes: each ≥ 32 px") }
  }

  func run() throws {
    let t = BenchThreads.apply(threads)
    let reference = ReferenceSide(script: script, threads: t, disabled: noPytorch ? "--no-pytorch" : nil)
    _ = MetricsBench.run(sizes: sizes, minSeconds: seconds, lpipsWeights: lpipsWeights, threads: t, reference: reference) {
      print($0)
      fflush(stdout)
    }
  }
}
