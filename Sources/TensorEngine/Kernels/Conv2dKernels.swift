// conv2d forward and backward: the batch split over workers (or, for a batch smaller than the
// worker count, the within-sample split of Conv2dSplit.swift), and the im2col + OpenBLAS sgemm
// path over cache-sized tiles of output pixels, or the direct 3×3 C kernels (CKernels).
import CKernels
import Dispatch

/// Splits output pixels [0, N·Ho·Wo) into image-aligned ranges, one per worker, and runs
/// them in parallel with OpenBLAS single-threaded inside each (per-worker products beat
/// fork-join inside every small sgemm, and image-aligned ranges keep col2im race-free).
func forEachWorkerRange(_ g: Conv2dGeometry, _ body: (_ worker: Int, _ p0: Int, _ p1: Int) -> Void) {
  let ohw = g.outPixels
  let workers = Swift.min(engineThreads, g.n)
  if workers <= 1 {
    body(0, 0, g.n * ohw)
    return
  }
  let previous = blasThreads
  setBLASThreads(1)
  defer { setBLASThreads(previous) }
  DispatchQueue.concurrentPerform(iterations: workers) { wi in
    let n0 = g.n * wi / workers
    let n1 = g.n * (wi + 1) / workers
    body(wi, n0 * ohw, n1 * ohw)
  }
}

/// out = conv(x, weight) + bias.
public func conv2dForward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry
) {
  if g.splitsWithinSamples {
    withSingleThreadedBLAS { conv2dForwardWithin(x: x, weight: weight, bias: bias, out: out, g) }
    return
  }
  forEachWorkerRange(g) { _, start, end in
    conv2dForwardRange(x: x, weight: weight, bias: bias, out: out, g, start, end)
  }
}

/// The forward pass for output pixels [start, end): whole images, except on the im2col + sgemm
/// path, which takes any range; `cuts` are its tiles (nil: the batch split's own).
func conv2dForwardRange(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, _ start: Int, _ end: Int, cuts: TileCuts? = nil
) {
  let ohw = g.outPixels
  if g.usesWinogradForward {
    conv2dForwardWinograd(x: x, weight: weight, bias: bias, out: out, g, start, end)
    return
  }
  if g.usesDirectForward {
    for ni in (start / ohw)..<(end / ohw) {
      lm_conv3x3_forward(
        x + ni * g.c * g.h * g.w, weight, bias, out + ni * g.o * ohw, Int32(g.c), Int32(g.o), Int32(g.h), Int32(g.w))
    }
    return
  }
  if g.usesPaddingFreeForward {
    conv2dForwardPaddingFree(x: x, weight: weight, bias: bias, out: out, g, start, end)
    return
  }
  let cuts = cuts ?? TileCuts(g)
  let tile = cuts.maxColumns
  let patches = Patches(x, g, start, end)
  let col = UnsafeMutablePointer<Float>.allocate(capacity: g.kc * tile + runSlack)
  let tmp = UnsafeMutablePointer<Float>.allocate(capacity: g.o * tile)
  defer {
    col.deallocate()
    tmp.deallocate()
    patches.deallocate()
  }
  forEachTile(g, start, end, cuts) { t in
    let (p0, p1, cols, ni, within, pInImage) = (t.p0, t.p1, t.cols, t.ni, t.within, t.pInImage)
    let (b, ldb) = patches.operand(t, col)
    if within {
      sgemm(
        transA: false, transB: false, m: g.o, n: cols, k: g.kc, a: weight, lda: g.kc, b: b, ldb: ldb,
        beta: 0, c: out + ni * g.o * ohw + pInImage, ldc: ohw)
    } else {
      sgemm(
        transA: false, transB: false, m: g.o, n: cols, k: g.kc, a: weight, lda: g.kc, b: b, ldb: ldb,
        beta: 0, c: tmp, ldc: cols)
      scatterTile(tmp, rows: g.o, ohw: ohw, p0, p1, out)
    }
  }
  addBias(bias, out, g, start, end)
}

/// out[n, o, p] += bias[o] for output pixels [start, end) (ends may lie inside images).
func addBias(_ bias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, _ start: Int, _ end: Int) {
  guard let bias else { return }
  let ohw = g.outPixels
  var pix = start
  while pix < end {
    let ni = pix / ohw
    let p = pix - ni * ohw
    let run = Swift.min(ohw - p, end - pix)
    for oc in 0..<g.o {
      let row = out + (ni * g.o + oc) * ohw + p
      let v = bias[oc]
      for i in 0..<run { row[i] += v }
    }
    pix += run
  }
}

/// Gradients of conv2d: gx (overwritten), gw and gb (accumulated into), each optional.
public func conv2dBackward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, gb: UnsafeMutablePointer<Float>?,
  _ g: Conv2dGeometry
) {
  let ohw = g.outPixels
  if let gb {
    for ni in 0..<g.n {
      for oc in 0..<g.o { gb[oc] += sumContiguous(gout + (ni * g.o + oc) * ohw, ohw) }
    }
  }
  if g.splitsWithinSamples {
    withSingleThreadedBLAS { conv2dBackwardWithin(x: x, weight: weight, gout: gout, gx: gx, gw: gw, g) }
    return
  }
  // Each worker accumulates its own weight gradient; they are summed at the end.
  let workers = Swift.min(engineThreads, g.n)
  let wCount = g.o * g.kc
  let partial = UnsafeMutablePointer<Float>.allocate(capacity: gw == nil ? 1 : workers * wCount)
  defer { partial.deallocate() }
  if gw != nil { partial.initialize(repeating: 0, count: workers * wCount) }
  // The flipped kernel is made once for all workers (input gradient as a forward conv
  // through im2col; the direct kernel needs none).
  let needsFlipped = gx != nil && g.hasTransposedInputGradient && !g.usesDirectInputGradient
  let flipped = needsFlipped ? flippedTransposedKernel(weight, g) : nil
  defer { flipped?.deallocate() }
  forEachWorkerRange(g) { wi, start, end in
    conv2dBackwardRange(
      x: x, weight: weight, flipped: flipped, gout: gout, gx: gx, gw: gw == nil ? nil : partial + wi * wCount, g,
      start, end)
  }
  if let gw {
    for wi in 0..<workers {
      let src = partial + wi * wCount
      for i in 0..<wCount { gw[i] += src[i] }
    }
  }
}

/// The backward pass for output pixels [start, end), whole images (any range when only the
/// im2col + sgemm weight gradient is wanted); `cuts` are its tiles (nil: the batch split's own).
/// `flipped` is `flippedTransposedKernel(weight, g)` when gx is wanted, the geometry has a
/// transposed input gradient and that does not come from the direct kernel.
func conv2dBackwardRange(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, flipped: UnsafePointer<Float>?, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry, _ start: Int, _ end: Int,
  cuts: TileCuts? = nil
) {
  let ohw = g.outPixels
  let (n0, n1) = (start / ohw, end / ohw)
  // Stride-1 convs get the input gradient as a forward conv of gout with the flipped,
  // transposed kernel: one product with K = O·kh·kw and no scatter-add (col2im).
  let transposedPath = gx != nil && g.hasTransposedInputGradient
  let imageSize = g.c * g.h * g.w
  if let gx, g.usesDirectInputGradient {
    for ni in n0..<n1 {
      lm_conv3x3_input_grad(
        gout + ni * g.o * ohw, weight, gx + ni * imageSize, Int32(g.c), Int32(g.o), Int32(g.h), Int32(g.w))
    }
  } else if let gx, transposedPath {
    guard let flipped else { preconditionFailure("conv2dBackwardRange: the input gradient needs the flipped kernel") }
    let gt = g.transposed
    conv2dForwardRange(x: gout, weight: flipped, bias: nil, out: gx, gt, n0 * gt.outPixels, n1 * gt.outPixels)
  } else if let gx {
    (gx + n0 * imageSize).initialize(repeating: 0, count: (n1 - n0) * imageSize)
  }
  guard gw != nil || (gx != nil && !transposedPath) else { return }
  if g.usesWinogradWeightGradient, let gw {
    conv2dWeightGradientWinograd(x: x, gout: gout, gw: gw, g, start, end)
    return
  }
  if g.usesDirectBackward, let gw {
    for ni in n0..<n1 {
      lm_conv3x3_weight_grad(
        x + ni * imageSize, gout + ni * g.o * ohw, gw, Int32(g.c), Int32(g.o), Int32(g.h), Int32(g.w))
    }
    return
  }
  let cuts = cuts ?? TileCuts(g)
  let tile = cuts.maxColumns
  let patches = Patches(x, g, start, end, operands: gw != nil)
  let table = gx != nil && !transposedPath ? PatchTable.forGeometry(g) : nil  // for col2im
  let col = UnsafeMutablePointer<Float>.allocate(capacity: g.kc * tile + runSlack)
  let gtile = UnsafeMutablePointer<Float>.allocate(capacity: g.o * tile)
  defer {
    col.deallocate()
    gtile.deallocate()
    patches.deallocate()
  }
  forEachTile(g, start, end, cuts) { t in
    let (p0, p1, cols, ni, within, pInImage) = (t.p0, t.p1, t.cols, t.ni, t.within, t.pInImage)
    // The output-gradient tile [O, cols].
    let gt: UnsafePointer<Float>
    let ldg: Int
    if within {
      gt = gout + ni * g.o * ohw + pInImage
      ldg = ohw
    } else {
      gatherTile(gout, rows: g.o, ohw: ohw, p0, p1, gtile)
      gt = UnsafePointer(gtile)
      ldg = cols
    }
    if let gw {  // gW [O, kc] += gTile [O, cols] · colᵀ [cols, kc]
      let (b, ldb) = patches.operand(t, col)
      sgemm(
        transA: false, transB: true, m: g.o, n: g.kc, k: cols, a: gt, lda: ldg, b: b, ldb: ldb, beta: 1,
        c: gw, ldc: g.kc)
    }
    if let gx, !transposedPath {  // gCol [kc, cols] = Wᵀ [kc, O] · gTile [O, cols], then scattered back
      if g.isPointwise && within {
        sgemm(
          transA: true, transB: false, m: g.kc, n: cols, k: g.o, a: weight, lda: g.kc, b: gt, ldb: ldg,
          beta: 0, c: gx + ni * g.c * ohw + pInImage, ldc: ohw)
      } else {
        sgemm(
          transA: true, transB: false, m: g.kc, n: cols, k: g.o, a: weight, lda: g.kc, b: gt, ldb: ldg,
          beta: 0, c: col, ldc: cols)
        if g.isPointwise {
          scatterTile(col, rows: g.c, ohw: ohw, p0, p1, gx)
        } else {
          col2im(col, g, p0, p1, gx, table: table)
        }
      }
    }
  }
}

/// A tile of consecutive output pixels [p0, p1): its first image and whether it stays in it.
struct PixelTile {
  var p0, p1: Int
  var cols: Int { p1 - p0 }
  /// Image of p0, and p0's pixel index inside it.
  var ni, pInImage: Int
  /// True when the whole tile lies in image `ni` (products can then read/write in place).
  var within: Bool
}

/// How [start, end) is cut into products. The batch split cuts runs of `tileColumns` from the
/// start of each worker's images (main's order, kept bit for bit at batch ≥ workers); the
/// within-sample split cuts the fixed tiles of `ConvTiles`, so that a batch of 1 splits too.
enum TileCuts {
  case runs(columns: Int)
  case fixed(ConvTiles)

  /// The batch split's cuts for `g`.
  init(_ g: Conv2dGeometry) { self = .runs(columns: g.tileColumns) }

  /// The most columns a product has.
  var maxColumns: Int {
    switch self {
    case .runs(let columns): return columns
    case .fixed(let tiles): return tiles.maxColumns
    }
  }
}

/// Calls `body` for the tiles of `cuts` in [start, end).
@inline(__always)
func forEachTile(_ g: Conv2dGeometry, _ start: Int, _ end: Int, _ cuts: TileCuts, _ body: (PixelTile) -> Void) {
  let ohw = g.outPixels
  func visit(_ p0: Int, _ p1: Int) {
    let ni = p0 / ohw
    body(PixelTile(p0: p0, p1: p1, ni: ni, pInImage: p0 - ni * ohw, within: (p1 - 1) / ohw == ni))
  }
  switch cuts {
  case .runs(let tile):
    var p0 = start
    while p0 < end {
      let p1 = Swift.min(end, p0 + tile)
      visit(p0, p1)
      p0 = p1
    }
  case .fixed(let tiles):
    var u = tiles.unit(containing: start)
    while u < tiles.count {
      let b = tiles.bounds(u)
      if b.p0 >= end { break }
      visit(Swift.max(b.p0, start), Swift.min(b.p1, end))
      u += 1
    }
  }
}

/// Where a worker's patch matrices come from: the input itself (pointwise convs), padded
/// (phase-split) images for strided convs and small outputs (run copies: no stride-s gathers,
/// no padding branches), or im2col from the input.
struct Patches {
  let x: UnsafePointer<Float>
  let g: Conv2dGeometry
  let phases: PhaseSplit?

  /// For the worker's output pixels [start, end); `operands: false` when no patch matrix will
  /// be asked for.
  init(_ x: UnsafePointer<Float>, _ g: Conv2dGeometry, _ start: Int, _ end: Int, operands: Bool = true) {
    self.x = x
    self.g = g
    let phased = operands && !g.isPointwise && (g.stride > 1 || g.outPixels <= PatchTable.maxOutputPixels)
    // The images [start, end) touches (its ends may lie inside images).
    let ohw = g.outPixels
    phases = phased ? PhaseSplit(x, g, images: start / ohw, (end + ohw - 1) / ohw) : nil
  }

  func deallocate() { phases?.deallocate() }

  /// The patch matrix [kc, cols] of a tile as a product operand (pointer, leading dimension):
  /// the input itself for pointwise convs within one image, else gathered into `col`.
  @inline(__always)
  func operand(_ t: PixelTile, _ col: UnsafeMutablePointer<Float>) -> (UnsafePointer<Float>, Int) {
    let ohw = g.outPixels
    if g.isPointwise && t.within { return (x + t.ni * g.c * ohw + t.pInImage, ohw) }
    if g.isPointwise {
      gatherTile(x, rows: g.c, ohw: ohw, t.p0, t.p1, col)
    } else if let phases {
      phases.im2col(t.p0, t.p1, col)
    } else {
      im2col(x, g, t.p0, t.p1, col)
    }
    return (UnsafePointer(col), t.cols)
  }
}
