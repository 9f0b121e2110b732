// PSNR (DESIGN §3): 10·log10(range² / MSE) over all pixels and channels of each frame.
import Foundation
import TensorEngine

/// Version of the PSNR definition (MSE accumulated in float64 per frame).
public let psnrVersion = "psnr-v1"

/// Peak signal-to-noise ratio in dB of each frame pair; higher is better, +∞ for identical
/// frames. Frames are [N, C, H, W] with values in [0, `dataRange`].
public func psnrDecibels(reference: Tensor, predicted: Tensor, dataRange: Double = 1) -> FrameScores {
  precondSameFrames(reference.shape, predicted.shape, "psnr")
  let n = reference.shape[0]
  let per = reference.count / Swift.max(n, 1)
  var values = [Double](repeating: 0, count: n)
  let a = reference.data, b = predicted.data
  values.withUnsafeMutableBufferPointer { out in
    let dst = out.baseAddress!
    forEachFrameRange(n) { range, _ in
      for i in range {
        let mse = sumSquaredDifference(a + i * per, b + i * per, per) / Double(per)
        dst[i] = 10 * log10(dataRange * dataRange / mse)
      }
    }
  }
  return FrameScores(metric: "psnr", version: psnrVersion, direction: .higherIsBetter, values: values)
}

/// Σ (a − b)² over `count` floats: float32 SIMD lanes over blocks of 512, float64 across blocks.
func sumSquaredDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Double {
  var total: Double = 0
  var start = 0
  let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
  while start < count {
    let end = Swift.min(count, start + 512)
    var acc = SIMD8<Float>()
    var i = start
    while i + 8 <= end {
      let d = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      acc += d * d
      i += 8
    }
    var s = Double(acc.sum())
    while i < end {
      let d = Double(a[i]) - Double(b[i])
      s += d * d
      i += 1
    }
    total += s
    start = end
  }
  return total
}
