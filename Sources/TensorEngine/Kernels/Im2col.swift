// im2col / col2im over tiles of output pixels, and tile gather/scatter for products that
// span several (small) images.
import Foundation

/// Walks the patch matrix of output pixels [p0, p1): for each kernel row (ci, ki, kj) and
/// each run of pixels in one output row, calls body(rowStart, dstOffset, srcOffset, a, b,
/// oxStart, oxEnd) where `rowStart` is the row's first column index, `dstOffset` the column
/// index minus oxStart, `srcOffset` the input offset of ox = 0 (nil when the kernel row falls
/// in the padding), and [a, b] the output columns that read inside the image (a > b: none).
@inline(__always)
func forEachPatchRun(
  _ g: Conv2dGeometry, _ p0: Int, _ p1: Int,
  _ body: (_ rowStart: Int, _ dst: Int, _ src: Int?, _ a: Int, _ b: Int, _ oxStart: Int, _ oxEnd: Int) -> Void
) {
  let cols = p1 - p0
  let hw = g.h * g.w
  let wo = g.wo
  for ci in 0..<g.c {
    for ki in 0..<g.kh {
      for kj in 0..<g.kw {
        let rowStart = ((ci * g.kh + ki) * g.kw + kj) * cols
        // Valid output columns ox: 0 ≤ ox·s − pad + kj < W.
        let lo = Swift.max(0, (g.pad - kj + g.stride - 1) / g.stride)
        let hi = Swift.min(wo - 1, (g.w - 1 + g.pad - kj) / g.stride)
        forEachOutputRowRun(g, p0, p1) { ni, oy, oxStart, count, column in
          let oxEnd = oxStart + count
          let iy = oy * g.stride - g.pad + ki
          let src: Int? = iy < 0 || iy >= g.h ? nil : ni * g.c * hw + ci * hw + iy * g.w - g.pad + kj
          body(rowStart, column - oxStart, src, Swift.max(oxStart, lo), Swift.min(oxEnd - 1, hi), oxStart, oxEnd)
        }
      }
    }
  }
}

/// Calls body(image, oy, ox0, count, column) for each run of output pixels in [p0, p1) that
/// stays in one output row: its image, row, first column, length and column in the tile.
@inline(__always)
func forEachOutputRowRun(_ g: Conv2dGeometry, _ p0: Int, _ p1: Int, _ body: (Int, Int, Int, Int, Int) -> Void) {
  let (ohw, wo) = (g.outPixels, g.wo)
  var pix = p0
  while pix < p1 {
    let ni = pix / ohw
    let p = pix - ni * ohw
    let oy = p / wo
    let ox0 = p - oy * wo
    let count = Swift.min(wo - ox0, p1 - pix)
    body(ni, oy, ox0, count, pix - p0)
    pix += count
  }
}

/// For small output images (≤ 256 pixels, the S/8 and deeper levels) the runs above are a
/// few pixels long and their bookkeeping dominates; a table of each patch element's input
/// offset within one image ([kc, Ho·Wo], −1 in the padding) makes col2im a plain scatter.
/// (Their im2col reads `PhaseSplit`s; this size limit decides that too.)
final class PatchTable {
  static let maxOutputPixels = 256
  let offsets: UnsafeMutablePointer<Int32>  // [kc, ohw]
  let ohw: Int

  init(_ g: Conv2dGeometry) {
    ohw = g.outPixels
    offsets = .allocate(capacity: g.kc * ohw)
    for ci in 0..<g.c {
      for ki in 0..<g.kh {
        for kj in 0..<g.kw {
          let row = offsets + ((ci * g.kh + ki) * g.kw + kj) * ohw
          for oy in 0..<g.ho {
            let iy = oy * g.stride - g.pad + ki
            for ox in 0..<g.wo {
              let ix = ox * g.stride - g.pad + kj
              let inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w
              row[oy * g.wo + ox] = inside ? Int32((ci * g.h + iy) * g.w + ix) : -1
            }
          }
        }
      }
    }
  }

  /// A table when the geometry's output images are small enough to profit from one. Tables
  /// depend only on the per-image geometry and are immutable, so they are built once and
  /// shared (by all workers and all later steps).
  static func forGeometry(_ g: Conv2dGeometry) -> PatchTable? {
    guard g.outPixels <= maxOutputPixels && !g.isPointwise else { return nil }
    var key = g
    key.n = 1
    cacheLock.lock()
    defer { cacheLock.unlock() }
    if let t = cache[key] { return t }
    let t = PatchTable(key)
    cache[key] = t
    return t
  }

  nonisolated(unsafe) private static var cache: [Conv2dGeometry: PatchTable] = [:]
  private static let cacheLock = NSLock()

  deinit { offsets.deallocate() }

  /// Calls body(offsets, image, colOffset, run) for each row of the patch matrix and each run
  /// of output pixels [p, p + run) of one image within [p0, p1) (`offsets` = the row's
  /// table entries from p). The runs are found once per tile: with outputs of a few pixels
  /// a tile holds dozens of images, and per-run divisions would cost more than the copies.
  @inline(__always)
  func forEachRun(kc: Int, _ p0: Int, _ p1: Int, _ body: (UnsafePointer<Int32>, Int, Int, Int) -> Void) {
    var runs: [(image: Int, p: Int, dst: Int, count: Int)] = []
    var pix = p0
    while pix < p1 {
      let ni = pix / ohw
      let p = pix - ni * ohw
      let run = Swift.min(ohw - p, p1 - pix)
      runs.append((ni, p, pix - p0, run))
      pix += run
    }
    let cols = p1 - p0
    runs.withUnsafeBufferPointer { runs in
      for r in 0..<kc {
        let trow = UnsafePointer(offsets + r * ohw)
        for run in runs { body(trow + run.p, run.image, r * cols + run.dst, run.count) }
      }
    }
  }
}

/// Fills col [kc, p1 − p0] with the input patches of output pixels P in [p0, p1) (stride-1
/// convs with outputs over 256 pixels; strided and small ones read `PhaseSplit`s instead).
func im2col(
  _ x: UnsafePointer<Float>, _ g: Conv2dGeometry, _ p0: Int, _ p1: Int, _ col: UnsafeMutablePointer<Float>
) {
  let s = g.stride
  forEachPatchRun(g, p0, p1) { rowStart, dstOffset, srcOffset, a, b, oxStart, oxEnd in
    let dst = col + rowStart + dstOffset
    guard let srcOffset, a <= b else {
      for ox in oxStart..<oxEnd { dst[ox] = 0 }
      return
    }
    let src = x + srcOffset
    for ox in oxStart..<a { dst[ox] = 0 }
    if s == 1 {
      (dst + a).update(from: src + a, count: b - a + 1)
    } else {
      for ox in a...b { dst[ox] = src[ox * s] }
    }
    if b + 1 < oxEnd { for ox in (b + 1)..<oxEnd { dst[ox] = 0 } }
  }
}

/// Adds col [kc, p1 − p0] back into the input-shaped gradient gx (the transpose of im2col).
func col2im(
  _ col: UnsafePointer<Float>, _ g: Conv2dGeometry, _ p0: Int, _ p1: Int, _ gx: UnsafeMutablePointer<Float>,
  table: PatchTable? = nil
) {
  if let table {
    let imageSize = g.c * g.h * g.w
    table.forEachRun(kc: g.kc, p0, p1) { offsets, ni, src, run in
      let gb = gx + ni * imageSize
      let c = col + src
      for k in 0..<run {
        let o = Int(offsets[k])
        if o >= 0 { gb[o] += c[k] }
      }
    }
    return
  }
  let s = g.stride
  forEachPatchRun(g, p0, p1) { rowStart, dstOffset, srcOffset, a, b, _, _ in
    guard let srcOffset, a <= b else { return }
    let src = col + rowStart + dstOffset
    let dst = gx + srcOffset
    if s == 1 {
      for ox in a...b { dst[ox] += src[ox] }
    } else {
      for ox in a...b { dst[ox * s] += src[ox] }
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
