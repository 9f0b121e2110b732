// How one conv2d call's work is divided over the engine's `engineThreads` workers.
//
// A batch of at least as many images as workers splits the batch (Conv2dKernels.swift:
// `forEachWorkerRange`, whole images per worker, each worker's im2col products in runs of
// `tileColumns`): the order of every sum is then the one the engine always had at 2 threads,
// so the numbers at batch ≥ 2 on 2 threads are bit for bit the ones from before threads were
// configurable (ConvBatchSplitTests checks a few training steps against a checksum).
//
// A smaller batch (batch-1 decoding, say) splits within samples, here: the direct 3×3 kernels
// take slices of output (or input) channels, im2col + sgemm fixed tiles of output pixels
// (`ConvTiles`: several per image, from the geometry only) in contiguous runs per worker,
// col2im and the padding-free path of small maps whole images. OpenBLAS is single-threaded
// inside. Forward, input gradient and the direct weight gradient are bit-identical to one
// worker (each output's sum is the same); the sgemm weight gradient adds per-worker partial
// sums (a reduction in another order: ConvSplitTests states the tolerance).
import CKernels
import Dispatch

/// Fixed tiles of output pixels for the within-sample split of the im2col + sgemm path: within one image when images are
/// large (several per image when the batch is small, so batch 1 still splits), else groups of
/// whole images (small maps: one product over several images).
struct ConvTiles {
  let ohw, n: Int
  /// Per image: tiles per image; grouped: images per tile.
  let perImage: Bool
  let tilesPerImage, imagesPerTile: Int
  let count: Int

  /// At least this many tiles per call where columns allow (≥ `minColumns` each), so that a
  /// small batch still gives every worker of a many-core machine work.
  static let minUnits = 8
  static let minColumns = 64

  init(_ g: Conv2dGeometry) {
    (ohw, n) = (g.outPixels, g.n)
    let target = Swift.max(tileMinColumns, tileTargetFloats / Swift.max(g.kc, 1))
    if ohw * 2 > target || g.n == 1 {
      perImage = true
      var t = (ohw + target - 1) / target
      if g.n * t < Self.minUnits { t = Swift.max(t, Swift.min((Self.minUnits + g.n - 1) / g.n, ohw / Self.minColumns)) }
      tilesPerImage = Swift.max(1, t)
      imagesPerTile = 1
      count = g.n * tilesPerImage
    } else {
      perImage = false
      tilesPerImage = 1
      imagesPerTile = Swift.max(1, Swift.min(target / ohw, (g.n + Self.minUnits - 1) / Self.minUnits))
      count = (g.n + imagesPerTile - 1) / imagesPerTile
    }
  }

  /// Output pixels [p0, p1) of tile u.
  func bounds(_ u: Int) -> (p0: Int, p1: Int) {
    if perImage {
      let (ni, t) = (u / tilesPerImage, u % tilesPerImage)
      return (ni * ohw + ohw * t / tilesPerImage, ni * ohw + ohw * (t + 1) / tilesPerImage)
    }
    return (u * imagesPerTile * ohw, Swift.min(n, (u + 1) * imagesPerTile) * ohw)
  }

  /// The tile holding output pixel p.
  func unit(containing p: Int) -> Int {
    if !perImage { return p / (imagesPerTile * ohw) }
    let ni = p / ohw
    var u = ni * tilesPerImage
    while u + 1 < (ni + 1) * tilesPerImage && bounds(u + 1).p0 <= p { u += 1 }
    return u
  }

  /// The most columns a tile has.
  var maxColumns: Int { perImage ? (ohw + tilesPerImage - 1) / tilesPerImage : imagesPerTile * ohw }
}

/// How a conv pass divides its work (the conv profile's split column).
public enum ConvSplit: Equatable, Sendable {
  /// Whole images per worker (direct kernels, batch ≥ workers).
  case images(workers: Int)
  /// Every image, a slice of channels per worker (direct kernels, batch < workers).
  case channels(workers: Int)
  /// Fixed tiles of output pixels (or groups of images), contiguous runs per worker.
  case tiles(workers: Int, of: Int)
  /// One worker.
  case single

  /// "img×2", "chan×2", "tile×2/9", "one".
  public var label: String {
    switch self {
    case .images(let w): return "img×\(w)"
    case .channels(let w): return "chan×\(w)"
    case .tiles(let w, let u): return "tile×\(w)/\(u)"
    case .single: return "one"
    }
  }
}

/// The forward kernel path, chosen from the whole call's geometry.
enum ConvForwardPath { case winograd, direct, paddingFree, gemm }

extension Conv2dGeometry {
  var forwardPath: ConvForwardPath {
    usesWinogradForward ? .winograd : usesDirectForward ? .direct : usesPaddingFreeForward ? .paddingFree : .gemm
  }

  /// Whether this call splits within samples (fewer images than workers).
  var splitsWithinSamples: Bool { engineThreads > 1 && n < engineThreads }

  /// The batch split's workers, or `parts` slices of channels (at most `channels`).
  private func split(channels: Int) -> ConvSplit {
    if !splitsWithinSamples { return Self.imageSplit(Swift.min(engineThreads, n)) }
    let slices = Swift.min(engineThreads, channels)
    return slices <= 1 ? .single : .channels(workers: slices)
  }

  static func imageSplit(_ workers: Int) -> ConvSplit { workers <= 1 ? .single : .images(workers: workers) }

  /// The split of `units` fixed pieces.
  static func unitSplit(_ units: Int) -> ConvSplit {
    let workers = Swift.min(engineThreads, units)
    return workers <= 1 ? .single : .tiles(workers: workers, of: units)
  }

  /// How the forward pass divides its work.
  public var forwardSplit: ConvSplit {
    if !splitsWithinSamples { return Self.imageSplit(Swift.min(engineThreads, n)) }
    switch forwardPath {
    case .direct, .winograd: return split(channels: o)
    case .paddingFree where splitsForwardByChannels, .gemm where splitsForwardByChannels: return split(channels: o)
    case .paddingFree: return Self.imageSplit(n)
    case .gemm: return Self.unitSplit(ConvTiles(self).count)
    }
  }

  /// Small maps at batch 1: the padding-free path, and im2col + sgemm when its fixed
  /// tiles are fewer than the workers (an 8×8 map is one 64-pixel tile), take slices of output
  /// channels instead, each worker gathering the patches itself (a 1/O share of the product's
  /// work) — unless the whole conv is too small to pay for the hand-off.
  var splitsForwardByChannels: Bool {
    // Batch 1 only (decoding one sequence): at batch 2 on 3+ workers the batch's own pieces
    // stay, since sgemm slices move outputs by ulps and a training run's Adam steps amplify
    // them (ThreadSettingTests compares losses at 1 and 3 threads).
    guard splitsWithinSamples, n == 1, o >= 2, 2 * o * kc * outPixels >= channelSplitMinFLOPs else { return false }
    // A slice is run as a conv of fewer channels: it must take this call's path.
    let slices = channelRanges(o, parts: Swift.min(engineThreads, o))
    guard slices.allSatisfy({ outputChannels($0.count).forwardPath == forwardPath }) else { return false }
    switch forwardPath {
    case .paddingFree: return true
    case .gemm: return ConvTiles(self).count < engineThreads
    case .direct, .winograd: return false
    }
  }

  /// How the backward pass divides its work: "input/weight" gradient splits.
  public var backwardSplit: String {
    if !splitsWithinSamples { return forwardSplit.label + "/" + forwardSplit.label }
    let input =
      usesDirectInputGradient
      ? split(channels: c) : hasTransposedInputGradient ? transposed.forwardSplit : Self.imageSplit(n)
    let weight =
      usesWinogradWeightGradient || usesDirectBackward ? split(channels: o) : Self.unitSplit(ConvTiles(self).count)
    return input.label + "/" + weight.label
  }
}

/// Direct-convolution FLOPs below which a small-map conv is not split by output channels: about
/// 20 µs of work at this machine's 50 GFLOP/s, twice a fork-join's cost.
let channelSplitMinFLOPs = 1 << 20

/// [0, count) in `parts` near-equal contiguous ranges (empty ones dropped).
func channelRanges(_ count: Int, parts: Int) -> [Range<Int>] {
  (0..<parts).map { (count * $0 / parts)..<(count * ($0 + 1) / parts) }.filter { !$0.isEmpty }
}

/// Runs `body` with OpenBLAS single-threaded (each worker calls it itself, and its own
/// threads would change the numbers), restoring its thread count afterwards.
func withSingleThreadedBLAS(_ body: () -> Void) {
  let previous = blasThreads
  if previous != 1 { setBLASThreads(1) }
  defer { if previous != 1 { setBLASThreads(previous) } }
  body()
}

/// Calls body(worker, range) for `workers` contiguous near-equal ranges of the items, concurrently.
func forEachWorkerSlice<T>(_ items: [T], workers: Int, _ body: (Int, ArraySlice<T>) -> Void) {
  let w = Swift.max(1, Swift.min(workers, items.count))
  if w == 1 {
    body(0, items[...])
    return
  }
  DispatchQueue.concurrentPerform(iterations: w) { k in body(k, items[(items.count * k / w)..<(items.count * (k + 1) / w)]) }
}

/// Pixel ranges [p0, p1) per worker over the given unit boundaries (`starts`: each unit's first
/// pixel, ascending; `end`: the last unit's end).
func unitPixelRanges(starts: [Int], end: Int, workers: Int) -> [(Int, Int)] {
  let w = Swift.max(1, Swift.min(workers, starts.count))
  return (0..<w).map { k in
    let (u0, u1) = (starts.count * k / w, starts.count * (k + 1) / w)
    return (starts[u0], u1 < starts.count ? starts[u1] : end)
  }
}

/// The forward pass of a batch smaller than the worker count (OpenBLAS single-threaded).
func conv2dForwardWithin(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry
) {
  let (imageSize, ohw) = (g.c * g.h * g.w, g.outPixels)
  switch g.forwardPath {
  case .winograd:  // worker k: output channels ranges[k] of every image (each transforms the input)
    let parts = Swift.min(engineThreads, g.o)
    forEachWorkerSlice(channelRanges(g.o, parts: parts), workers: parts) { _, slice in
      for r in slice {
        let part = g.outputChannels(r.count)
        for ni in 0..<g.n {
          conv2dForwardWinograd(
            x: x + ni * imageSize, weight: weight + r.lowerBound * g.kc, bias: bias.map { $0 + r.lowerBound },
            out: out + (ni * g.o + r.lowerBound) * ohw, part, 0, ohw)
        }
      }
    }
  case .direct:  // worker k writes channels ranges[k] of every image
    let parts = Swift.min(engineThreads, g.o)
    forEachWorkerSlice(channelRanges(g.o, parts: parts), workers: parts) { _, slice in
      for r in slice {
        for ni in 0..<g.n {
          lm_conv3x3_forward(
            x + ni * imageSize, weight + r.lowerBound * g.kc, bias.map { $0 + r.lowerBound },
            out + (ni * g.o + r.lowerBound) * ohw, Int32(g.c), Int32(r.count), Int32(g.h), Int32(g.w))
        }
      }
    }
  case .paddingFree where g.splitsForwardByChannels, .gemm where g.splitsForwardByChannels:
    // Worker k: output channels ranges[k] of every image, as a conv of that many channels
    // (the same products over fewer rows of the weight matrix).
    let parts = Swift.min(engineThreads, g.o)
    forEachWorkerSlice(channelRanges(g.o, parts: parts), workers: parts) { _, slice in
      for r in slice {
        let part = g.outputChannels(r.count)
        for ni in 0..<g.n {
          let (xi, wi, bi) = (x + ni * imageSize, weight + r.lowerBound * g.kc, bias.map { $0 + r.lowerBound })
          let oi = out + (ni * g.o + r.lowerBound) * ohw
          if g.forwardPath == .paddingFree {
            conv2dForwardPaddingFree(x: xi, weight: wi, bias: bi, out: oi, part, 0, ohw)
          } else {
            conv2dForwardRange(x: xi, weight: wi, bias: bi, out: oi, part, 0, ohw)
          }
        }
      }
    }
  case .paddingFree:  // whole images (its products gather across images)
    forEachWorkerSlice(Array(0..<g.n), workers: g.n) { _, images in
      for ni in images { conv2dForwardPaddingFree(x: x, weight: weight, bias: bias, out: out, g, ni * ohw, (ni + 1) * ohw) }
    }
  case .gemm:
    let tiles = ConvTiles(g)
    let ranges = unitPixelRanges(starts: (0..<tiles.count).map { tiles.bounds($0).p0 }, end: g.n * ohw, workers: engineThreads)
    forEachWorkerSlice(ranges, workers: ranges.count) { _, r in
      for (p0, p1) in r { conv2dForwardRange(x: x, weight: weight, bias: bias, out: out, g, p0, p1, cuts: .fixed(tiles)) }
    }
  }
}

/// The backward pass of a batch smaller than the worker count (gx overwritten, gw accumulated;
/// OpenBLAS single-threaded), each gradient split its own way.
func conv2dBackwardWithin(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry
) {
  let (imageSize, ohw, kk) = (g.c * g.h * g.w, g.outPixels, g.kh * g.kw)
  if let gx {
    if g.usesDirectInputGradient {
      let parts = Swift.min(engineThreads, g.c)
      forEachWorkerSlice(channelRanges(g.c, parts: parts), workers: parts) { _, slice in
        for r in slice {
          // The direct kernel reads w[O][C] transposed itself: give it the slice's columns.
          let ws = UnsafeMutablePointer<Float>.allocate(capacity: g.o * r.count * kk)
          defer { ws.deallocate() }
          for oc in 0..<g.o {
            (ws + oc * r.count * kk).update(from: weight + (oc * g.c + r.lowerBound) * kk, count: r.count * kk)
          }
          for ni in 0..<g.n {
            lm_conv3x3_input_grad(
              gout + ni * g.o * ohw, ws, gx + ni * imageSize + r.lowerBound * g.h * g.w, Int32(r.count),
              Int32(g.o), Int32(g.h), Int32(g.w))
          }
        }
      }
    } else if g.hasTransposedInputGradient {
      // A forward conv of gout with the flipped, transposed kernel, split like any forward conv.
      let flipped = flippedTransposedKernel(weight, g)
      defer { flipped.deallocate() }
      conv2dForwardWithin(x: gout, weight: flipped, bias: nil, out: gx, g.transposed)
    } else {  // col2im: whole images per worker (they must not share one)
      forEachWorkerSlice(Array(0..<g.n), workers: g.n) { _, images in
        for ni in images {
          conv2dBackwardRange(
            x: x, weight: weight, flipped: nil, gout: gout, gx: gx, gw: nil, g, ni * ohw, (ni + 1) * ohw)
        }
      }
    }
  }
  guard let gw else { return }
  if g.usesWinogradWeightGradient {
    // Rows of gw by output channel, as the direct kernel's: worker k transforms every image.
    let parts = Swift.min(engineThreads, g.o)
    forEachWorkerSlice(channelRanges(g.o, parts: parts), workers: parts) { _, slice in
      for r in slice {
        let part = g.outputChannels(r.count)
        for ni in 0..<g.n {
          conv2dWeightGradientWinograd(
            x: x + ni * imageSize, gout: gout + (ni * g.o + r.lowerBound) * ohw, gw: gw + r.lowerBound * g.kc, part, 0, ohw)
        }
      }
    }
    return
  }
  if g.usesDirectBackward {
    // Rows of gw by output channel, images in order: each row's sums as one worker's.
    let parts = Swift.min(engineThreads, g.o)
    forEachWorkerSlice(channelRanges(g.o, parts: parts), workers: parts) { _, slice in
      for r in slice {
        for ni in 0..<g.n {
          lm_conv3x3_weight_grad(
            x + ni * imageSize, gout + (ni * g.o + r.lowerBound) * ohw, gw + r.lowerBound * g.kc, Int32(g.c),
            Int32(r.count), Int32(g.h), Int32(g.w))
        }
      }
    }
    return
  }
  let tiles = ConvTiles(g)
  let ranges = unitPixelRanges(starts: (0..<tiles.count).map { tiles.bounds($0).p0 }, end: g.n * ohw, workers: engineThreads)
  withPartialSums(gw, count: g.o * g.kc, workers: ranges.count) { _, body in
    forEachWorkerSlice(ranges, workers: ranges.count) { k, r in
      for (p0, p1) in r {
        conv2dBackwardRange(
          x: x, weight: weight, flipped: nil, gout: gout, gx: nil, gw: body(k), g, p0, p1, cuts: .fixed(tiles))
      }
    }
  }
}

/// Each of `workers` accumulates into its own zeroed buffer (`body(k)`), added to `into` in
/// worker order at the end (a reduction: its order depends on the worker count).
func withPartialSums(
  _ into: UnsafeMutablePointer<Float>, count: Int, workers: Int,
  _ run: (Int, (Int) -> UnsafeMutablePointer<Float>) -> Void
) {
  let w = Swift.max(1, workers)
  let partial = UnsafeMutablePointer<Float>.allocate(capacity: w * count)
  defer { partial.deallocate() }
  partial.initialize(repeating: 0, count: w * count)
  run(w) { partial + $0 * count }
  for k in 0..<w {
    let src = partial + k * count
    for i in 0..<count { into[i] += src[i] }
  }
}

extension Conv2dGeometry {
  /// One image of this conv with `count` of its output channels (a worker's slice).
  func outputChannels(_ count: Int) -> Conv2dGeometry {
    Conv2dGeometry(n: 1, c: c, h: h, w: w, o: count, kh: kh, kw: kw, stride: stride, pad: pad)
  }
}
