// DemoProgress: what the demo prints while it runs — one line per stage with an overall ETA
// (OverallProgress), and the frame stages' shared notes said once (NotesOnce).
import Foundation

/// One line per stage: which stage of how many, elapsed time, and an ETA from the stages'
/// shares and the rate of the stages that did work here (reused stages take no time).
final class OverallProgress {
  let stages: [(label: String, weight: Double)]
  let print: (String) -> Void
  let started = Date()
  var done = 0.0
  var worked = (weight: 0.0, seconds: 0.0)
  var seconds: [(stage: String, seconds: Double, reused: Bool)] = []

  init(stages: [(label: String, weight: Double)], print: @escaping (String) -> Void) {
    self.stages = stages
    self.print = print
  }

  /// Runs stage `label`; `body` sets its flag when it reused a finished run.
  func stage(_ label: String, _ body: (inout Bool) throws -> Void) throws {
    let i = stages.firstIndex { $0.label == label } ?? 0
    let total = stages.reduce(0) { $0 + $1.weight }
    let elapsed = Date().timeIntervalSince(started)
    let eta = worked.weight > 0 ? ProgressReporter.formatDuration(worked.seconds / worked.weight * (total - done)) : "?"
    print(
      "demo [\(i + 1)/\(stages.count)] \(label)  elapsed \(ProgressReporter.formatDuration(elapsed))  "
        + "ETA \(eta)  (\(Int(100 * done / total))% of the work)")
    fflush(stdout)  // a pipe or file reader sees each stage as it starts
    let t0 = Date()
    var reused = false
    try body(&reused)
    let took = Date().timeIntervalSince(t0)
    seconds.append((label, took, reused))
    done += stages[i].weight
    if !reused { worked = (worked.weight + stages[i].weight, worked.seconds + took) }
  }

  func finish() {
    print("demo: all \(stages.count) stages done in \(ProgressReporter.formatDuration(Date().timeIntervalSince(started)))")
  }
}

/// Passes lines on, but each "note: " line only the first time: the demo's frame stages all note
/// the same missing weights.
final class NotesOnce: @unchecked Sendable {
  private var seen = Set<String>()
  private let out: (String) -> Void
  init(_ out: @escaping (String) -> Void) { self.out = out }
  func print(_ line: String) {
    if line.hasPrefix("note: ") && !seen.insert(line).inserted { return }
    out(line)
  }
}
