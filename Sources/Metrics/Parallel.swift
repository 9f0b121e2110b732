// Frame-parallel helpers: split a batch of frames over the machine's cores.
import Dispatch
import TensorEngine
import Foundation

/// Caps the worker threads metrics use (nil: all active cores); `lmlab bench metrics --threads`
/// sets it so that both sides of the comparison use the same count.
nonisolated(unsafe) public var metricWorkerLimit: Int?

/// Number of worker threads metrics use (all active cores, or `metricWorkerLimit` when smaller).
public var metricWorkers: Int {
  Swift.max(1, Swift.min(metricWorkerLimit ?? Int.max, ProcessInfo.processInfo.activeProcessorCount))
}

/// Calls `body(range, worker)` for contiguous, near-equal ranges covering 0..<count, one per
/// worker, concurrently. Workers never share a range, so each may write its own outputs.
func forEachFrameRange(_ count: Int, workers: Int = metricWorkers, _ body: (Range<Int>, Int) -> Void) {
  let n = Swift.min(workers, count)
  if n <= 1 {
    if count > 0 { body(0..<count, 0) }
    return
  }
  DispatchQueue.concurrentPerform(iterations: n) { k in
    body((count * k / n)..<(count * (k + 1) / n), k)
  }
}

/// One value per frame of 0..<count: chunks of `chunk` frames dealt round-robin to the metric
/// workers (one BLAS and engine thread each), no graph recorded; `score(frames, out)` writes the
/// values of `frames` from `out` on. For the network metrics, whose chunk is a batch.
func scoreInChunks(
  _ count: Int, chunk: Int, _ score: (Range<Int>, UnsafeMutablePointer<Double>) -> Void
) -> [Double] {
  let chunks = (count + chunk - 1) / chunk
  let workers = Swift.min(metricWorkers, chunks)
  var values = [Double](repeating: 0, count: count)
  withSingleThreadedKernels(workers: workers) {
    withNoGrad {
      values.withUnsafeMutableBufferPointer { out in
        let dst = out.baseAddress!
        func run(_ k: Int) {
          var c = k
          while c < chunks {
            let frames = (c * chunk)..<Swift.min(count, (c + 1) * chunk)
            score(frames, dst + frames.lowerBound)
            c += workers
          }
        }
        if workers > 1 { DispatchQueue.concurrentPerform(iterations: workers, execute: run) } else { run(0) }
      }
    }
  }
  return values
}

/// Checks that two frame batches are [N, C, H, W] of the same shape (programmer error if not:
/// pipelines validate user files before calling a metric).
func precondSameFrames(_ a: Tensor4Shape, _ b: Tensor4Shape, _ name: String) {
  precondition(a.count == 4, "\(name): frames must be [N, C, H, W], got \(a)")
  precondition(a == b, "\(name): reference \(a) and predicted \(b) differ in shape")
}

typealias Tensor4Shape = [Int]

/// Runs `body` with OpenBLAS and the engine's kernels on one thread each when `workers` > 1
/// (each of our worker threads then calls them itself), restoring both afterwards.
func withSingleThreadedKernels<R>(workers: Int, _ body: () -> R) -> R {
  guard workers > 1 else { return body() }
  let (previousBLAS, previousEngine) = (blasThreads, engineThreads)
  setBLASThreads(1)
  engineThreads = 1
  defer {
    setBLASThreads(previousBLAS)
    engineThreads = previousEngine
  }
  return body()
}
