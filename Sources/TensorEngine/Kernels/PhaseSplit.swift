// im2col from padded images, for strided convs (AlexNet's 11×11/4, stride-2 downsampling) and
// small outputs: each image is zero-padded and split into its stride×stride phases,
// xph[c][py][px][Y][X] = xpad[c][s·Y + py][s·X + px] (s = 1: just the padded image). Kernel tap
// (ki, kj) of output row oy then reads the contiguous run
// xph[c][ki % s][kj % s][oy + ki / s][kj / s ..< kj / s + Wo]: vector copies (lm_copy_runs),
// no stride-s gathers, no padding branches, no per-element table lookups.

import CKernels

/// The phase-split images of a worker's images [n0, n1).
struct PhaseSplit {
  let g: Conv2dGeometry
  let n0: Int
  /// Rows and columns of one phase plane: ⌈(H + 2·pad) / s⌉ and ⌈(W + 2·pad) / s⌉.
  let hq, wq: Int
  let data: UnsafeMutablePointer<Float>

  var imageFloats: Int { g.c * g.stride * g.stride * hq * wq }

  /// Allocates and fills the phases of images [n0, n1) of x; `deallocate()` frees them.
  init(_ x: UnsafePointer<Float>, _ g: Conv2dGeometry, images n0: Int, _ n1: Int) {
    let s = g.stride
    self.g = g
    self.n0 = n0
    hq = (g.h + 2 * g.pad + s - 1) / s
    wq = (g.w + 2 * g.pad + s - 1) / s
    // + runSlack: run copies move whole vectors and may read past the last run.
    let count = (n1 - n0) * g.c * s * s * hq * wq + runSlack
    data = .allocate(capacity: count)
    data.initialize(repeating: 0, count: count)
    for ni in n0..<n1 {
      for ci in 0..<g.c {
        let planes = data + ((ni - n0) * g.c + ci) * s * s * hq * wq
        let src = x + (ni * g.c + ci) * g.h * g.w
        if s == 1 {  // the padded image itself: row copies
          for iy in 0..<g.h { (planes + (iy + g.pad) * wq + g.pad).update(from: src + iy * g.w, count: g.w) }
          continue
        }
        for iy in 0..<g.h {
          let py = (iy + g.pad) % s
          let row = src + iy * g.w
          for px in 0..<s {
            // Input columns ix with (ix + pad) % s == px land at X = (ix + pad) / s.
            let first = ((px - g.pad) % s + s) % s
            guard first < g.w else { continue }
            let dst = planes + (py * s + px) * hq * wq + ((iy + g.pad) / s) * wq + (first + g.pad) / s
            var k = 0
            var ix = first
            while ix < g.w {
              dst[k] = row[ix]
              k += 1
              ix += s
            }
          }
        }
      }
    }
  }

  func deallocate() { data.deallocate() }

  /// Fills col [kc, p1 − p0] with the patches of output pixels [p0, p1) (images in [n0, n1));
  /// col needs `runSlack` floats beyond kc·(p1 − p0).
  func im2col(_ p0: Int, _ p1: Int, _ col: UnsafeMutablePointer<Float>) {
    let s = g.stride
    let plane = hq * wq
    // The tile's runs (one per output row it touches) are the same for every patch row:
    // where each starts in the phase images (less the tap's offset) and in the column.
    var runSrc: [Int] = [], runDst: [Int] = [], runLen: [Int32] = []
    forEachOutputRowRun(g, p0, p1) { ni, oy, ox0, count, column in
      runSrc.append((ni - n0) * imageFloats + oy * wq + ox0)
      runDst.append(column)
      runLen.append(Int32(count))
    }
    // Each patch row's tap: phase plane (ki % s, kj % s) of channel ci, shifted by (ki / s, kj / s).
    var rowSrc = [Int](repeating: 0, count: g.kc)
    for ci in 0..<g.c {
      for ki in 0..<g.kh {
        for kj in 0..<g.kw {
          rowSrc[(ci * g.kh + ki) * g.kw + kj] = (ci * s * s + (ki % s) * s + kj % s) * plane + (ki / s) * wq + kj / s
        }
      }
    }
    lm_copy_runs(data, rowSrc, Int32(g.kc), runSrc, runDst, runLen, Int32(runLen.count), col, p1 - p0)
  }
}

/// Floats of slack after buffers that run copies read or write (one 8-float vector).
let runSlack = 8
