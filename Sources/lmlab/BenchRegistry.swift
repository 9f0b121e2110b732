// `lmlab bench registry`: registry logging throughput and filtered-listing latency at scale.
import Benchmarks
import ArgumentParser
import Foundation
import Workbench

struct BenchRegistry: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "registry",
    abstract:
      "Fill a fresh registry (10,000 runs, 10 million points by default); time batched logging and `runs list` (on SQLite, and on PostgreSQL beside it with --registry postgres://...)."
  )

  @Option(name: .long, help: "Runs to create.")
  var runs = 10_000

  @Option(name: .long, help: "Series points to log in total.")
  var points = 10_000_000

  @Option(name: .long, help: "Points per write transaction.")
  var batch = 1_000

  @Option(name: .long, help: "Registry file to create (default: a temporary file, deleted after).")
  var path: String?

  @Option(
    name: .long,
    help: "A postgres:// URL: run the same bench there too (in a new schema, dropped after), beside SQLite's. A file path here is the same as --path.")
  var registry: String?

  @Flag(name: .long, help: "Keep the temporary registry.")
  var keep = false

  @Option(name: .long, help: "Timed repetitions of each listing.")
  var repeats = 7

  func validate() throws {
    if runs < 1 || points < runs * 3 || batch < 1 || repeats < 1 {
      throw ValidationError("need runs ≥ 1, points ≥ 3 × runs, batch ≥ 1, repeats ≥ 1")
    }
  }

  func run() throws {
    var o = RegistryBench.Options()
    o.runs = runs
    o.points = points
    o.batch = batch
    o.path = path
    if let r = registry { o.setRegistry(r) }
    o.keep = keep
    o.repeats = repeats
    o.cliExecutable = Bundle.main.executablePath
    _ = try RegistryBench.run(o) {
      print($0)
      fflush(stdout)
    }
  }
}
