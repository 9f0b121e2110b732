// The direct 3×3 path of conv2d (C kernels in Sources/CKernels): input gradients as a forward
// conv of the output gradient with the flipped, transposed kernel.
import CKernels

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
  x: UnsafePointer<Float>, flipped: UnsafePointer<Float>?, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry, _ start: Int, _ end: Int
) {
  let ohw = g.outPixels
  let imageIn = g.c * g.h * g.w
  precondition(gx == nil || flipped != nil, "conv2dBackwardDirect: the input gradient needs the flipped kernel")
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
