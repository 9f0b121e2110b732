// WorstCaseSection: the galleries of DESIGN §3 — per method the sequences with the worst mean
// score over the horizon, the sequences worst for several methods at once, the worst sequence
// at each time step, and filmstrips of those sequences (ground truth above each method's
// frames, the score under every frame). Used by `lmlab report` and, alone, by `lmlab worst`.
import Foundation
import EvalMetrics

public enum WorstCaseSection {
  /// The metric galleries rank by: a calibrated LPIPS (plain `lpips-<net>`), else the ImageNet
  /// feature distance `effnet-lite0-dist`, else any LPIPS (a random backbone), else SSIM, else PSNR.
  static func defaultMetric(_ metrics: Set<String>) -> String? {
    let m = metrics.sorted()
    return m.first { ["lpips-alex", "lpips-vgg", "lpips-squeeze"].contains($0) } ?? m.first { $0 == "effnet-lite0-dist" }
      ?? m.first { $0.hasPrefix("lpips") } ?? m.first { $0.hasPrefix("effnet") } ?? m.first { $0.hasPrefix("ssim") }
      ?? m.first { $0.hasPrefix("psnr") }
  }

  /// Columns of a strip: up to `count` indices spread evenly over 1...last, always with the last.
  static func columns(last: Int, count: Int = 10) -> [Int] {
    guard last > count else { return Array(1...max(last, 1)) }
    return (0..<count).map { 1 + Int((Double($0) * Double(last - 1) / Double(count - 1)).rounded()) }
  }

  /// - Parameters:
  ///   - metric: ranking metric (nil: `defaultMetric`); a metric no run has is an error naming it.
  ///   - top: sequences per method in the tables and in the "worst for several" test.
  /// - Returns: nil when `runs` is empty.
  public static func build(
    _ runs: [FrameRunResult], metric requested: String?, top: Int, folder: ReportFolder
  ) throws -> HTMLSection? {
    guard !runs.isEmpty else { return nil }
    var s = HTMLSection("Worst cases")
    var csv = TidyCSV(header: ["setup", "table", "method", "rank", "index", "sequence", "metric", "value"])
    let metrics = Set(runs.flatMap { $0.rows.map(\.metric) })
    if let m = requested, !metrics.contains(m) {
      throw ReportsError.option(
        "--metric \(m): no selected run has it (they have \(metrics.sorted().joined(separator: ", ")))")
    }
    let setups = Array(Set(runs.map(\.setup))).sorted { $0.localizedStandardCompare($1) == .orderedAscending }  // "28" before "200"
    for (k, setup) in setups.enumerated() {
      let group = runs.filter { $0.setup == setup }.sorted { MethodStyles.order($0.method, $1.method) }
      let groupMetrics = Set(group.flatMap { $0.rows.map(\.metric) })
      guard let metric = requested ?? defaultMetric(groupMetrics), groupMetrics.contains(metric),
        let direction = MetricDirection(metricName: metric)
      else { continue }
      let rows = group.flatMap { $0.rows.filter { $0.metric == metric } }
      let rankings = WorstCases.rankings(rows, metric: metric, direction: direction)
      let shared = WorstCases.shared(rankings, top: top)
      var sub = HTMLSection("\(setup): worst by \(metric)", id: "worst-\(k)")
      sub.paragraph(
        "Sequences ranked by mean \(metric) over all scored frames (\(direction == .lowerIsBetter ? "highest" : "lowest") is worst); rank 1 is the worst.")
      var perMethod: [[String]] = []
      for r in rankings {
        for q in r.top(top) {
          perMethod.append([r.method, "\(q.rank)", q.sequence, String(format: "%.4f", q.mean)])
          csv.append([setup, "per-method", r.method, "\(q.rank)", "", q.sequence, metric, TidyCSV.number(q.mean)])
        }
      }
      sub.table(header: ["method", "rank", "sequence", "mean \(metric)"], rows: perMethod, caption: "Each method's \(top) worst sequences")
      if shared.isEmpty {
        sub.paragraph("No sequence is among the \(top) worst of two or more methods.")
      } else {
        sub.table(
          header: ["sequence", "methods with it in their \(top) worst", "mean rank"],
          rows: shared.map { [$0.sequence, $0.methods.joined(separator: ", "), String(format: "%.2f", $0.meanRank)] },
          caption: "Sequences worst for several methods at once")
        for w in shared { csv.append([setup, "shared", w.methods.joined(separator: " "), TidyCSV.number(w.meanRank), "", w.sequence, metric, ""]) }
      }
      let perIndex = WorstCases.worstPerIndexAcrossMethods(rows, metric: metric, direction: direction)
      for w in perIndex { csv.append([setup, "per-index", w.method, "", "\(w.index)", w.sequence, metric, TidyCSV.number(w.value)]) }
      for (method, list) in WorstCases.worstPerIndex(rows, metric: metric, direction: direction).sorted(by: { $0.key < $1.key }) {
        for w in list { csv.append([setup, "per-index-method", method, "", "\(w.index)", w.sequence, metric, TidyCSV.number(w.value)]) }
      }
      let counts = Dictionary(grouping: perIndex, by: \.sequence).mapValues(\.count)
      sub.paragraph(
        "Worst sequence at each time step across methods: "
          + counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
          .map { "\($0.key) at \($0.value) step\($0.value == 1 ? "" : "s")" }.joined(separator: ", ")
          + " (every step in worst_cases.csv).")
      // Filmstrips: the shared worst sequences, then each method's worst.
      var shown: [String] = []
      for q in shared.prefix(3).map(\.sequence) + rankings.compactMap({ $0.sequences.first?.sequence }) where !shown.contains(q) {
        shown.append(q)
      }
      var value: [String: [String: [Int: Double]]] = [:]
      for r in rows { value[r.method, default: [:]][r.sequence, default: [:]][r.index] = r.value }
      for q in shown.prefix(6) {
        let ranks = rankings.compactMap { r in r.sequences.first { $0.sequence == q }.map { "\(r.method) #\($0.rank)" } }
        try filmstrip(
          q, runs: group, metric: metric, values: value, file: "worst-\(k)-\(ReportFolder.fileName(q)).png", setup: setup,
          caption: "\(q): rank \(ranks.joined(separator: ", ")).", into: &sub, folder: folder)
      }
      s.subsection(sub)
    }
    try csv.write(to: folder.path("worst_cases.csv"))
    s.links([(text: "worst_cases.csv", href: "worst_cases.csv")])
    return s
  }

  /// Adds the filmstrip of `sequence` to `sub`: ground truth on top, then one row per run in the
  /// order given with its `metric` under each frame, written as `file`; a line instead when no
  /// run has a frame PNG of it. `values`: method → sequence → index → value.
  static func filmstrip(
    _ sequence: String, runs: [FrameRunResult], metric: String, values: [String: [String: [Int: Double]]], file: String,
    setup: String, caption: String, into sub: inout HTMLSection, folder: ReportFolder
  ) throws {
    let q = sequence
    let last = runs.compactMap { $0.frameNumber[q]?.keys.max() }.max() ?? 0
    guard last > 0 else { return }
    let cols = columns(last: last)
    let truthRun = runs.first { r in cols.contains { r.framePath(q, $0, truth: true) != nil } }
    guard let truthRun else {
      sub.paragraph("\(q): no frame PNGs found in the runs' folders, so no filmstrip.")
      return
    }
    let strip = Filmstrip(
      columnLabels: cols.map { "+\($0)" },
      groundTruth: FilmstripRow(label: "ground truth", frames: cols.map { truthRun.framePath(q, $0, truth: true) }),
      methods: runs.map { r in
        FilmstripRow(label: r.method, frames: cols.map { r.framePath(q, $0) }, scores: cols.map { values[r.method]?[q]?[$0] })
      },
      scale: 2, scoreDecimals: metric.hasPrefix("psnr") ? 1 : 3, scoreName: metric)
    let image = try strip.compose()
    try image.writePNG(to: folder.path(file))
    sub.svg(
      image.svgFigure(href: file, title: "\(q) (\(setup))"),
      caption: caption + " Ground truth on top; \(metric) under each frame; grey cells have no frame.")
  }
}
