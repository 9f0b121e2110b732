// MemoryStats: live and peak bytes held by tensor storages, the process's resident memory, and
// an opt-in census of what is alive at the peak — bytes by the op that made each storage
// ("∂ op" for gradients an op's backward returned) — for finding what a training step's peak
// memory holds.
import Foundation

public enum MemoryStats {
  nonisolated(unsafe) private static var live = 0
  nonisolated(unsafe) private static var peak = 0
  private static let lock = NSLock()

  // The census: off unless `startCensus()`; only storages allocated while it is on are counted.
  nonisolated(unsafe) private static var censusOn = false
  nonisolated(unsafe) private static var byOrigin: [String: Int] = [:]
  nonisolated(unsafe) private static var byOriginAtPeak: [String: Int] = [:]
  nonisolated(unsafe) private static var phase = "forward"
  nonisolated(unsafe) private static var phaseAtPeak = "forward"
  /// The origin of a counted storage before an op claims it (leaves, gradients being made).
  static let unclaimed = "(not made by an op)"

  /// Counts `n` new floats; returns the storage's census origin (nil when the census is off).
  static func allocated(_ n: Int) -> String? {
    lock.lock()
    defer { lock.unlock() }
    live += n * 4
    var origin: String?
    if censusOn {
      origin = unclaimed
      byOrigin[unclaimed, default: 0] += n * 4
    }
    if live > peak {
      peak = live
      if censusOn {
        byOriginAtPeak = byOrigin  // copy-on-write: the copy is made at the next change
        phaseAtPeak = phase
      }
    }
    return origin
  }

  static func freed(_ n: Int, origin: String?) {
    lock.lock()
    live -= n * 4
    if let origin { byOrigin[origin, default: 0] -= n * 4 }
    lock.unlock()
  }

  public static var liveBytes: Int { lock.lock(); defer { lock.unlock() }; return live }
  public static var peakBytes: Int { lock.lock(); defer { lock.unlock() }; return peak }
  public static func resetPeak() { lock.lock(); peak = live; lock.unlock() }

  /// Whether the census is recording (ops check it before building a label).
  static var censusIsOn: Bool { censusOn }

  /// Bills `storage` to `name`: an op's output (only when no op claimed it yet) or, with
  /// `reclaim`, a gradient a backward closure returned.
  static func attribute(_ storage: TensorStorage, to name: String, reclaim: Bool = false) {
    guard censusOn, let old = storage.origin, old != name, reclaim || old == unclaimed else { return }
    lock.lock()
    byOrigin[old, default: 0] -= storage.count * 4
    byOrigin[name, default: 0] += storage.count * 4
    storage.origin = name
    lock.unlock()
  }

  /// Names what runs now ("forward", "backward of conv2d"): the census says where the peak fell.
  static func setPhase(_ name: @autoclosure () -> String) {
    guard censusOn else { return }
    lock.lock()
    phase = name()
    lock.unlock()
  }

  /// What was alive at the peak since `startCensus()`.
  public struct Census {
    /// The peak of live tensor bytes.
    public var peakBytes: Int
    /// Where it fell: "forward" or "backward of <op>".
    public var phase: String
    /// Bytes alive at the peak by origin, largest first (storages made while recording).
    public var byOrigin: [(origin: String, bytes: Int)]
    /// Bytes alive at the peak that were allocated before recording began (parameters,
    /// optimizer state, inputs).
    public var before: Int
  }

  /// Starts a census from now: the peak is reset to the live bytes.
  public static func startCensus() {
    lock.lock()
    defer { lock.unlock() }
    censusOn = true
    byOrigin = [:]
    byOriginAtPeak = [:]
    phase = "forward"
    phaseAtPeak = "forward"
    peak = live
  }

  /// Stops the census and returns what it saw.
  public static func stopCensus() -> Census {
    lock.lock()
    defer { lock.unlock() }
    censusOn = false
    let rows = byOriginAtPeak.filter { $0.value != 0 }.map { (origin: $0.key, bytes: $0.value) }
      .sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.origin < $1.origin }
    return Census(
      peakBytes: peak, phase: phaseAtPeak, byOrigin: rows, before: peak - rows.reduce(0) { $0 + $1.bytes })
  }

  /// Resident set size and its high-water mark of this process, from /proc/self/status (bytes).
  public static func processMemory() -> (rss: Int, peakRSS: Int) {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    func field(_ name: String) -> Int {
      for line in text.split(separator: "\n") where line.hasPrefix(name) {
        let digits = line.split(separator: " ").compactMap { Int($0) }
        if let kb = digits.first { return kb * 1024 }
      }
      return 0
    }
    return (field("VmRSS:"), field("VmHWM:"))
  }
}
