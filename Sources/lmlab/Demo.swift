// `lmlab demo`: the whole method on the synthetic default (Workbench/Demo), then its headline.
import ArgumentParser
import Foundation
import Workbench

struct Demo: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Synthetic data → landmarks → keypoints → dynamics and a pixel-space predictor → prediction and interpolation → scores; resumable.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var threadOptions: ThreadOptions
  @Option(
    help:
      "Output folder (frame folders, the report and, unless --registry or $LMLAB_REGISTRY names one, the registry lmlab.sqlite and its run folders): new, empty, or an earlier demo's (continued)."
  )
  var out = "reports/demo"
  @Flag(help: "Use --out even when it holds files the demo did not write (its stage folders there are replaced).")
  var force = false
  @Option(help: "Experiment the demo's runs are filed under.") var experiment = "demo"
  @Option(name: .customLong("set"), help: "Landmark config override key=value (repeatable).") var landmarkSet: [String] = []
  @Option(name: .customLong("dyn-set"), help: "Dynamics config override key=value (repeatable).") var dynamicsSet: [String] = []
  @Option(name: .customLong("pixel-set"), help: "Pixel-space predictor config override key=value (repeatable).") var pixelSet: [String] = []
  @Option(help: "LPIPS weights file or folder (default: $LMLAB_LPIPS_WEIGHTS, else weights/ in the working folder; none found: LPIPS is not scored, a note says so; a path given must hold them; none: not scored).")
  var lpipsWeights: String?
  @Option(
    help: ArgumentHelp(
      "Time budget in minutes on 2 cores: scales the three training stages' steps by N/15 (the shipped recipe's budget).",
      valueName: "N"))
  var minutes: Double?

  func run() throws {
    let threads = try threadOptions.apply()
    print("demo: \(threads) threads (engine workers and OpenBLAS; --threads or $LMLAB_THREADS, else the cores)")
    var r = try DemoRequest.presets()
    r.out = out
    r.force = force
    r.experiment = experiment
    r.landmarkOverrides = landmarkSet
    r.dynamicsOverrides = dynamicsSet
    r.pixelOverrides = pixelSet
    r.lpipsWeights = lpipsWeights
    r.minutes = minutes
    LMLabLogging.bootstrap(verbose: global.verbose)
    let registry = try DemoRegistry.open(r, flag: global.registry)
    let result = try DemoPipeline.run(r, registry: registry)
    print(try DemoHeadline(result, registry: registry).text)
    for s in result.stages {
      print("  " + s.stage.padding(toLength: 28, withPad: " ", startingAt: 0) + (s.reused ? "reused" : ProgressReporter.formatDuration(s.seconds)))
    }
    if let p = result.reportPath { print("report: \(p)") }
  }
}
