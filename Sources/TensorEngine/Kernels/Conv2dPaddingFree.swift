// Padding-free forward conv for small maps. im2col multiplies the padding zeros too, and on
// small maps they are much of the work (a 3×3 conv on a 3×3 map: 32 of 81 products; a 5×5 conv
// on 7×7: 31%): AlexNet's deep layers in LPIPS, the S/8 and S/16 levels of the U-Nets.
//
// Output pixels are grouped into classes whose valid kernel taps are the same rectangle
// ky ∈ [ky0, ky1), kx ∈ [kx0, kx1) (stride 1: rows × columns of the output). With the weights
// permuted to [O, kh, kw, C], the taps of one kernel row ky are contiguous columns, so a class
// is (ky1 − ky0) products of K = (kx1 − kx0)·C over its gathered patches, summed, then written
// out with the bias.

extension Conv2dGeometry {
  /// Kernel offsets [lo, hi) that land inside an input of `size` for output position `p`.
  @inline(__always)
  func validTaps(_ p: Int, kernel: Int, size: Int) -> (Int, Int) {
    (Swift.max(0, pad - p), Swift.min(kernel, size + pad - p))
  }

  /// Runs of consecutive output positions with the same valid taps: (p0, p1, k0, k1).
  func tapClasses(out: Int, kernel: Int, size: Int) -> [(p0: Int, p1: Int, k0: Int, k1: Int)] {
    var classes: [(p0: Int, p1: Int, k0: Int, k1: Int)] = []
    for p in 0..<out {
      let (k0, k1) = validTaps(p, kernel: kernel, size: size)
      if let last = classes.last, last.k0 == k0, last.k1 == k1 {
        classes[classes.count - 1].p1 = p + 1
      } else {
        classes.append((p, p + 1, k0, k1))
      }
    }
    return classes
  }

  /// Products that land on the image (not the padding), over all of kh·kw·Ho·Wo.
  var usefulFraction: Double {
    func share(_ out: Int, _ kernel: Int, _ size: Int) -> Double {
      let valid = (0..<out).reduce(0) { s, p in
        let (a, b) = validTaps(p, kernel: kernel, size: size)
        return s + Swift.max(0, b - a)
      }
      return Double(valid) / Double(out * kernel)
    }
    return share(ho, kh, h) * share(wo, kw, w)
  }

  /// Stride-1 convs (k > 1) on maps small enough that the padding is at least 25% of the
  /// products, outside the direct kernel's range.
  var usesPaddingFreeForward: Bool {
    stride == 1 && !isPointwise && !usesDirectForward && usefulFraction <= 0.75
  }
}

/// The forward pass for output pixels [start, end), whole images, class by class.
func conv2dForwardPaddingFree(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, _ start: Int, _ end: Int
) {
  let (ohw, hw, kk) = (g.outPixels, g.h * g.w, g.kh * g.kw)
  let (imageStride, outStride) = (g.c * hw, g.o * ohw)
  let (n0, n1) = (start / ohw, end / ohw)
  // wp [O, kh, kw, C] from weight [O, C, kh, kw].
  let wp = UnsafeMutablePointer<Float>.allocate(capacity: g.o * kk * g.c)
  defer { wp.deallocate() }
  for oc in 0..<g.o {
    for ci in 0..<g.c {
      let src = weight + (oc * g.c + ci) * kk
      let dst = wp + oc * kk * g.c + ci
      for t in 0..<kk { dst[t * g.c] = src[t] }
    }
  }
  let rowClasses = g.tapClasses(out: g.ho, kernel: g.kh, size: g.h)
  let colClasses = g.tapClasses(out: g.wo, kernel: g.kw, size: g.w)
  // Padding at least the kernel size leaves outputs that see no input: they are the bias.
  if (rowClasses + colClasses).contains(where: { $0.k1 <= $0.k0 }) {
    for ni in n0..<n1 {
      for oc in 0..<g.o { (out + (ni * g.o + oc) * ohw).update(repeating: bias?[oc] ?? 0, count: ohw) }
    }
  }
  // Images in groups of about a tile of output pixels; buffers sized for the widest class.
  let group = Swift.max(1, Swift.min(n1 - n0, Swift.max(g.tileColumns, 1024) / ohw))
  let maxPixels = group * ohw
  let patches = UnsafeMutablePointer<Float>.allocate(capacity: g.kc * maxPixels)
  let result = UnsafeMutablePointer<Float>.allocate(capacity: g.o * maxPixels)
  defer {
    patches.deallocate()
    result.deallocate()
  }
  var i0 = n0
  while i0 < n1 {
    let i1 = Swift.min(n1, i0 + group)
    let nImages = i1 - i0
    for rc in rowClasses where rc.k1 > rc.k0 {
      for cc in colClasses where cc.k1 > cc.k0 {
        let (rh, rw) = (rc.p1 - rc.p0, cc.p1 - cc.p0)
        let n = nImages * rh * rw
        let tapsPerRow = cc.k1 - cc.k0
        // patches[((ky − ky0)·taps + (kx − kx0))·C + c, (oy, ox, image)] =
        // x[image, c, oy + ky − pad, ox + kx − pad]: images innermost, so even a one-pixel
        // class (a 3×3 map's corner) copies a run as long as the image group.
        for ky in rc.k0..<rc.k1 {
          for kx in cc.k0..<cc.k1 {
            for ci in 0..<g.c {
              var d = patches + (((ky - rc.k0) * tapsPerRow + (kx - cc.k0)) * g.c + ci) * n
              let plane = x + (i0 * g.c + ci) * hw + (ky - g.pad) * g.w + (kx - g.pad)
              for oy in rc.p0..<rc.p1 {
                for ox in cc.p0..<cc.p1 {
                  let src = plane + oy * g.w + ox
                  for j in 0..<nImages { d[j] = src[j * imageStride] }
                  d += nImages
                }
              }
            }
          }
        }
        // result [O, n] = Σ_ky wp[:, ky, kx0..<kx1, :] · patches of that kernel row.
        let k = tapsPerRow * g.c
        for ky in rc.k0..<rc.k1 {
          sgemm(
            transA: false, transB: false, m: g.o, n: n, k: k, a: wp + (ky * g.kw + cc.k0) * g.c, lda: kk * g.c,
            b: patches + (ky - rc.k0) * k * n, ldb: n, beta: ky == rc.k0 ? 0 : 1, c: result, ldc: n)
        }
        for oc in 0..<g.o {
          var src = UnsafePointer(result + oc * n)
          let b = bias?[oc] ?? 0
          let plane = out + (i0 * g.o + oc) * ohw
          for oy in rc.p0..<rc.p1 {
            for ox in cc.p0..<cc.p1 {
              let dst = plane + oy * g.wo + ox
              for j in 0..<nImages { dst[j * outStride] = src[j] + b }
              src += nImages
            }
          }
        }
      }
    }
    i0 = i1
  }
}
