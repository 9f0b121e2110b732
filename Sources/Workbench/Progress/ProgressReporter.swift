// Progress display for long loops. On a terminal: one live line rewritten in place with
// step/total, percent, rate, ETA and the latest loss. Otherwise (logs, CI, pipes): a plain
// line every `plainInterval` seconds and at the end, so log files stay readable. A resumed run
// starts the count at its checkpoint's step: rate and ETA come only from the steps this process
// did (the steps before it took no time here).
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public final class ProgressReporter: @unchecked Sendable {
  public enum Style: Sendable { case live, plain, silent }

  public let label: String
  public let total: Int
  public let style: Style
  /// Seconds between plain lines.
  public var plainInterval: Double = 10
  /// Seconds between live redraws (keeps terminal output cheap in tight loops).
  public var liveInterval: Double = 0.1
  /// Unit shown in the rate, e.g. "step" → "3.2 step/s".
  public var unit = "step"

  private let write: (String) -> Void
  private let clock: () -> Double
  private let lock = NSLock()
  private let start: Double
  /// Steps already done when this process started (a resumed run's checkpoint step).
  public let startStep: Int
  private var lastDraw: Double = -Double.infinity
  private var step = 0
  private var loss: Double?
  /// Exponential moving average of seconds per step (weights recent steps, so ETA adapts).
  private var secondsPerStep: Double?
  private var lastStepTime: Double
  private var lastStepCount = 0
  private var finished = false

  /// - Parameters:
  ///   - style: nil picks `.live` when standard error is a terminal, else `.plain`.
  ///   - write: where lines go (default standard error).
  ///   - startStep: steps done before this process (a resumed run's step); shown in the
  ///     count, left out of the rate.
  ///   - clock: seconds, monotonic enough for rates (injectable for tests).
  public init(
    label: String, total: Int, startStep: Int = 0, style: Style? = nil, write: ((String) -> Void)? = nil,
    clock: (() -> Double)? = nil
  ) {
    self.label = label
    self.total = max(total, 0)
    self.style = style ?? (isatty(STDERR_FILENO) == 1 ? .live : .plain)
    self.write = write ?? { FileHandle.standardError.write(Data($0.utf8)) }
    self.clock = clock ?? { ProcessInfo.processInfo.systemUptime }
    start = self.clock()
    lastStepTime = start
    self.startStep = max(startStep, 0)
    step = self.startStep
    lastStepCount = self.startStep
  }

  /// Reports that `step` steps are done (absolute count), with the latest loss if any.
  public func update(step: Int, loss: Double? = nil) {
    lock.lock()
    defer { lock.unlock() }
    let now = clock()
    if step > lastStepCount {
      let per = (now - lastStepTime) / Double(step - lastStepCount)
      secondsPerStep = secondsPerStep.map { 0.8 * $0 + 0.2 * per } ?? per
      lastStepTime = now
      lastStepCount = step
    }
    self.step = step
    if let l = loss { self.loss = l }
    switch style {
    case .silent: return
    case .live:
      if now - lastDraw >= liveInterval || step >= total {
        lastDraw = now
        write("\r\u{1B}[2K" + line(now: now))
      }
    case .plain:
      if now - lastDraw >= plainInterval {
        lastDraw = now
        write(line(now: now) + "\n")
      }
    }
  }

  /// Ends the display with a final line (and a newline on a terminal).
  public func finish() {
    lock.lock()
    defer { lock.unlock() }
    if finished { return }
    finished = true
    let now = clock()
    switch style {
    case .silent: return
    case .live: write("\r\u{1B}[2K" + line(now: now, final: true) + "\n")
    case .plain: write(line(now: now, final: true) + "\n")
    }
  }

  /// The status text, e.g. `train  1200/5000 (24%)  3.10 step/s  ETA 20m26s  loss 0.4121`.
  func line(now: Double, final: Bool = false) -> String {
    var parts = [label]
    if total > 0 {
      let pct = Int((Double(step) / Double(total) * 100).rounded(.down))
      parts.append("\(step)/\(total) (\(pct)%)")
    } else {
      parts.append("\(step)")
    }
    let elapsed = now - start
    if final {
      let done = step - startStep
      let rate = elapsed > 0 ? Double(done) / elapsed : 0
      parts.append(ProgressReporter.formatRate(rate, unit: unit))
      parts.append("in " + ProgressReporter.formatDuration(elapsed))
      if startStep > 0 { parts.append("(\(done) \(unit)s after resuming at \(startStep))") }
    } else if let spp = secondsPerStep, spp > 0 {
      parts.append(ProgressReporter.formatRate(1 / spp, unit: unit))
      if total > 0 {
        parts.append("ETA " + ProgressReporter.formatDuration(Double(max(total - step, 0)) * spp))
      }
    }
    if let l = loss { parts.append("loss " + ProgressReporter.formatLoss(l)) }
    return parts.joined(separator: "  ")
  }

  public static func formatRate(_ perSecond: Double, unit: String) -> String {
    if perSecond >= 100 { return String(format: "%.0f %@/s", perSecond, unit) }
    if perSecond >= 1 { return String(format: "%.2f %@/s", perSecond, unit) }
    if perSecond > 0 { return String(format: "%.2f s/%@", 1 / perSecond, unit) }
    return "- \(unit)/s"
  }

  public static func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "-" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
  }

  public static func formatLoss(_ v: Double) -> String {
    if v == 0 || (abs(v) >= 1e-3 && abs(v) < 1e5) { return String(format: "%.4f", v) }
    return String(format: "%.3e", v)
  }
}
