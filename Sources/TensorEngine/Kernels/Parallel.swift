// Splitting memory-bound loops over the engine's worker threads.
import Dispatch

/// The workers `parallelRanges` uses for n items: each gets at least `minPerWorker` (one when
/// fewer items).
@inline(__always)
func rangeWorkers(_ n: Int, minPerWorker: Int) -> Int {
  Swift.max(1, Swift.min(engineThreads, n / Swift.max(minPerWorker, 1)))
}

/// Calls `body` on contiguous chunks of [0, n), in parallel when n is large enough to pay
/// for the hand-off (about 10 µs); chunks never overlap, so bodies may write their range.
@inline(__always)
func parallelRanges(_ n: Int, minPerWorker: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
  let workers = rangeWorkers(n, minPerWorker: minPerWorker)
  if workers <= 1 {
    body(0..<n)
    return
  }
  DispatchQueue.concurrentPerform(iterations: workers) { w in
    body((n * w / workers)..<(n * (w + 1) / workers))
  }
}

/// Elements per worker below which an elementwise loop (unary ops, their gradients, same-shape
/// binary ops, softmax rows, resize planes) stays on one thread: the engine's existing 32K (its
/// other split ops use it). Timed on the loaded 2-core machine (a mul + relu loop, 1 vs 2
/// workers, medians of 15, interleaved): 1.29 vs 1.78 µs at 16K elements, 2.60 vs 2.80 at 32K,
/// 32.7 vs 31.3 at 256K: no core was free to gain from, and the split cost at most ~7% from
/// 32K up. The idle crossover is still to be measured (README "Threads").
let elementwiseGrain = 1 << 15
