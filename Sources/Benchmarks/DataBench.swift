// `lmlab bench data`: frames per second for synthesis (render + PNG encode), PNG decode, and
// augmented-pair sampling (color jitter + TPS + temporal pairs) at 64 and 128 px, on one thread,
// plus the prefetcher's delivery rate.
import Workbench
import Datasets
import Foundation
import Imaging

public enum DataBench {
  public struct Row {
    public var size: Int
    public var synthesisFPS: Double  // rendered + encoded frames per second
    public var renderFPS: Double  // rendered only
    public var decodeFPS: Double
    public var pairFPS: Double  // augmented training pairs per second (frames cached)
    public var prefetchFPS: Double  // pairs per second through the prefetcher (consumer idle)
  }

  static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
  }

  public static func measure(size: Int, sequences: Int = 4, frames: Int = 50, batch: Int = 16, batches: Int = 6) throws -> Row {
    let dir = NSTemporaryDirectory() + "lmlab-bench-data-\(size)-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let spec = SyntheticSpec(sequences: sequences, frames: frames, size: size, seed: 1)
    let set = try SyntheticVideoSet(spec)
    let n = sequences * frames
    let render = try seconds { for s in 0..<sequences { for t in 0..<frames { _ = try set.frame(sequence: s, index: t) } } }
    let synth = try seconds { try set.write(to: dir) }
    let ds = try FrameFolderDataset(root: dir, cacheBytes: 0)
    let decode = try seconds { for s in 0..<sequences { for t in 0..<frames { _ = try readPNG(ds.framePaths[s][t]) } } }
    var config = PairSamplerConfig(batchSize: batch, useWarped: true, useTemporal: true)
    config.temporalMaxGap = Swift.min(60, frames - 1)
    let cached = try FrameFolderDataset(root: dir)
    try cached.verifyAllFrames()  // fill the cache: sampling cost without decode
    let sampler = try PairSampler(source: cached, config: config, imageSize: size, seed: 3)
    _ = try sampler.next()
    let pair = try seconds { for _ in 0..<batches { _ = try sampler.next() } }
    let pf = try PairSampler(
      source: try FrameFolderDataset(root: dir, cacheBytes: 0), config: config, imageSize: size, seed: 3
    ).prefetching(capacity: 3)
    _ = try pf.next()
    let pre = try seconds { for _ in 0..<batches { _ = try pf.next() } }
    pf.stop()
    return Row(size: size, synthesisFPS: Double(n) / synth, renderFPS: Double(n) / render, decodeFPS: Double(n) / decode,
      pairFPS: Double(batches * batch) / pair, prefetchFPS: Double(batches * batch) / pre)
  }

  /// Runs both sizes and prints a table.
  public static func run(sizes: [Int] = [64, 128], print emit: (String) -> Void) throws {
    emit("data throughput (frames/s, one producer thread; pairs = color jitter + TPS warp + temporal partner)")
    emit("size  synthesis(render+PNG)  render-only  PNG-decode  pairs(cached)  pairs(prefetch, decode incl.)")
    for s in sizes {
      let r = try measure(size: s)
      emit(String(format: "%4d  %21.0f  %11.0f  %10.0f  %13.0f  %29.0f", s, r.synthesisFPS, r.renderFPS, r.decodeFPS, r.pairFPS, r.prefetchFPS))
    }
  }
}
