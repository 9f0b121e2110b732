// im2col for strided convs (AlexNet's 11×11/4, the stride-2 downsampling convs): each image is
// zero-padded and split into its stride×stride phases, xph[c][py][px][Y][X] =
// xpad[c][s·Y + py][s·X + px]. Kernel tap (ki, kj) of output row oy then reads the contiguous
// run xph[c][ki % s][kj % s][oy + ki / s][kj / s ..< kj / s + Wo]: plain copies, no stride-s
// gathers and no padding branches.

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
    let count = (n1 - n0) * g.c * s * s * hq * wq
    data = .allocate(capacity: Swift.max(count, 1))
    data.initialize(repeating: 0, count: count)
    for ni in n0..<n1 {
      for ci in 0..<g.c {
        let planes = data + ((ni - n0) * g.c + ci) * s * s * hq * wq
        let src = x + (ni * g.c + ci) * g.h * g.w
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

  /// Fills col [kc, p1 − p0] with the patches of output pixels [p0, p1) (images in [n0, n1)).
  func im2col(_ p0: Int, _ p1: Int, _ col: UnsafeMutablePointer<Float>) {
    let (s, wo, ohw, cols) = (g.stride, g.wo, g.outPixels, p1 - p0)
    let plane = hq * wq
    // The tile's runs (one per output row it touches) are the same for every patch row:
    // where each starts in the phase images (less the tap's offset) and in the column.
    var runs: [(src: Int, dst: Int, count: Int)] = []
    var pix = p0
    while pix < p1 {
      let ni = pix / ohw
      let p = pix - ni * ohw
      let oy = p / wo
      let ox0 = p - oy * wo
      let run = Swift.min(wo - ox0, p1 - pix)
      runs.append(((ni - n0) * imageFloats + oy * wq + ox0, pix - p0, run))
      pix += run
    }
    runs.withUnsafeBufferPointer { runs in
      for ci in 0..<g.c {
        for ki in 0..<g.kh {
          for kj in 0..<g.kw {
            let r = (ci * g.kh + ki) * g.kw + kj
            let tap = data + (ci * s * s + (ki % s) * s + kj % s) * plane + (ki / s) * wq + kj / s
            let row = col + r * cols
            for run in runs {
              let (src, dst) = (tap + run.src, row + run.dst)
              for k in 0..<run.count { dst[k] = src[k] }
            }
          }
        }
      }
    }
  }
}
