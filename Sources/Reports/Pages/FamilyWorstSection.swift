// FamilyWorstSection: the report's Fig. 8 — the sequences among the worst k of both families at
// once (a landmark LSTM and a pixel-space predictor, ranked by the galleries' metric), drawn as
// filmstrips with a row per method: ground truth, the LSTM(s), the pixel-space predictor(s),
// copy-last and the reconstruction bound. Without a pixel-space method or an LSTM it says so in
// one line. The ranks shown are written to family_worst.csv.
import Foundation
import EvalMetrics

enum FamilyWorstSection {
  static let title = "Worst of both families (report Fig. 8)"
  static let csvName = "family_worst.csv"
  /// Filmstrip rows after the ground truth, by role.
  static let stripRoles: [PredictionRole] = [.lstm, .pixel, .copyLast, .bound]

  /// - Parameters:
  ///   - metric: the galleries' ranking metric (nil: `WorstCaseSection.defaultMetric` per setup).
  ///   - top: k, the worst sequences per method that count.
  /// - Returns: nil when `runs` holds no prediction.
  static func build(_ runs: [FrameRunResult], metric requested: String?, top: Int, folder: ReportFolder) throws -> HTMLSection? {
    let predictions = runs.filter { $0.kind == .prediction }
    guard !predictions.isEmpty else { return nil }
    var s = HTMLSection(title, id: "family-worst")
    guard predictions.contains(where: { $0.role == .pixel }) else {
      s.paragraph(
        "No pixel-space method among the selected runs (lmlab predict --method pixel, or frames imported with lmlab import "
          + "predictions): no worst cases shared by both families.")
      return s
    }
    guard predictions.contains(where: { $0.role == .lstm }) else {
      s.paragraph("No landmark LSTM among the selected runs (lmlab predict --method lstm): no worst cases shared by both families.")
      return s
    }
    var csv = TidyCSV(header: ["setup", "sequence", "method", "family", "rank", "metric", "mean"])
    let setups = Array(Set(predictions.map(\.setup))).sorted { $0.localizedStandardCompare($1) == .orderedAscending }
    for (k, setup) in setups.enumerated() {
      let group = predictions.filter { $0.setup == setup }.sorted { MethodStyles.order($0.method, $1.method) }
      var sub = HTMLSection(setup, id: "family-worst-\(k)")
      let lstms = group.filter { $0.role == .lstm }, pixels = group.filter { $0.role == .pixel }
      let groupMetrics = Set(group.flatMap { $0.rows.map(\.metric) })
      guard !lstms.isEmpty, !pixels.isEmpty else {
        sub.paragraph("This setup has no \(lstms.isEmpty ? "landmark LSTM" : "pixel-space method"): nothing shared to show.")
        s.subsection(sub)
        continue
      }
      guard let metric = requested ?? WorstCaseSection.defaultMetric(groupMetrics), groupMetrics.contains(metric),
        let direction = MetricDirection(metricName: metric)
      else { continue }
      let rows = group.flatMap { $0.rows.filter { $0.metric == metric } }
      let rankings = Dictionary(
        uniqueKeysWithValues: WorstCases.rankings(rows, metric: metric, direction: direction).map { ($0.method, $0) })
      /// Sequences in the top k of any of `runs`' rankings.
      func worst(_ runs: [FrameRunResult]) -> Set<String> {
        Set(runs.flatMap { rankings[$0.method]?.top(top).map(\.sequence) ?? [] })
      }
      let ranked = lstms + pixels
      func rank(_ method: String, _ q: String) -> RankedSequence? { rankings[method]?.sequences.first { $0.sequence == q } }
      func meanRank(_ q: String) -> Double {
        let r = ranked.compactMap { rank($0.method, q)?.rank }
        return r.isEmpty ? .infinity : Double(r.reduce(0, +)) / Double(r.count)
      }
      let shared = worst(lstms).intersection(worst(pixels)).sorted {
        meanRank($0) != meanRank($1) ? meanRank($0) < meanRank($1) : $0 < $1
      }
      sub.paragraph(
        "Sequences among the \(top) worst by mean \(metric) over all scored frames of both a landmark LSTM "
          + "(\(lstms.map(\.method).joined(separator: ", "))) and a pixel-space predictor (\(pixels.map(\.method).joined(separator: ", "))); "
          + "rank 1 is the worst.")
      guard !shared.isEmpty else {
        sub.paragraph("No sequence is among the \(top) worst of both families.")
        s.subsection(sub)
        continue
      }
      let stripRuns = stripRoles.flatMap { role in group.filter { $0.role == role } }
      sub.table(
        header: ["sequence"] + ranked.map { "\($0.method) rank" } + ["mean rank"],
        rows: shared.map { q in [q] + ranked.map { r in rank(r.method, q).map { "\($0.rank)" } ?? "—" } + [String(format: "%.2f", meanRank(q))] },
        caption: "Worst for both families, by mean rank over these methods")
      var value: [String: [String: [Int: Double]]] = [:]
      for r in rows { value[r.method, default: [:]][r.sequence, default: [:]][r.index] = r.value }
      for q in shared {
        for r in stripRuns {
          guard let x = rank(r.method, q) else { continue }
          csv.append([setup, q, r.method, r.role?.family ?? "", "\(x.rank)", metric, TidyCSV.number(x.mean)])
        }
      }
      for q in shared.prefix(max(top, 1)) {
        let ranks = stripRuns.compactMap { r in rank(r.method, q).map { "\(r.method) #\($0.rank)" } }
        try WorstCaseSection.filmstrip(
          q, runs: stripRuns, metric: metric, values: value, file: "family-worst-\(k)-\(ReportFolder.fileName(q)).png",
          setup: setup, caption: "\(q), worst for both families: rank \(ranks.joined(separator: ", ")).", into: &sub,
          folder: folder)
      }
      s.subsection(sub)
    }
    try csv.write(to: folder.path(csvName))
    s.links([(text: "\(csvName) (ranks and means of the sequences shown)", href: csvName)])
    return s
  }
}
