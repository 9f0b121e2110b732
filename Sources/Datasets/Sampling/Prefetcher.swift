// Background batch assembly: a producer thread fills a bounded queue so the trainer never waits
// on PNG decoding or augmentation. Batches come out in production order (so the sequence is the
// same as calling the sampler directly); a producer error is delivered by `next()`.
import Foundation

public final class Prefetcher<Batch>: @unchecked Sendable {
  private let produce: () throws -> Batch
  private let capacity: Int
  private var queue: [Result<Batch, Error>] = []
  private var stopped = false
  private var finished = false
  private let cond = NSCondition()
  private var thread: Thread?

  /// Starts producing right away; at most `capacity` batches wait in the queue.
  public init(capacity: Int = 3, produce: @escaping () throws -> Batch) {
    precondition(capacity >= 1, "prefetch capacity \(capacity)")
    self.produce = produce
    self.capacity = capacity
    let t = Thread { [weak self] in self?.run() }
    t.name = "lmlab.prefetch"
    t.stackSize = 8 << 20
    thread = t
    t.start()
  }

  private func run() {
    while true {
      cond.lock()
      while queue.count >= capacity && !stopped { cond.wait() }
      if stopped { cond.unlock(); return }
      cond.unlock()
      let r = Result { try produce() }
      cond.lock()
      queue.append(r)
      if case .failure = r { finished = true }
      cond.broadcast()
      cond.unlock()
      if finished { return }
    }
  }

  /// The next batch, waiting for it if the producer is behind.
  public func next() throws -> Batch {
    cond.lock()
    defer { cond.unlock() }
    while queue.isEmpty { cond.wait() }
    let r = queue.removeFirst()
    if case .failure = r { queue.insert(r, at: 0) }  // keep reporting the error
    cond.broadcast()
    return try r.get()
  }

  /// Batches ready right now (for diagnostics).
  public var ready: Int { cond.lock(); defer { cond.unlock() }; return queue.count }

  /// Stops the producer after its current batch.
  public func stop() {
    cond.lock()
    stopped = true
    cond.broadcast()
    cond.unlock()
  }

  deinit { stop() }
}

extension PairSampler {
  /// A prefetcher over this sampler; the sampler must not be used directly while it runs.
  public func prefetching(capacity: Int = 3) -> Prefetcher<PairBatch> { Prefetcher(capacity: capacity) { try self.next() } }
}

extension WindowSampler {
  public func prefetching(capacity: Int = 3) -> Prefetcher<WindowBatch> { Prefetcher(capacity: capacity) { try self.next() } }
}
