// `lmlab report` and `lmlab worst`: a self-contained report folder drawn from the registry
// (Workbench/Report reads, Reports draws).
import ArgumentParser
import Foundation
import Reports
import Workbench

/// Exactly one of --runs, --where, --experiment, --sweep.
struct ReportSelectionOptions: ParsableArguments {
  @Option(parsing: .upToNextOption, help: "Run ids to report on.") var runs: [Int64] = []
  @Option(name: .customLong("where"), help: "Runs matching a filter (the `runs list --where` language).") var filter: String?
  @Option(help: "Every run of an experiment.") var experiment: String?
  @Option(help: "A sweep (id or name): its summary per arm leads the report.") var sweep: String?

  func selection() throws -> ReportSelection {
    let given = [!runs.isEmpty, filter != nil, experiment != nil, sweep != nil].filter { $0 }.count
    guard given == 1 else { throw ValidationError("give exactly one of --runs, --where, --experiment, --sweep") }
    if let sweep { return .sweep(sweep) }
    if let filter { return .filter(filter) }
    if let experiment { return .experiment(experiment) }
    return .runs(runs)
  }
}

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a report folder (index.html, PNG, SVG, CSV) for runs: Table 1, curves, worst cases.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var select: ReportSelectionOptions
  @Option(
    help:
      "Output folder: a new or empty folder, or a report written before (replaced only once the new report is complete); any other folder is refused.")
  var out: String
  @Flag(help: "Replace --out even when it holds files this command did not write (they are deleted).") var force = false
  @Option(help: "Metric the worst-case galleries rank by (default: a calibrated lpips-<net>, else effnet-lite0-dist, else any LPIPS, else SSIM, else PSNR).") var metric: String?
  @Option(help: "Worst sequences per method.") var top = 3
  @Option(help: "Page title.") var title = "LandmarkLab report"

  func run() throws {
    try ReportFolder.check(out, command: "report", force: force)
    let registry = try global.openRegistry()
    let start = Date()
    let data = try ReportInputs.load(try select.selection(), registry: registry, title: title)
    let page = try ExperimentReport(data, worstMetric: metric, worstTop: top).write(to: out, force: force)
    print(String(format: "report: %@ (%d runs, %.1f s)", page, data.runs.count, Date().timeIntervalSince(start)))
  }
}

struct Worst: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Worst-case sequences of predict runs by a per-frame metric, as tables and filmstrips.")

  @OptionGroup var global: GlobalOptions
  @Option(parsing: .upToNextOption, help: "Predict, import-predictions or interpolate run ids.") var runs: [Int64]
  @Option(help: "Ranking metric (default: a calibrated lpips-<net>, else effnet-lite0-dist, else any LPIPS, else SSIM, else PSNR).") var metric: String?
  @Option(help: "Worst sequences per method.") var top = 3
  @Option(help: "Output folder: a new or empty folder, or one this command wrote before; any other folder is refused.")
  var out: String
  @Flag(help: "Replace --out even when it holds files this command did not write (they are deleted).") var force = false

  func run() throws {
    try ReportFolder.check(out, command: "worst", force: force)
    let registry = try global.openRegistry()
    let data = try ReportInputs.load(.runs(runs), registry: registry, title: "worst cases")
    guard !data.frameRuns.isEmpty else {
      throw ValidationError("runs \(runs.map(String.init).joined(separator: ", ")): none has per-frame scores")
    }
    let page = try ExperimentReport.writeWorst(data.frameRuns, title: "Worst cases", metric: metric, top: top, to: out, force: force)
    print("worst cases: \(page)")
  }
}
