// conv2d kernels: im2col / col2im over tiles of output pixels, and forward/backward passes
// that hand the products to OpenBLAS sgemm.
//
import CKernels
import Dispatch
import Foundation

/// Worker threads for the engine's parallel kernels (both cores by default).
nonisolated(unsafe) public var engineThreads = 2
nonisolated(unsafe) var tileTargetFloats = Int(ProcessInfo.processInfo.environment["LMLAB_TILE"] ?? "") ?? (1 << 18)
let directConvAvailable = lm_direct_conv_available() != 0
/// Which kernel 3×3 stride-1 convs use: "auto" (by channel counts), "1" direct, "0" im2col+sgemm.
/// Set by LMLAB_DIRECT for experiments; `lmlab bench engine --kernels` compares both.
nonisolated(unsafe) public var directConvMode = ProcessInfo.processInfo.environment["LMLAB_DIRECT"] ?? "auto"
/// In "auto" mode convs whose smaller channel count is below this use the direct kernel.
nonisolated(unsafe) var directConvMinChannels = 64
nonisolated(unsafe) var tileMinColumns = Int(ProcessInfo.processInfo.environment["LMLAB_TILEMIN"] ?? "") ?? 256

// Layouts: x [N, C, H, W], weight [O, C, kh, kw] (viewed as [O, Kc] with Kc = C·kh·kw),
// out [N, O, Ho, Wo]. Output pixels are indexed globally as P = n·Ho·Wo + p, and processed
// in tiles of consecutive P so that the column buffer [Kc, tile] stays in cache and small
// images (S/16 levels) are merged into one product.

/// Sizes of one conv2d call.
public struct Conv2dGeometry: Equatable {
  public var n, c, h, w: Int
  public var o, kh, kw: Int
  public var stride, pad: Int

  public init(n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, stride: Int, pad: Int) {
    (self.n, self.c, self.h, self.w, self.o, self.kh, self.kw, self.stride, self.pad) = (n, c, h, w, o, kh, kw, stride, pad)
  }
  public var ho: Int { (h + 2 * pad - kh) / stride + 1 }
  public var wo: Int { (w + 2 * pad - kw) / stride + 1 }
  /// Rows of the column matrix: C·kh·kw.
  public var kc: Int { c * kh * kw }
  public var outPixels: Int { ho * wo }
  var isPointwise: Bool { kh == 1 && kw == 1 && stride == 1 && pad == 0 }

  /// 3×3 stride-1 "same" convs with few channels use the direct C kernel: there im2col
  /// copies cost more than the product (measured by `lmlab bench engine`).
  var usesDirectKernel: Bool {
    guard kh == 3 && kw == 3 && stride == 1 && pad == 1 && directConvAvailable else { return false }
    switch directConvMode {
    case "1": return true
    case "0": return false
    default: return Swift.min(c, o) < directConvMinChannels
    }
  }

  /// Multiply-adds ×2 of the forward pass.
  public var forwardFLOPs: Double { 2 * Double(n * o * kc * outPixels) }

  /// Columns per tile: the column buffer stays near 1 MB, but never under 256 columns.
  var tileColumns: Int {
    let total = n * outPixels
    let target = Swift.max(tileMinColumns, tileTargetFloats / Swift.max(kc, 1))
    return Swift.min(total, target)
  }
}

/// Fills col [kc, p1 − p0] with the input patches of output pixels P in [p0, p1).
func im2col(
  _ x: UnsafePointer<Float>, _ g: Conv2dGeometry, _ p0: Int, _ p1: Int, _ col: UnsafeMutablePointer<Float>
) {
  let cols = p1 - p0
  let hw = g.h * g.w
  let ohw = g.outPixels
  let wo = g.wo
  for ci in 0..<g.c {
    for ki in 0..<g.kh {
      for kj in 0..<g.kw {
        let row = col + ((ci * g.kh + ki) * g.kw + kj) * cols
        // Valid output columns ox: 0 ≤ ox·s − pad + kj < W.
        let lo = Swift.max(0, (g.pad - kj + g.stride - 1) / g.stride)
        let hi = Swift.min(wo - 1, (g.w - 1 + g.pad - kj) / g.stride)
        var pix = p0
        while pix < p1 {
          let ni = pix / ohw
          let p = pix - ni * ohw
          let oy = p / wo
          let oxStart = p - oy * wo
          let oxEnd = Swift.min(wo, oxStart + (p1 - pix))
          let dst = row + (pix - p0) - oxStart
          let iy = oy * g.stride - g.pad + ki
          if iy < 0 || iy >= g.h || lo > hi {
            for ox in oxStart..<oxEnd { dst[ox] = 0 }
          } else {
            let src = x + ni * g.c * hw + ci * hw + iy * g.w - g.pad + kj
            let a = Swift.max(oxStart, lo)
            let b = Swift.min(oxEnd - 1, hi)
            if a > b {
              for ox in oxStart..<oxEnd { dst[ox] = 0 }
            } else {
              for ox in oxStart..<a { dst[ox] = 0 }
              if g.stride == 1 {
                (dst + a).update(from: src + a, count: b - a + 1)
              } else {
                for ox in a...b { dst[ox] = src[ox * g.stride] }
              }
              if b + 1 < oxEnd { for ox in (b + 1)..<oxEnd { dst[ox] = 0 } }
            }
          }
          pix += oxEnd - oxStart
        }
      }
    }
  }
}

/// Adds col [kc, p1 − p0] back into the input-shaped gradient gx (the transpose of im2col).
func col2im(
  _ col: UnsafePointer<Float>, _ g: Conv2dGeometry, _ p0: Int, _ p1: Int, _ gx: UnsafeMutablePointer<Float>
) {
  let cols = p1 - p0
  let hw = g.h * g.w
  let ohw = g.outPixels
  let wo = g.wo
  for ci in 0..<g.c {
    for ki in 0..<g.kh {
      for kj in 0..<g.kw {
        let row = col + ((ci * g.kh + ki) * g.kw + kj) * cols
        let lo = Swift.max(0, (g.pad - kj + g.stride - 1) / g.stride)
        let hi = Swift.min(wo - 1, (g.w - 1 + g.pad - kj) / g.stride)
        var pix = p0
        while pix < p1 {
          let ni = pix / ohw
          let p = pix - ni * ohw
          let oy = p / wo
          let oxStart = p - oy * wo
          let oxEnd = Swift.min(wo, oxStart + (p1 - pix))
          let iy = oy * g.stride - g.pad + ki
          if iy >= 0 && iy < g.h {
            let src = row + (pix - p0) - oxStart
            let dst = gx + ni * g.c * hw + ci * hw + iy * g.w - g.pad + kj
            let a = Swift.max(oxStart, lo)
            let b = Swift.min(oxEnd - 1, hi)
            if a <= b {
              if g.stride == 1 {
                for ox in a...b { dst[ox] += src[ox] }
              } else {
                for ox in a...b { dst[ox * g.stride] += src[ox] }
              }
            }
          }
          pix += oxEnd - oxStart
        }
      }
    }
  }
}

/// Copies a [rows, p1 − p0] tile out of / into an [N, rows, Ho·Wo] tensor.
@inline(__always)
func gatherTile(
  _ t: UnsafePointer<Float>, rows: Int, ohw: Int, _ p0: Int, _ p1: Int, _ dst: UnsafeMutablePointer<Float>
) {
  let cols = p1 - p0
  var pix = p0
  while pix < p1 {
    let ni = pix / ohw
    let p = pix - ni * ohw
    let run = Swift.min(ohw - p, p1 - pix)
    for r in 0..<rows {
      (dst + r * cols + (pix - p0)).update(from: t + (ni * rows + r) * ohw + p, count: run)
    }
    pix += run
  }
}

@inline(__always)
func scatterTile(
  _ src: UnsafePointer<Float>, rows: Int, ohw: Int, _ p0: Int, _ p1: Int, _ t: UnsafeMutablePointer<Float>
) {
  let cols = p1 - p0
  var pix = p0
  while pix < p1 {
    let ni = pix / ohw
    let p = pix - ni * ohw
    let run = Swift.min(ohw - p, p1 - pix)
    for r in 0..<rows {
      (t + (ni * rows + r) * ohw + p).update(from: src + r * cols + (pix - p0), count: run)
    }
    pix += run
  }
}

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
  forEachWorkerRange(g) { _, start, end in
    conv2dForwardRange(x: x, weight: weight, bias: bias, out: out, g, start, end)
  }
}

/// The forward pass for output pixels [start, end), whole images.
func conv2dForwardRange(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, _ start: Int, _ end: Int
) {
  let ohw = g.outPixels
  if g.usesDirectKernel {
    for ni in (start / ohw)..<(end / ohw) {
      lm_conv3x3_forward(
        x + ni * g.c * g.h * g.w, weight, out + ni * g.o * ohw, Int32(g.c), Int32(g.o), Int32(g.h), Int32(g.w))
    }
    addBias(bias, out, g, start, end)
    return
  }
  let total = end
  let tile = g.tileColumns
  let col = UnsafeMutablePointer<Float>.allocate(capacity: g.kc * tile)
  let tmp = UnsafeMutablePointer<Float>.allocate(capacity: g.o * tile)
  defer {
    col.deallocate()
    tmp.deallocate()
  }
  var p0 = start
  while p0 < total {
    let p1 = Swift.min(total, p0 + tile)
    let cols = p1 - p0
    let ni = p0 / ohw
    let within = (p1 - 1) / ohw == ni
    let pInImage = p0 - ni * ohw
    // B operand: the column tile, or the input itself for pointwise convs within one image.
    let b: UnsafePointer<Float>
    let ldb: Int
    if g.isPointwise && within {
      b = x + ni * g.c * ohw + pInImage
      ldb = ohw
    } else if g.isPointwise {
      gatherTile(x, rows: g.c, ohw: ohw, p0, p1, col)
      b = UnsafePointer(col)
      ldb = cols
    } else {
      im2col(x, g, p0, p1, col)
      b = UnsafePointer(col)
      ldb = cols
    }
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
    p0 = p1
  }
  addBias(bias, out, g, start, end)
}

/// out[n, o, :] += bias[o] for the images of output pixels [start, end).
func addBias(_ bias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, _ start: Int, _ end: Int) {
  guard let bias else { return }
  let ohw = g.outPixels
  for ni in (start / ohw)..<(end / ohw) {
    for oc in 0..<g.o {
      let row = out + (ni * g.o + oc) * ohw
      let v = bias[oc]
      for p in 0..<ohw { row[p] += v }
    }
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
      for oc in 0..<g.o {
        let row = gout + (ni * g.o + oc) * ohw
        var s: Float = 0
        for p in 0..<ohw { s += row[p] }
        gb[oc] += s
      }
    }
  }
  // Each worker accumulates its own weight gradient; they are summed at the end.
  let workers = Swift.min(engineThreads, g.n)
  let wCount = g.o * g.kc
  let partial = UnsafeMutablePointer<Float>.allocate(capacity: gw == nil ? 1 : workers * wCount)
  defer { partial.deallocate() }
  if gw != nil { partial.initialize(repeating: 0, count: workers * wCount) }
  forEachWorkerRange(g) { wi, start, end in
    conv2dBackwardRange(
      x: x, weight: weight, gout: gout, gx: gx, gw: gw == nil ? nil : partial + wi * wCount, g, start, end)
  }
  if let gw {
    for wi in 0..<workers {
      let src = partial + wi * wCount
      for i in 0..<wCount { gw[i] += src[i] }
    }
  }
}

/// The backward pass for output pixels [start, end), whole images.
func conv2dBackwardRange(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry, _ start: Int, _ end: Int
) {
  let ohw = g.outPixels
  if g.usesDirectKernel {
    conv2dBackwardDirect(x: x, weight: weight, gout: gout, gx: gx, gw: gw, g, start, end)
    return
  }
  let total = end
  let tile = g.tileColumns
  let col = UnsafeMutablePointer<Float>.allocate(capacity: g.kc * tile)
  let gtile = UnsafeMutablePointer<Float>.allocate(capacity: g.o * tile)
  defer {
    col.deallocate()
    gtile.deallocate()
  }
  // Stride-1 convs get the input gradient as a forward conv of gout with the flipped,
  // transposed kernel: one product with K = O·kh·kw and no scatter-add (col2im).
  let transposedPath = gx != nil && g.stride == 1 && !g.isPointwise && g.pad <= g.kh - 1 && g.kh == g.kw
  if let gx, transposedPath {
    let gt = Conv2dGeometry(n: g.n, c: g.o, h: g.ho, w: g.wo, o: g.c, kh: g.kh, kw: g.kw, stride: 1, pad: g.kh - 1 - g.pad)
    let flipped = flippedTransposedKernel(weight, g)
    defer { flipped.deallocate() }
    let n0 = start / ohw
    let n1 = end / ohw
    conv2dForwardRange(x: gout, weight: flipped, bias: nil, out: gx, gt, n0 * gt.outPixels, n1 * gt.outPixels)
  } else if let gx {
    let imageSize = g.c * g.h * g.w
    (gx + (start / ohw) * imageSize).initialize(repeating: 0, count: (end - start) / ohw * imageSize)
  }
  var p0 = start
  while p0 < total {
    let p1 = Swift.min(total, p0 + tile)
    let cols = p1 - p0
    let ni = p0 / ohw
    let within = (p1 - 1) / ohw == ni
    let pInImage = p0 - ni * ohw
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
      let b: UnsafePointer<Float>
      let ldb: Int
      if g.isPointwise && within {
        b = x + ni * g.c * ohw + pInImage
        ldb = ohw
      } else {
        if g.isPointwise { gatherTile(x, rows: g.c, ohw: ohw, p0, p1, col) } else { im2col(x, g, p0, p1, col) }
        b = UnsafePointer(col)
        ldb = cols
      }
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
        if g.isPointwise { scatterTile(col, rows: g.c, ohw: ohw, p0, p1, gx) } else { col2im(col, g, p0, p1, gx) }
      }
    }
    p0 = p1
  }
}

/// Flips and transposes a 3×3-style kernel: [O, C, k, k] → [C, O, k, k] rotated by 180°, so
/// that the input gradient of a stride-1 conv is a forward conv of the output gradient.
func flippedTransposedKernel(_ weight: UnsafePointer<Float>, _ g: Conv2dGeometry) -> UnsafeMutablePointer<Float> {
  let kk = g.kh * g.kw
  let flipped = UnsafeMutablePointer<Float>.allocate(capacity: g.o * g.kc)
  for oc in 0..<g.o {
    for ci in 0..<g.c {
      for t in 0..<kk { flipped[(ci * g.o + oc) * kk + (kk - 1 - t)] = weight[(oc * g.c + ci) * kk + t] }
    }
  }
  return flipped
}

/// Backward of the direct kernel for the images of output pixels [start, end).
func conv2dBackwardDirect(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry, _ start: Int, _ end: Int
) {
  let ohw = g.outPixels
  let imageIn = g.c * g.h * g.w
  let flipped = gx == nil ? nil : flippedTransposedKernel(weight, g)
  defer { flipped?.deallocate() }
  for ni in (start / ohw)..<(end / ohw) {
    let go = gout + ni * g.o * ohw
    if let gx, let flipped {
      lm_conv3x3_forward(go, flipped, gx + ni * imageIn, Int32(g.o), Int32(g.c), Int32(g.h), Int32(g.w))
    }
    if let gw {
      lm_conv3x3_weight_grad(x + ni * imageIn, go, gw, Int32(g.c), Int32(g.o), Int32(g.h), Int32(g.w))
    }
  }
}
