// SSIM kernel: separable window filtering of the four moment maps of one plane pair (x, y,
// x² + y², xy: SSIM needs only μx, μy, σx² + σy² and σxy), on unsafe buffers with 8-lane
// SIMD, and the mean of the SSIM map over the interior scikit-image averages (a border of
// `radius` pixels cropped).
// NOTE: handing the two passes to OpenBLAS (sgemv + saxpy, AVX-512 kernels) was measured no
// faster than this: the filters are short and the passes memory-bound.
//
// NOTE: only interior outputs are averaged, so every window lies inside the plane and no
// boundary mode is needed (scikit-image's reflect padding never reaches the mean).
// NOTE: moments are taken of x − ½ and y − ½: variances and covariance are unchanged (the
// weights sum to one) while the cancellation in E[x²] − E[x]² shrinks fourfold in float32.

/// Sizes and constants of one SSIM evaluation.
struct SSIMKernelConfig {
  /// Normalised 1-D window, 2·radius + 1 taps.
  var weights: [Float]
  var radius: Int
  /// 1 for population (co)variances, NP / (NP − 1) for sample ones.
  var covNorm: Float
  var c1: Float
  var c2: Float
  /// Value subtracted before taking moments (half the data range).
  var shift: Float
}

/// Mean SSIM over the interior of one [h, w] plane pair. `scratch` holds 4·w floats.
func ssimPlaneMean(
  _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, h: Int, w: Int, _ cfg: SSIMKernelConfig,
  weights: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
) -> Double {
  let r = cfg.radius
  let taps = 2 * r + 1
  precondition(h >= taps && w >= taps, "ssim: plane \(h)×\(w) smaller than the \(taps)×\(taps) window")
  let vx = scratch, vy = scratch + w, vq = scratch + 2 * w, vxy = scratch + 3 * w
  let shift8 = SIMD8<Float>(repeating: cfg.shift)
  let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
  var total: Double = 0
  for i in r..<(h - r) {
    // Vertical pass: rows i−r … i+r into the five row buffers, all w columns.
    var j = 0
    while j + 8 <= w {
      var sx = SIMD8<Float>(), sy = SIMD8<Float>(), sq = SIMD8<Float>(), sxy = SIMD8<Float>()
      var off = ((i - r) * w + j) * 4
      for t in 0..<taps {
        let a = rx.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self) - shift8
        let b = ry.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self) - shift8
        let wt = SIMD8<Float>(repeating: weights[t])
        let wa = wt * a, wb = wt * b
        sx += wa
        sy += wb
        sq += wa * a + wb * b
        sxy += wa * b
        off += w * 4
      }
      store(sx, vx + j)
      store(sy, vy + j)
      store(sq, vq + j)
      store(sxy, vxy + j)
      j += 8
    }
    while j < w {
      var sx: Float = 0, sy: Float = 0, sq: Float = 0, sxy: Float = 0
      for t in 0..<taps {
        let a = x[(i - r + t) * w + j] - cfg.shift, b = y[(i - r + t) * w + j] - cfg.shift
        let wa = weights[t] * a, wb = weights[t] * b
        sx += wa
        sy += wb
        sq += wa * a + wb * b
        sxy += wa * b
      }
      vx[j] = sx
      vy[j] = sy
      vq[j] = sq
      vxy[j] = sxy
      j += 1
    }
    total += Double(ssimRow(vx, vy, vq, vxy, w: w, cfg, weights: weights))
  }
  return total / Double((h - 2 * r) * (w - 2 * r))
}

@inline(__always)
private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Horizontal pass over the four vertically filtered rows and the SSIM formula, summed over
/// the interior columns r ..< w − r.
@inline(__always)
private func ssimRow(
  _ vx: UnsafePointer<Float>, _ vy: UnsafePointer<Float>, _ vq: UnsafePointer<Float>,
  _ vxy: UnsafePointer<Float>, w: Int, _ cfg: SSIMKernelConfig,
  weights: UnsafePointer<Float>
) -> Float {
  let r = cfg.radius
  let taps = 2 * r + 1
  let shift = SIMD8<Float>(repeating: cfg.shift)
  let cov = SIMD8<Float>(repeating: cfg.covNorm)
  let c1 = SIMD8<Float>(repeating: cfg.c1), c2 = SIMD8<Float>(repeating: cfg.c2)
  var acc = SIMD8<Float>()
  var j = r
  while j + 8 <= w - r {
    // The window is symmetric: w_t·(v[j − t] + v[j + t]) halves the multiplies.
    let wc = SIMD8<Float>(repeating: weights[r])
    var mx = wc * load(vx + j), my = wc * load(vy + j), mq = wc * load(vq + j), mxy = wc * load(vxy + j)
    for t in 1..<(r + 1) {
      let wt = SIMD8<Float>(repeating: weights[r - t])
      mx += wt * (load(vx + j - t) + load(vx + j + t))
      my += wt * (load(vy + j - t) + load(vy + j + t))
      mq += wt * (load(vq + j - t) + load(vq + j + t))
      mxy += wt * (load(vxy + j - t) + load(vxy + j + t))
    }
    let varSum = cov * (mq - mx * mx - my * my), covXY = cov * (mxy - mx * my)
    let ux = mx + shift, uy = my + shift
    let num = (2 * ux * uy + c1) * (2 * covXY + c2)
    let den = (ux * ux + uy * uy + c1) * (varSum + c2)
    acc += num / den
    j += 8
  }
  var s = acc.sum()
  while j < w - r {
    var mx: Float = 0, my: Float = 0, mq: Float = 0, mxy: Float = 0
    for t in 0..<taps {
      let k = j - r + t
      mx += weights[t] * vx[k]
      my += weights[t] * vy[k]
      mq += weights[t] * vq[k]
      mxy += weights[t] * vxy[k]
    }
    let varSum: Float = cfg.covNorm * (mq - mx * mx - my * my)
    let covXY: Float = cfg.covNorm * (mxy - mx * my)
    let ux = mx + cfg.shift, uy = my + cfg.shift
    let num: Float = (2 * ux * uy + cfg.c1) * (2 * covXY + cfg.c2)
    let den: Float = (ux * ux + uy * uy + cfg.c1) * (varSum + cfg.c2)
    s += num / den
    j += 1
  }
  return s
}
