// SweepPage: `lmlab ui`'s /sweeps (every sweep: trials by status, best so far) and /sweeps/NAME
// — the best trial so far, the objective against each swept parameter (ScatterChart, one per
// parameter), the whole sweep as parallel coordinates, and the trials by status with links to
// their runs. Every name and value is escaped; charts carry hover values.
import Foundation
import Registry

public enum SweepPage {
  static let e = Markup.escape

  /// The sweeps of the registry, one row each.
  public static func index(_ sweeps: [SweepSummary]) -> String {
    var o = "<style>\(LiveMarkup.css)</style>\n<section class=\"lv-sweeps\">\n<h2>Sweeps</h2>\n"
    if sweeps.isEmpty {
      return o
        + "<p class=\"lv-note\">No sweeps in this registry yet (<code>lmlab sweep SPEC</code> queues one).</p>\n</section>\n"
    }
    let rows = sweeps.map { s -> [String] in
      let best = s.best.map { "\(LiveMarkup.value($0.rank)) (\(LiveMarkup.runLink($0.runId)))" } ?? "—"
      return [
        LiveMarkup.sweepLink(s.name), e(s.trainer), "\(s.trials.count)",
        s.statusCounts.map { "\(LiveMarkup.badge($0.status)) \($0.count)" }.joined(separator: " "),
        "<code>\(e(s.rankField))</code> (\(s.rankGoal == "max" ? "higher" : "lower") is better)", best,
        e(s.sweptKeys.isEmpty ? "seeds only" : s.sweptKeys.joined(separator: ", ")),
      ]
    }
    o += LiveMarkup.table(
      ["sweep", "trainer", "trials", "by status", "objective", "best so far", "swept"], rows, numeric: [2])
    return o + "</section>\n"
  }

  /// One sweep's page: its style, then the section the page's script re-fetches.
  public static func body(_ data: SweepPageData) -> String {
    "<style>\(LiveMarkup.css)</style>\n" + section(data)
  }

  /// Whether the page keeps polling: some trial is still queued or running.
  public static func isLive(_ s: SweepSummary) -> Bool {
    s.trials.contains { $0.status == "queued" || $0.status == "running" }
  }

  /// The sweep's section alone (what `/sweeps/NAME/live` answers): counts, best, charts and
  /// trials. `data-live` tells the script whether to ask again in 2 s.
  public static func section(_ data: SweepPageData) -> String {
    let s = data.summary
    let best = s.best
    let higher = s.rankGoal == "max"
    let src = "/sweeps/" + RunsPage.percentEncode(s.name) + "/live"
    var o = "<section class=\"lv-sweep\" id=\"sweep-live\" data-sweep=\"\(e(s.name))\" data-src=\"\(e(src))\" "
    o += "data-live=\"\(isLive(s) ? 1 : 0)\">\n"
    o += "<h2>Sweep \(e(s.name))</h2>\n<p>"
    o +=
      "\(s.trials.count) trials of \(e(s.trainer)), ranked by <code>\(e(s.rankField))</code> (\(higher ? "higher" : "lower") is better); "
    o += "swept: \(e(s.sweptKeys.isEmpty ? "seeds only" : s.sweptKeys.joined(separator: ", "))). "
    o += s.statusCounts.map { "\(LiveMarkup.badge($0.status)) \($0.count)" }.joined(separator: " ")
    if let eta = data.etaSeconds { o += " · ETA \(e(RunFormat.duration(eta)))" }
    o += "</p>\n"
    if let b = best {
      let values = s.pageKeys.map { "\($0)=\(s.value(b, $0) ?? "-")" }.joined(separator: ", ")
      o += "<p class=\"lv-best\" data-run=\"\(b.runId)\">Best so far: \(LiveMarkup.runLink(b.runId))"
      if let name = data.runNames[b.runId] { o += " (\(e(name)))" }
      o += " — <code>\(e(s.rankField))</code> \(LiveMarkup.value(b.rank)) with \(e(values)).</p>\n"
    } else {
      o +=
        "<p class=\"lv-best\">No trial has finished with a value of <code>\(e(s.rankField))</code> yet.</p>\n"
    }

    // The objective against each parameter, then everything at once.
    o += "<h3>Objective against each swept parameter</h3>\n<div class=\"lv-charts\">\n"
    for (k, key) in s.pageKeys.enumerated() {
      let chart = scatter(s, key: key, best: best, index: k)
      o += "<figure style=\"width:\(chart.width)px\">" + chart.render() + "</figure>\n"
    }
    o += "</div>\n"
    let without = s.trials.filter { !($0.rank?.isFinite ?? false) }.count
    if without > 0 {
      o +=
        "<p class=\"lv-note\">\(without) trial\(without == 1 ? " has" : "s have") no value of \(e(s.rankField)) yet (not in the scatter plots).</p>\n"
    }
    o += "<h3>Parallel coordinates</h3>\n<figure>" + parallel(s, best: best).render()
    o +=
      "<figcaption class=\"lv-note\">One line per trial, coloured by \(e(s.rankField)) (brighter is better); dashed: not finished "
    o +=
      "(red: failed; grey: no objective yet, the line stops at the last parameter). The best trial is drawn thick over a dark outline.</figcaption></figure>\n"

    // The trials table.
    o += "<h3>Trials</h3>\n"
    var rows: [[String]] = []
    var classes: [String?] = []
    for t in s.trials {
      var note = t.runId == best?.runId ? "best so far" : ""
      if let err = data.errors[t.runId], t.status != "finished" {
        note += (note.isEmpty ? "" : "; ") + String(err.prefix(120))
      }
      rows.append(
        [LiveMarkup.runLink(t.runId), e(data.runNames[t.runId] ?? ""), LiveMarkup.badge(t.status)]
          + s.sweptKeys.map { e(t.values[$0] ?? "-") }
          + [
            t.seed.map { "\($0)" } ?? "-", LiveMarkup.value(t.rank),
            e(data.seconds[t.runId].map(RunFormat.duration) ?? "-"), e(note),
          ])
      classes.append(t.runId == best?.runId ? "best" : nil)
    }
    let k = s.sweptKeys.count
    o += LiveMarkup.table(
      ["run", "name", "status"] + s.sweptKeys + ["seed", s.rankField, "time", "note"], rows,
      rowClass: classes,
      numeric: [k + 3, k + 4, k + 5])
    return o + "</section>\n"
  }

  /// "run 12 (finished): n_landmarks=5, seed=1 → metric.keypoint_acc 0.8123".
  static func label(_ s: SweepSummary, _ t: SweepSummary.Trial) -> String {
    var keys = s.pageKeys.map { "\($0)=\(s.value(t, $0) ?? "-")" }
    if !s.sweptKeys.isEmpty, let seed = t.seed { keys.append("seed=\(seed)") }
    return
      "run \(t.runId) (\(t.status)): \(keys.joined(separator: ", ")) → \(s.rankField) \(LiveMarkup.value(t.rank))"
  }

  /// The objective against parameter `key`: one marker per trial with a finite objective.
  static func scatter(_ s: SweepSummary, key: String, best: SweepSummary.Trial?, index: Int) -> ScatterChart {
    let points = s.trials.compactMap { t -> ScatterPoint? in
      guard let r = t.rank, r.isFinite, let v = s.value(t, key) else { return nil }
      return ScatterPoint(
        x: v, y: r, run: t.runId, status: t.status, label: label(s, t), highlighted: t.runId == best?.runId)
    }
    return ScatterChart(
      title: "\(s.rankField) against \(key)", xAxis: ChartAxis(title: key),
      yAxis: ChartAxis(title: s.rankField), points: points,
      id: "sweep-scatter-\(index)")
  }

  /// Every trial through the swept parameters and the objective.
  static func parallel(_ s: SweepSummary, best: SweepSummary.Trial?) -> ParallelCoordinates {
    let trials = s.trials.map { t in
      ParallelTrial(
        run: t.runId, status: t.status, values: s.pageKeys.map { s.value(t, $0) },
        objective: t.rank.flatMap { $0.isFinite ? $0 : nil },
        label: label(s, t), highlighted: t.runId == best?.runId)
    }
    return ParallelCoordinates(
      title: "Every trial: \(s.pageKeys.joined(separator: ", ")) → \(s.rankField)", parameters: s.pageKeys,
      objective: s.rankField,
      higherIsBetter: s.rankGoal == "max", trials: trials, id: "sweep-parallel")
  }
}
