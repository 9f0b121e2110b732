// TrialMarks: how the sweep charts draw a trial by its status — finished trials solid, running
// and waiting ones hollow or dashed, failed ones as red crosses or dashed red lines — and the
// colour scale (viridis, brighter is better) the parallel-coordinates view paints objectives with.
import Foundation

enum TrialMarks {
  /// Scatter marker colour and whether it is filled, by run status.
  static func marker(_ status: String) -> (color: String, filled: Bool) {
    switch status {
    case "finished": return ("#1f77b4", true)
    case "running": return ("#ff7f0e", false)
    case "failed": return ("#d62728", false)
    default: return ("#7f7f7f", false)  // queued, interrupted
    }
  }

  /// Statuses in the order legends list them.
  static let order = ["finished", "running", "interrupted", "queued", "failed"]

  /// Viridis at t ∈ [0, 1] (5 stops, linear in RGB between them).
  static func viridis(_ t: Double) -> String {
    let stops: [(Double, Double, Double)] = [
      (0x44, 0x01, 0x54), (0x3b, 0x52, 0x8b), (0x21, 0x91, 0x8c), (0x5e, 0xc9, 0x62), (0xfd, 0xe7, 0x25),
    ]
    let u = Swift.min(Swift.max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
    let i = Swift.min(Int(u), stops.count - 2)
    let f = u - Double(i)
    let (a, b) = (stops[i], stops[i + 1])
    let c = [a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f]
    return "#" + c.map { String(format: "%02x", Int($0.rounded())) }.joined()
  }
}
