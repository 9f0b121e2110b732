// conv2d forward and backward: the batch split over workers (or, for batches smaller than the
// worker count, the channel split of Conv2dSplit.swift), and the im2col + OpenBLAS sgemm path
// over cache-sized tiles of output pixels, or the direct 3×3 C kernels (CKernels).
import CKernels
import Dispatch

/// out = conv(x, weight) + bias.
public func conv2dForward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry
) {
  withSingleThreadedBLAS { conv2dForwardSplit(x: x, weight: weight, bias: bias, out: out, g) }
}

/// The forward pass for output pixels [start, end) (whole images for the direct and
/// padding-free paths, whole tiles for im2col + sgemm); `path` overrides the geometry's own
/// choice (a channel slice runs its whole call's path).
func conv2dForwardRange(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, _ start: Int, _ end: Int, path: ConvForwardPath? = nil
) {
  let ohw = g.outPixels
  let path = path ?? g.forwardPath
  if path == .direct {
    for ni in (start / ohw)..<(end / ohw) {
      lm_conv3x3_forward(
        x + ni * g.c * g.h * g.w, weight, bias, out + ni * g.o * ohw, Int32(g.c), Int32(g.o), Int32(g.h), Int32(g.w))
    }
    return
  }
  if path == .paddingFree {
    conv2dForwardPaddingFree(x: x, weight: weight, bias: bias, out: out, g, start, end)
    return
  }
  let tiles = ConvTiles(g)
  let patches = Patches(x, g, start, end)
  let col = UnsafeMutablePointer<Float>.allocate(capacity: g.kc * tiles.maxColumns + runSlack)
  let tmp = UnsafeMutablePointer<Float>.allocate(capacity: g.o * tiles.maxColumns)
  defer {
    col.deallocate()
    tmp.deallocate()
    patches.deallocate()
  }
  forEachTile(g, start, end) { t in
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

/// out[n, o, p] += bias[o] for output pixels [start, end).
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
  withSingleThreadedBLAS { conv2dBackwardSplit(x: x, weight: weight, gout: gout, gx: gx, gw: gw, g) }
}

/// The im2col + sgemm backward pass over the tiles of output pixels [start, end): the weight
/// gradient (into `gw`, accumulated) and, for convs without a transposed input gradient, the
/// input gradient by col2im (then [start, end) are whole images: gx is overwritten there).
func conv2dBackwardTiles(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry, _ start: Int, _ end: Int
) {
  let ohw = g.outPixels
  let imageSize = g.c * g.h * g.w
  if let gx {
    precondition(start % ohw == 0 && end % ohw == 0, "conv2dBackwardTiles: col2im needs whole images")
    (gx + start / ohw * imageSize).initialize(repeating: 0, count: (end - start) / ohw * imageSize)
  }
  let tiles = ConvTiles(g)
  let patches = Patches(x, g, start, end, operands: gw != nil)
  let table = gx != nil ? PatchTable.forGeometry(g) : nil  // for col2im
  let col = UnsafeMutablePointer<Float>.allocate(capacity: g.kc * tiles.maxColumns + runSlack)
  let gtile = UnsafeMutablePointer<Float>.allocate(capacity: g.o * tiles.maxColumns)
  defer {
    col.deallocate()
    gtile.deallocate()
    patches.deallocate()
  }
  forEachTile(g, start, end) { t in
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
    if let gx {  // gCol [kc, cols] = Wᵀ [kc, O] · gTile [O, cols], then scattered back
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

/// Calls `body` for the tiles of the geometry (`ConvTiles`) in [start, end), clipped to it.
@inline(__always)
func forEachTile(_ g: Conv2dGeometry, _ start: Int, _ end: Int, _ body: (PixelTile) -> Void) {
  let ohw = g.outPixels
  let tiles = ConvTiles(g)
  var u = tiles.unit(containing: start)
  while u < tiles.count {
    let b = tiles.bounds(u)
    if b.p0 >= end { break }
    let (p0, p1) = (Swift.max(b.p0, start), Swift.min(b.p1, end))
    let ni = p0 / ohw
    body(PixelTile(p0: p0, p1: p1, ni: ni, pInImage: p0 - ni * ohw, within: (p1 - 1) / ohw == ni))
    u += 1
  }
}

/// Where a worker's patch matrices come from: the input itself (pointwise convs), padded
/// (phase-split) images for strided convs and small outputs (run copies: no stride-s gathers,
/// no padding branches), or im2col from the input.
struct Patches {
  let x: UnsafePointer<Float>
  let g: Conv2dGeometry
  let phases: PhaseSplit?

  /// For the worker's output pixels [start, end); `operands: false` when no
  /// patch matrix will be asked for.
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
