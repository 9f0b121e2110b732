// How one conv2d call's work is divided over the engine's `engineThreads` workers, so that
// every thread count gives the same numbers and a batch of 1 uses every worker.
//
// The rule: the work is cut into pieces that depend on the geometry only, never on the thread
// count, and workers take contiguous runs of pieces. OpenBLAS's sgemm gives different bits for
// the same dot product when the matrix sizes change (its kernels block and order the k sum by
// shape), so the im2col + sgemm path cuts output pixels into fixed tiles (`ConvTiles`: per
// image, several per image when the batch is small) and every tile is the same product at
// any thread count; OpenBLAS is single-threaded inside every conv. The direct C kernels sum
// each output in the same order whatever slice of channels they are given, so they split
// whole images when the batch has enough of them and output (or input) channels when not.
//
// Bit-identical at any thread count: forward, input gradient, bias gradient, and the direct
// weight gradient under the channel split. A reduction across workers (tolerance, see
// ConvSplitTests): the im2col weight gradient (per-worker partial sums over tiles, added in
// worker order) and the direct weight gradient under the image split.
import CKernels
import Dispatch

/// Fixed tiles of output pixels for the im2col + sgemm path: within one image when images are
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

  /// Whether tile u starts an image (col2im splits only there: images must not be shared).
  func startsImage(_ u: Int) -> Bool { !perImage || u % tilesPerImage == 0 }
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

/// The forward kernel path, chosen once from the whole call's geometry (a channel slice's own
/// geometry could choose differently, and then its numbers would differ).
enum ConvForwardPath { case direct, paddingFree, gemm }

extension Conv2dGeometry {
  var forwardPath: ConvForwardPath { usesDirectForward ? .direct : usesPaddingFreeForward ? .paddingFree : .gemm }

  /// The split of the direct kernels: images when there are enough, else channel slices
  /// (at most `channels` of them).
  func directSplit(channels: Int) -> ConvSplit {
    let workers = engineThreads
    if workers <= 1 { return .single }
    if n >= workers { return .images(workers: workers) }
    let slices = Swift.min(workers, channels)
    return slices <= 1 ? .single : .channels(workers: slices)
  }

  /// The split of `units` fixed pieces.
  static func unitSplit(_ units: Int) -> ConvSplit {
    let workers = Swift.min(engineThreads, units)
    return workers <= 1 ? .single : .tiles(workers: workers, of: units)
  }

  /// Groups of images of the padding-free path.
  var paddingFreeUnits: Int { (n + paddingFreeGroup - 1) / paddingFreeGroup }

  /// How the forward pass divides its work.
  public var forwardSplit: ConvSplit {
    switch forwardPath {
    case .direct: return directSplit(channels: o)
    case .paddingFree: return Self.unitSplit(paddingFreeUnits)
    case .gemm: return Self.unitSplit(ConvTiles(self).count)
    }
  }

  /// How the backward pass divides its work: "input/weight" gradient splits.
  public var backwardSplit: String {
    let input =
      usesDirectInputGradient
      ? directSplit(channels: c).label : hasTransposedInputGradient ? transposed.forwardSplit.label : col2imSplit.label
    return input + "/" + (usesDirectBackward ? directSplit(channels: o).label : Self.unitSplit(ConvTiles(self).count).label)
  }

  /// col2im workers: split only where a tile starts an image.
  var col2imSplit: ConvSplit {
    let tiles = ConvTiles(self)
    return Self.unitSplit((0..<tiles.count).filter { tiles.startsImage($0) }.count)
  }

  /// One image of this geometry with `channels` output channels (a slice's sub-problem).
  func slice(outputs channels: Int) -> Conv2dGeometry {
    Conv2dGeometry(n: 1, c: c, h: h, w: w, o: channels, kh: kh, kw: kw, stride: stride, pad: pad)
  }
}

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

/// The forward pass, split by `forwardSplit` (OpenBLAS already single-threaded).
func conv2dForwardSplit(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry
) {
  let total = g.n * g.outPixels
  let path = g.forwardPath
  let ranges: [(Int, Int)]
  switch path {
  case .direct:
    switch g.directSplit(channels: g.o) {
    case .channels(let workers):
      conv2dForwardChannels(x: x, weight: weight, bias: bias, out: out, g, workers: workers)
      return
    case .images(let workers):
      ranges = unitPixelRanges(starts: (0..<g.n).map { $0 * g.outPixels }, end: total, workers: workers)
    default:
      ranges = [(0, total)]
    }
  case .paddingFree:
    let group = g.paddingFreeGroup * g.outPixels
    ranges = unitPixelRanges(starts: Array(stride(from: 0, to: total, by: group)), end: total, workers: engineThreads)
  case .gemm:
    let tiles = ConvTiles(g)
    ranges = unitPixelRanges(starts: (0..<tiles.count).map { tiles.bounds($0).p0 }, end: total, workers: engineThreads)
  }
  forEachWorkerSlice(ranges, workers: ranges.count) { _, r in
    for (p0, p1) in r { conv2dForwardRange(x: x, weight: weight, bias: bias, out: out, g, p0, p1, path: path) }
  }
}

/// The direct forward split over output channels: worker k writes channels ranges[k] of every image.
func conv2dForwardChannels(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, workers: Int
) {
  let (imageSize, ohw) = (g.c * g.h * g.w, g.outPixels)
  forEachWorkerSlice(channelRanges(g.o, parts: workers), workers: workers) { _, slice in
    for r in slice {
      for ni in 0..<g.n {
        lm_conv3x3_forward(
          x + ni * imageSize, weight + r.lowerBound * g.kc, bias.map { $0 + r.lowerBound },
          out + (ni * g.o + r.lowerBound) * ohw, Int32(g.c), Int32(r.count), Int32(g.h), Int32(g.w))
      }
    }
  }
}

/// The backward pass (gx overwritten, gw accumulated), each part split its own way.
func conv2dBackwardSplit(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry
) {
  let (imageSize, ohw, kk) = (g.c * g.h * g.w, g.outPixels, g.kh * g.kw)
  let total = g.n * ohw
  let tiles = ConvTiles(g)
  var col2imGx: UnsafeMutablePointer<Float>? = nil
  if let gx {
    if g.usesDirectInputGradient {
      switch g.directSplit(channels: g.c) {
      case .channels(let workers):
        forEachWorkerSlice(channelRanges(g.c, parts: workers), workers: workers) { _, slice in
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
      default:
        forEachWorkerSlice(Array(0..<g.n), workers: engineThreads) { _, images in
          for ni in images {
            lm_conv3x3_input_grad(
              gout + ni * g.o * ohw, weight, gx + ni * imageSize, Int32(g.c), Int32(g.o), Int32(g.h), Int32(g.w))
          }
        }
      }
    } else if g.hasTransposedInputGradient {
      // A forward conv of gout with the flipped, transposed kernel: one product with
      // K = O·kh·kw and no scatter-add (col2im), split like any forward conv.
      let flipped = flippedTransposedKernel(weight, g)
      defer { flipped.deallocate() }
      conv2dForwardSplit(x: gout, weight: flipped, bias: nil, out: gx, g.transposed)
    } else {
      col2imGx = gx
    }
  }
  if let gw, g.usesDirectBackward {
    switch g.directSplit(channels: g.o) {
    case .channels(let workers):
      // Rows of gw by output channel, images in order: each row's sums as one worker's.
      forEachWorkerSlice(channelRanges(g.o, parts: workers), workers: workers) { _, slice in
        for r in slice {
          for ni in 0..<g.n {
            lm_conv3x3_weight_grad(
              x + ni * imageSize, gout + (ni * g.o + r.lowerBound) * ohw, gw + r.lowerBound * g.kc, Int32(g.c),
              Int32(r.count), Int32(g.h), Int32(g.w))
          }
        }
      }
    default:
      withPartialSums(gw, count: g.o * g.kc, workers: Swift.min(engineThreads, g.n)) { workers, body in
        forEachWorkerSlice(Array(0..<g.n), workers: workers) { k, images in
          for ni in images {
            lm_conv3x3_weight_grad(
              x + ni * imageSize, gout + ni * g.o * ohw, body(k), Int32(g.c), Int32(g.o), Int32(g.h), Int32(g.w))
          }
        }
      }
    }
  }
  let gemmGw = g.usesDirectBackward ? nil : gw
  guard gemmGw != nil || col2imGx != nil else { return }
  // Tiles, contiguous runs per worker; with col2im, runs start only where a tile starts an image.
  let starts = (0..<tiles.count).filter { col2imGx == nil || tiles.startsImage($0) }.map { tiles.bounds($0).p0 }
  let ranges = unitPixelRanges(starts: starts, end: total, workers: engineThreads)
  if let gemmGw {
    withPartialSums(gemmGw, count: g.o * g.kc, workers: ranges.count) { _, body in
      forEachWorkerSlice(ranges, workers: ranges.count) { k, r in
        for (p0, p1) in r { conv2dBackwardTiles(x: x, weight: weight, gout: gout, gx: col2imGx, gw: body(k), g, p0, p1) }
      }
    }
  } else {
    forEachWorkerSlice(ranges, workers: ranges.count) { _, r in
      for (p0, p1) in r { conv2dBackwardTiles(x: x, weight: weight, gout: gout, gx: col2imGx, gw: nil, g, p0, p1) }
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
