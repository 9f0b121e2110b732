// LandmarkSections: the runs table (only differing parameters) and the landmark part of a
// report — Table-1-style keypoint accuracy per configuration (mean ± std over seeds, best run,
// beside the baselines), accuracy against threshold (Fig. 9), training curves, and the learned
// landmarks drawn on test frames. Every number shown is also written to a CSV beside the page.
import Foundation
import SafeIO
import EvalMetrics

public enum LandmarkSections {
  static func runs(_ data: ReportData, folder: ReportFolder) throws -> HTMLSection {
    var s = HTMLSection("Runs")
    let fixed = ["run", "kind", "name", "status", "parent", "experiment", "time"]
    func cells(_ r: ReportRun, _ keys: [String]) -> [String] {
      ["\(r.id)", r.kind, r.name, r.status, r.parentId.map { "\($0)" } ?? "", r.experiment ?? "", r.seconds.map(duration) ?? ""]
        + keys.map { r.params[$0] ?? "" }
    }
    var csv = TidyCSV(header: fixed + data.changedKeys)
    for r in data.runs { csv.append(cells(r, data.changedKeys)) }
    try csv.write(to: folder.path("runs.csv"))
    // One table per kind, with the parameters that differ among runs of that kind (parameters
    // of other stages, inherited from a parent, would only repeat).
    var kinds: [String] = []
    for r in data.runs where !kinds.contains(r.kind) { kinds.append(r.kind) }
    for kind in kinds {
      let runs = data.runs.filter { $0.kind == kind }
      let keys = changedKeys(runs)
      s.table(
        header: fixed + keys, rows: runs.map { cells($0, keys) },
        caption: "\(kind): \(runs.count) run\(runs.count == 1 ? "" : "s")"
          + (runs.count < 2 ? "" : keys.isEmpty ? "; all recorded parameters are equal" : "; the parameters that differ between them"))
    }
    s.links([(text: "runs.csv (all runs, every parameter that differs)", href: "runs.csv")])
    return s
  }

  /// Param keys whose values differ between the runs (a key missing from a run counts as a value).
  public static func changedKeys(_ runs: [ReportRun]) -> [String] {
    let keys = Set(runs.flatMap { $0.params.keys })
    return keys.filter { k in Set(runs.map { $0.params[k] ?? "∅" }).count > 1 }.sorted()
  }

  static func duration(_ s: Double) -> String {
    s < 60 ? String(format: "%.0f s", s) : s < 3600 ? String(format: "%.1f min", s / 60) : String(format: "%.2f h", s / 3600)
  }

  /// The runs as legends name them, in order: with configuration and seed when the runs differ
  /// in their configuration (a sweep's arms), so a curve can be read without the runs table.
  static func legendNames(_ runs: [LandmarkResult]) -> [String] {
    let differ = Set(runs.map(\.configuration)).count > 1
    return runs.map { r in
      guard differ, !r.configuration.isEmpty else { return "run \(r.runId)" }
      return "run \(r.runId): \(r.configuration)" + (r.seed.map { ", seed \($0)" } ?? "")
    }
  }

  static func f3(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.3f", $0) : "—" } ?? "—" }

  /// Table 1 (per configuration: mean ± std over seeds, best run, baselines), Fig. 9, training
  /// curves and landmark pictures. Nil when the report has no landmark runs.
  static func keypoints(_ data: ReportData, folder: ReportFolder) throws -> HTMLSection? {
    let runs = data.landmarks
    guard !runs.isEmpty else { return nil }
    var s = HTMLSection("Keypoint accuracy")
    // Table 1.
    let groups = Dictionary(grouping: runs, by: \.configuration)
    var rows: [[String]] = []
    var csv = TidyCSV(
      header: ["configuration", "runs", "threshold_px", "mean", "std", "best_run", "best", "mean_pose", "untrained"])
    for key in groups.keys.sorted() {
      let g = groups[key]!
      let acc = g.compactMap(\.accuracy).filter(\.isFinite)
      let stats = MeanInterval(values: acc)  // sample std (n − 1); NaN below 2 runs
      let (mean, sd) = (stats.mean, acc.count < 2 ? Double.nan : stats.sd)
      let best = g.filter { $0.accuracy?.isFinite ?? false }.max { $0.accuracy! < $1.accuracy! }
      let meanPose = g.compactMap(\.meanPose).first, untrained = g.compactMap(\.untrained).first
      let label = key.isEmpty ? "(as configured)" : key
      // Runs of one configuration share their threshold; a mix (e.g. runs from before the key
      // was read) shows each.
      let thresholds = Set(g.compactMap(\.thresholdPixels)).sorted().map { String(format: "%g", $0) }
      let threshold = thresholds.isEmpty ? "—" : thresholds.joined(separator: " / ")
      rows.append([
        label, "\(g.count)", threshold, acc.count < 2 ? f3(mean) : "\(f3(mean)) ± \(f3(sd))",
        best.map { "run \($0.runId): \(f3($0.accuracy))" } ?? "—", f3(meanPose), f3(untrained),
      ])
      csv.append(
        [label, "\(g.count)", thresholds.joined(separator: " "), TidyCSV.number(mean), TidyCSV.number(sd), best.map { "\($0.runId)" } ?? "", TidyCSV.number(best?.accuracy ?? .nan)]
          + [meanPose, untrained].map { TidyCSV.number($0 ?? .nan) })
    }
    try csv.write(to: folder.path("keypoint_accuracy.csv"))
    s.table(
      header: [
        "configuration", "runs", "threshold (px)", "accuracy (mean ± std over seeds)", "best run", "mean-pose baseline",
        "untrained-model baseline",
      ],
      rows: rows,
      caption: "Keypoint-regression accuracy on test frames (report Table 1): the share of keypoints within the threshold (keypoint_threshold, pixels of the stored frames) of a linear map from landmark means to keypoints fitted on train frames; std over seeds needs ≥ 2 runs")
    s.links([(text: "keypoint_accuracy.csv", href: "keypoint_accuracy.csv")])
    // Fig. 9.
    let curves = runs.flatMap { r in r.thresholdCurve.map { (r.runId, $0) } }
    if !curves.isEmpty {
      var csv = TidyCSV(header: ["run", "model", "threshold_fraction", "threshold_px", "accuracy"])
      for (id, p) in curves { csv.append(["\(id)", p.model, TidyCSV.number(p.fraction), TidyCSV.number(p.pixels), TidyCSV.number(p.accuracy)]) }
      try csv.write(to: folder.path("keypoint_accuracy_threshold.csv"))
      var series: [ChartSeries] = []
      let names = legendNames(runs)
      // Baselines from the first run that has them (one data set: they are equal across runs).
      for (k, r) in runs.enumerated() where !r.thresholdCurve.isEmpty {
        let learned = r.thresholdCurve.filter { $0.model == "learned" }
        if !learned.isEmpty {
          series.append(ChartSeries(name: runs.count == 1 ? "learned landmarks" : names[k], x: learned.map { 100 * $0.fraction }, y: learned.map(\.accuracy), styleIndex: k))
        }
      }
      if let r = runs.first(where: { $0.thresholdCurve.contains { $0.model != "learned" } }) {
        for (j, m) in ["mean-pose", "untrained"].enumerated() {
          let c = r.thresholdCurve.filter { $0.model == m }
          if !c.isEmpty {
            series.append(ChartSeries(name: "\(m) baseline", x: c.map { 100 * $0.fraction }, y: c.map(\.accuracy), styleIndex: 98 - j))
          }
        }
      }
      let chart = SVGLineChart(
        title: "Keypoint accuracy against threshold",
        xAxis: ChartAxis(title: "Threshold", unit: "% of image size"),
        yAxis: ChartAxis(title: "Keypoints within threshold", unit: "fraction", range: 0...1),
        series: series, width: 640, height: 380, id: "kp-threshold")
      s.svg(chart.render(), caption: "Accuracy against the distance threshold (report Fig. 9); the table uses each run's keypoint_threshold")
      s.links([(text: "keypoint_accuracy_threshold.csv", href: "keypoint_accuracy_threshold.csv")])
    }
    try trainingCurves(runs, into: &s, folder: folder)
    // Landmarks on test frames.
    for r in runs {
      // An artifact path from the registry: only a regular file is copied (a FIFO would block).
      guard let src = r.landmarkImage, FileKind.of(src) == .regular else { continue }
      let name = "landmarks-run\(r.runId).png"
      try FileManager.default.copyItem(atPath: src, toPath: folder.path(name))
      s.image(src: name, alt: "landmarks of run \(r.runId) on test frames", caption: "Run \(r.runId): learned landmarks on test frames (appearances not seen in training)", width: 768)
    }
    return s
  }

  static func trainingCurves(_ runs: [LandmarkResult], into s: inout HTMLSection, folder: ReportFolder) throws {
    var csv = TidyCSV(header: ["run", "series", "step", "value"])
    for r in runs {
      for (name, pts) in r.series.sorted(by: { $0.key < $1.key }) {
        for p in pts { csv.append(["\(r.runId)", name, "\(p.step)", TidyCSV.number(p.value)]) }
      }
    }
    try csv.write(to: folder.path("training_series.csv"))
    func points(_ pts: [SeriesValue]) -> [ChartPoint] { pts.map { ChartPoint(x: Double($0.step), y: $0.value) } }
    let names = legendNames(runs)
    let loss = runs.enumerated().compactMap { k, r in
      r.series["loss"].map { ChartSeries(name: names[k], points: points($0), styleIndex: k) }
    }
    if !loss.isEmpty {
      // The first steps' loss is often 10-100x the rest: fix the axis to the bulk of the values
      // (the spike is clipped at the top) so the curve's descent stays readable.
      let values = loss.flatMap { $0.points.map(\.y) }.filter(\.isFinite).sorted()
      let top = values.isEmpty ? 1 : values[Int(Double(values.count - 1) * 0.98)] * 1.5
      let chart = SVGLineChart(
        title: "Training loss", xAxis: ChartAxis(title: "Step", unit: "optimizer steps", integerTicks: true),
        yAxis: ChartAxis(title: "Total loss", unit: "weighted sum", range: 0...max(top, 1e-12)), series: loss, width: 640, height: 340, id: "train-loss")
      s.svg(chart.render(), caption: "Landmark training loss per step")
    }
    var acc: [ChartSeries] = []
    for (k, r) in runs.enumerated() {
      if let a = r.series["keypoint_acc"] { acc.append(ChartSeries(name: names[k], points: points(a), styleIndex: k)) }
    }
    if !acc.isEmpty {
      let steps = acc.flatMap { $0.points.map(\.x) }
      let span = [steps.min() ?? 0, steps.max() ?? 1]
      if let r = runs.first(where: { $0.meanPose != nil }), let m = r.meanPose {
        acc.append(ChartSeries(name: "mean-pose baseline", x: span, y: [m, m], styleIndex: 98))
      }
      if let r = runs.first(where: { $0.untrained != nil }), let u = r.untrained {
        acc.append(ChartSeries(name: "untrained-model baseline", x: span, y: [u, u], styleIndex: 97))
      }
      let chart = SVGLineChart(
        title: "Keypoint accuracy during training", xAxis: ChartAxis(title: "Step", unit: "optimizer steps", integerTicks: true),
        yAxis: ChartAxis(title: "Keypoints within keypoint_threshold", unit: "fraction", range: 0...1), series: acc, width: 640,
        height: 340, id: "train-acc")
      s.svg(chart.render(), caption: "Keypoint accuracy of the probe over training, beside the two baselines")
    }
    s.links([(text: "training_series.csv", href: "training_series.csv")])
  }
}
