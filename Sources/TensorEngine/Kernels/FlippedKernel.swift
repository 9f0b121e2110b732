// The flipped, transposed kernel that turns a stride-1 conv's input gradient into a forward
// conv of the output gradient (the im2col path; the direct C kernel reads weights flipped itself).

/// Flips and transposes a 3×3-style kernel: [O, C, k, k] → [C, O, k, k] rotated by 180°, so
/// that the input gradient of a stride-1 conv is a forward conv of the output gradient.
func flippedTransposedKernel(_ weight: UnsafePointer<Float>, _ g: Conv2dGeometry) -> UnsafeMutablePointer<Float> {
  let kk = g.kh * g.kw
  let flipped = UnsafeMutablePointer<Float>.allocate(capacity: g.o * g.kc)
  // In 16×16 channel blocks, so both the reads and the writes stay within a few pages.
  let block = 16
  for o0 in stride(from: 0, to: g.o, by: block) {
    for c0 in stride(from: 0, to: g.c, by: block) {
      for oc in o0..<Swift.min(o0 + block, g.o) {
        for ci in c0..<Swift.min(c0 + block, g.c) {
          let src = weight + (oc * g.c + ci) * kk
          let dst = flipped + (ci * g.o + oc) * kk + kk - 1
          for t in 0..<kk { dst[-t] = src[t] }
        }
      }
    }
  }
  return flipped
}
