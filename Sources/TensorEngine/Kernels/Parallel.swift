// Splitting memory-bound loops over the engine's worker threads.
import Dispatch

/// Calls `body` on contiguous chunks of [0, n), in parallel when n is large enough to pay
/// for the hand-off (about 10 µs); chunks never overlap, so bodies may write their range.
@inline(__always)
func parallelRanges(_ n: Int, minPerWorker: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
  let workers = Swift.min(engineThreads, n / Swift.max(minPerWorker, 1))
  if workers <= 1 {
    body(0..<n)
    return
  }
  DispatchQueue.concurrentPerform(iterations: workers) { w in
    body((n * w / workers)..<(n * (w + 1) / workers))
  }
}
