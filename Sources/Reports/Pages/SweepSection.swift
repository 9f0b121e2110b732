// SweepSection: what a sweep's report leads with — one row per arm (a combination of the swept
// keys' values, seeds pooled): the rank metric's mean ± std over seeds, the best trial, and how
// many trials finished; then every trial. Both tables are also written as CSV.
import Foundation
import EvalMetrics

/// A sweep as the report shows it.
public struct SweepSummary: Sendable {
  public struct Trial: Sendable {
    public var runId: Int64
    public var status: String
    /// Swept key → value (seed excluded).
    public var values: [String: String]
    public var seed: Int64?
    public var rank: Double?
    public init(runId: Int64, status: String, values: [String: String], seed: Int64?, rank: Double?) {
      (self.runId, self.status, self.values, self.seed, self.rank) = (runId, status, values, seed, rank)
    }
  }

  public var id: Int64
  public var name: String
  public var trainer: String
  public var rankField: String
  /// "max" or "min".
  public var rankGoal: String
  public var sweptKeys: [String]
  public var trials: [Trial]

  public init(
    id: Int64, name: String, trainer: String, rankField: String, rankGoal: String, sweptKeys: [String], trials: [Trial]
  ) {
    (self.id, self.name, self.trainer, self.rankField, self.rankGoal) = (id, name, trainer, rankField, rankGoal)
    (self.sweptKeys, self.trials) = (sweptKeys, trials)
  }

  /// Arm label of a trial: `key=value, ...` over the swept keys.
  func arm(_ t: Trial) -> String {
    sweptKeys.isEmpty ? "(base config)" : sweptKeys.map { "\($0)=\(t.values[$0] ?? "-")" }.joined(separator: ", ")
  }
}

enum SweepSection {
  static func build(_ s: SweepSummary, folder: ReportFolder) throws -> HTMLSection {
    var section = HTMLSection("Sweep \(s.id): \(s.name)")
    let finished = s.trials.filter { $0.status == "finished" }
    var counts: [String: Int] = [:]
    for t in s.trials { counts[t.status, default: 0] += 1 }
    section.paragraph(
      "\(s.trials.count) trials of \(s.trainer) (\(counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))), "
        + "ranked by \(s.rankField) (\(s.rankGoal == "max" ? "higher" : "lower") is better); swept: "
        + (s.sweptKeys.isEmpty ? "seeds only" : s.sweptKeys.joined(separator: ", ")) + ".")
    let better: (Double, Double) -> Bool = s.rankGoal == "max" ? { $0 > $1 } : { $0 < $1 }
    var arms: [String] = []
    for t in s.trials where !arms.contains(s.arm(t)) { arms.append(s.arm(t)) }
    var rows: [[String]] = []
    var csv = TidyCSV(header: ["arm"] + s.sweptKeys + ["trials", "finished", "mean", "std", "best_run", "best"])
    var armMeans: [(String, Double)] = []
    for arm in arms {
      let g = s.trials.filter { s.arm($0) == arm }
      let values = g.filter { $0.status == "finished" }.compactMap(\.rank).filter(\.isFinite)
      let stats = MeanInterval(values: values)
      let sd = values.count < 2 ? Double.nan : stats.sd
      var best: SweepSummary.Trial?
      for t in g where t.status == "finished" && (t.rank?.isFinite ?? false) {
        if best == nil || better(t.rank!, best!.rank!) { best = t }
      }
      if !values.isEmpty { armMeans.append((arm, stats.mean)) }
      rows.append([
        arm, "\(values.count)/\(g.count)", values.isEmpty ? "—" : values.count < 2 ? f4(stats.mean) : "\(f4(stats.mean)) ± \(f4(sd))",
        best.map { "run \($0.runId): \(f4($0.rank))" } ?? "—",
      ])
      let keyValues: [String] = s.sweptKeys.map { g.first?.values[$0] ?? "" }
      let bestRun: String = best.map { "\($0.runId)" } ?? ""
      let numbers: [String] = [TidyCSV.number(stats.mean), TidyCSV.number(sd), bestRun, TidyCSV.number(best?.rank ?? .nan)]
      csv.append([arm] + keyValues + ["\(g.count)", "\(values.count)"] + numbers)
    }
    try csv.write(to: folder.path("sweep_summary.csv"))
    let bestArm = armMeans.reduce(nil as (String, Double)?) { b, a in b.map { better(a.1, $0.1) ? a : $0 } ?? a }
    section.table(
      header: ["arm", "finished", "\(s.rankField) (mean ± std over seeds)", "best trial"], rows: rows,
      caption: "One row per combination of the swept keys; std is the sample std over the arm's finished trials (needs ≥ 2)"
        + (bestArm.map { "; best arm by mean: \($0.0)" } ?? ""))
    var trialCSV = TidyCSV(header: ["run", "status", "arm"] + s.sweptKeys + ["seed", s.rankField])
    for t in s.trials {
      let keyValues: [String] = s.sweptKeys.map { t.values[$0] ?? "" }
      let seed: String = t.seed.map { "\($0)" } ?? ""
      trialCSV.append(["\(t.runId)", t.status, s.arm(t)] + keyValues + [seed, TidyCSV.number(t.rank ?? .nan)])
    }
    try trialCSV.write(to: folder.path("sweep_trials.csv"))
    section.links([(text: "sweep_summary.csv", href: "sweep_summary.csv"), (text: "sweep_trials.csv (every trial)", href: "sweep_trials.csv")])
    if finished.isEmpty { section.paragraph("No trial has finished yet.") }
    return section
  }

  static func f4(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.4f", $0) : "—" } ?? "—" }
}
