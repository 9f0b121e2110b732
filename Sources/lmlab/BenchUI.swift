// `lmlab bench ui`: the live view's answer times over a registry of 10,000 runs and a 100,000-point curve.
import ArgumentParser
import Benchmarks
import Foundation

struct BenchUI: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ui",
    abstract: "Time `lmlab ui`'s runs page over 10,000 runs (target < 300 ms) and a 100,000-point chart (< 500 ms).")

  @Option(help: "Runs in the registry.") var runs = 10_000
  @Option(help: "Points of the long curve.") var points = 100_000
  @Option(help: "Timed GETs of each page (the median is reported).") var repeats = 7

  func validate() throws {
    if runs < 2 || points < 1 || repeats < 1 { throw ValidationError("need runs ≥ 2, points ≥ 1, repeats ≥ 1") }
  }

  func run() throws {
    let figures = try UIBench.run(runs: runs, points: points, repeats: repeats) {
      print($0)
      fflush(stdout)
    }
    if figures.contains(where: { f in f.targetMs.map { f.medianMs >= $0 } ?? false }) {
      throw ExitCode(1)
    }
  }
}
