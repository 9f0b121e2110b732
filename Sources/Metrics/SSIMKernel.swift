// SSIM kernel configuration; the filtering itself is the C kernel `lm_ssim_plane_mean`
// (Sources/CKernels/ssim.c: AVX2/FMA chosen at run time, Swift's x86-64 baseline target has
// neither): separable window filtering of the four moment maps of one plane pair (x, y,
// x² + y², xy: SSIM needs only μx, μy, σx² + σy² and σxy) and the mean of the SSIM map over the
// interior scikit-image averages (a border of `radius` pixels cropped).
// NOTE: handing the two passes to OpenBLAS (sgemv + saxpy) was measured no faster: the filters
// are short and the passes memory-bound.
// NOTE: only interior outputs are averaged, so every window lies inside the plane and no
// boundary mode is needed (scikit-image's reflect padding never reaches the mean).
// NOTE: moments are taken of x − ½ and y − ½: variances and covariance are unchanged (the
// weights sum to one) while the cancellation in E[x²] − E[x]² shrinks fourfold in float32.
import CKernels

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
  let taps = 2 * cfg.radius + 1
  precondition(h >= taps && w >= taps, "ssim: plane \(h)×\(w) smaller than the \(taps)×\(taps) window")
  return lm_ssim_plane_mean(
    x, y, Int32(h), Int32(w), weights, Int32(cfg.radius), cfg.covNorm, cfg.c1, cfg.c2, cfg.shift, scratch)
}
