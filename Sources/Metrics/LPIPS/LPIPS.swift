// LPIPS distance (DESIGN §3): frames batched through the backbone (reference and predicted
// images together), each tapped layer unit-normalised over channels, squared difference
// weighted by the calibrated lin layer, spatial mean, summed over layers. Chunks of frames run
// on all cores (one BLAS and engine thread each); metrics never record a graph.
import Foundation
import TensorEngine

/// LPIPS's ScalingLayer constants: (x − shift) / scale on inputs in [−1, 1].
private let lpipsShift: [Float] = [-0.030, -0.088, -0.188]
private let lpipsScale: [Float] = [0.458, 0.448, 0.450]
/// normalize_tensor's epsilon.
private let lpipsEps: Float = 1e-10

/// LPIPS distance of each frame pair; lower is better (0 = identical). Frames are
/// [N, 3, H, W] with values in [0, 1] (mapped to [−1, 1] as the `lpips` package expects).
public func lpipsDistance(reference: Tensor, predicted: Tensor, model: LPIPSModel) -> FrameScores {
  precondSameFrames(reference.shape, predicted.shape, "lpips")
  precondition(reference.shape[1] == 3, "lpips: frames must have 3 channels, got \(reference.shape)")
  let n = reference.shape[0]
  let size = Swift.max(reference.shape[2], reference.shape[3])
  // Chunks keep the widest activation of both images of every frame near 8 MB (measured with
  // `lmlab bench metrics`: 32 MB chunks ran alex at 128 px 3-7% and squeeze 40% slower), and
  // every worker gets at least one.
  let perFrame = 2 * model.net.widestActivation(size: size)
  let balanced = (n + metricWorkers - 1) / metricWorkers
  let chunk = Swift.max(1, Swift.min(64, balanced, (2 << 20) / Swift.max(perFrame, 1)))
  let values = scoreInChunks(n, chunk: chunk) { frames, out in lpipsChunk(reference, predicted, frames, model, into: out) }
  return FrameScores(metric: model.metricName, version: LPIPSModel.version, direction: .lowerIsBetter, values: values)
}

/// Scores frames `range`, writing one value per frame to `out`.
private func lpipsChunk(
  _ reference: Tensor, _ predicted: Tensor, _ range: Range<Int>, _ model: LPIPSModel,
  into out: UnsafeMutablePointer<Double>
) {
  let b = range.count
  let (h, w) = (reference.shape[2], reference.shape[3])
  let plane = h * w
  // Input [2b, 3, H, W]: the b reference frames, then the b predicted ones, scaled.
  var x = Tensor(zeros: [2 * b, 3, h, w])
  for (half, src) in [reference, predicted].enumerated() {
    for f in 0..<b {
      for c in 0..<3 {
        let s = src.data + ((range.lowerBound + f) * 3 + c) * plane
        let d = x.data + ((half * b + f) * 3 + c) * plane
        let (shift, inv) = (lpipsShift[c], 1 / lpipsScale[c])
        for p in 0..<plane { d[p] = ((2 * s[p] - 1) - shift) * inv }
      }
    }
  }
  for f in 0..<b { out[f] = 0 }
  for (tap, slice) in model.net.slices.enumerated() {
    for layer in slice { x = apply(layer, x, model) }
    model.lins[tap].withUnsafeBufferPointer { lin in
      addLayerDistance(x, frames: b, lin: lin.baseAddress!, into: out)
    }
  }
}

/// One backbone layer (conv + ReLU, max pool, or Fire module).
private func apply(_ layer: LPIPSLayer, _ x: Tensor, _ model: LPIPSModel) -> Tensor {
  switch layer {
  case .conv(let key, _, _, _, let stride, let padding):
    return convReLU(x, model, key, stride: stride, padding: padding)
  case .maxPool(let k, let s, let ceil):
    return x.maxPool2d(kernel: k, stride: s, ceilMode: ceil)
  case .fire(let key, _, _, _):
    let s = convReLU(x, model, "\(key).squeeze", stride: 1, padding: 0)
    let e1 = convReLU(s, model, "\(key).expand1x1", stride: 1, padding: 0)
    let e3 = convReLU(s, model, "\(key).expand3x3", stride: 1, padding: 1)
    return Tensor.concat([e1, e3], axis: 1)
  }
}

/// conv2d followed by an in-place ReLU on its fresh (unshared, unrecorded) output.
private func convReLU(_ x: Tensor, _ model: LPIPSModel, _ key: String, stride: Int, padding: Int) -> Tensor {
  let y = Tensor.conv2d(
    x, weight: model.tensors["\(key).weight"]!, bias: model.tensors["\(key).bias"]!, stride: stride, padding: padding)
  let p = y.data
  for i in 0..<y.count { p[i] = Swift.max(p[i], 0) }
  return y
}

/// Adds each frame's layer distance: mean over positions of Σ_c lin_c (f0/‖f0‖ − f1/‖f1‖)²,
/// with features x [2·frames, C, H, W] (reference images first). `lin` nil: weight 1 per
/// channel (the uncalibrated recipe, effnet-lite0-dist).
func addLayerDistance(
  _ x: Tensor, frames b: Int, lin: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Double>
) {
  let (c, hw) = (x.shape[1], x.shape[2] * x.shape[3])
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * hw)
  defer { scratch.deallocate() }
  let inv0 = scratch, inv1 = scratch + hw, acc = scratch + 2 * hw
  for f in 0..<b {
    let f0 = UnsafePointer(x.data + f * c * hw), f1 = UnsafePointer(x.data + (b + f) * c * hw)
    for p in 0..<hw {
      inv0[p] = 0
      inv1[p] = 0
      acc[p] = 0
    }
    for ch in 0..<c {
      let r0 = f0 + ch * hw, r1 = f1 + ch * hw
      for p in 0..<hw {
        inv0[p] += r0[p] * r0[p]
        inv1[p] += r1[p] * r1[p]
      }
    }
    for p in 0..<hw {
      inv0[p] = 1 / (inv0[p].squareRoot() + lpipsEps)
      inv1[p] = 1 / (inv1[p].squareRoot() + lpipsEps)
    }
    for ch in 0..<c {
      let r0 = f0 + ch * hw, r1 = f1 + ch * hw
      let wc = lin?[ch] ?? 1
      for p in 0..<hw {
        let d = r0[p] * inv0[p] - r1[p] * inv1[p]
        acc[p] += wc * d * d
      }
    }
    var s: Double = 0
    for p in 0..<hw { s += Double(acc[p]) }
    out[f] += s / Double(hw)
  }
}
