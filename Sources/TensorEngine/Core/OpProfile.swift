// An opt-in tally of time per graph op (forward and backward), for finding where a training
// step's time goes outside the convolutions. Forward time is the interval since the previous
// op finished (or `mark()`), so glue code between ops is billed to the op that follows it.
// Off by default; the graph runs on one thread, so the tally needs no lock.
import Dispatch

public enum OpProfile {
  /// Turn on to record every op made through `Tensor.result` and every backward closure.
  nonisolated(unsafe) public static var enabled = false

  public struct Entry {
    public var name: String
    public var forwardCalls = 0
    public var forwardSeconds = 0.0
    public var backwardCalls = 0
    public var backwardSeconds = 0.0
    public var seconds: Double { forwardSeconds + backwardSeconds }
  }

  nonisolated(unsafe) private static var tally: [String: Entry] = [:]
  nonisolated(unsafe) private static var last: UInt64 = 0
  /// Ops made inside a backward closure belong to that closure's time.
  nonisolated(unsafe) private static var inBackward = false

  public static func reset() {
    tally = [:]
    mark()
  }

  /// Starts the next forward interval now (call before a forward pass).
  public static func mark() { last = DispatchTime.now().uptimeNanoseconds }

  /// Entries by descending total time.
  public static var entries: [Entry] { tally.values.sorted { $0.seconds > $1.seconds } }

  @inline(__always)
  static func forwardDone(_ name: String) {
    guard enabled, !inBackward else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    var e = tally[name] ?? Entry(name: name)
    e.forwardCalls += 1
    e.forwardSeconds += Double(now &- last) / 1e9
    tally[name] = e
    last = now
  }

  @inline(__always)
  static func backward<R>(_ name: String, _ body: () -> R) -> R {
    guard enabled else { return body() }
    let t0 = DispatchTime.now().uptimeNanoseconds
    inBackward = true
    let r = body()
    inBackward = false
    let now = DispatchTime.now().uptimeNanoseconds
    var e = tally[name] ?? Entry(name: name)
    e.backwardCalls += 1
    e.backwardSeconds += Double(now - t0) / 1e9
    tally[name] = e
    last = now  // what follows a backward pass is not billed to the next forward op
    return r
  }
}
