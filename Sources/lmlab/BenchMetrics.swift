// `lmlab bench metrics`: frames per second of PSNR, SSIM and each LPIPS backbone at 64 and 128 px.
import Benchmarks
import ArgumentParser
import Workbench

struct BenchMetrics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "metrics",
    abstract: "Frames/s of PSNR, SSIM (both windows) and LPIPS alex/vgg/squeeze at 64 and 128 px on all cores.")

  @Option(help: "LPIPS weights file or folder; without one, random weights of the same architecture (same speed).")
  var lpipsWeights: String?
  @Option(help: "Minimum seconds per measurement.") var seconds: Double = 2

  func run() throws {
    _ = MetricsBench.run(minSeconds: seconds, lpipsWeights: lpipsWeights) { print($0) }
  }
}
