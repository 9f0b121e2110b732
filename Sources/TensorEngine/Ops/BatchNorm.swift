// Batch normalization with running statistics (evaluation mode): a per-channel affine map,
// forward and backward. Training-mode batch statistics are not implemented.

extension Tensor {
  /// y[n, c, …] = (x[n, c, …] − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c] for x [N, C, …]:
  /// PyTorch's F.batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=eps).
  /// The running statistics are constants (buffers); gradients flow to x, weight and bias.
  public static func batchNorm(
    _ x: Tensor, runningMean: Tensor, runningVar: Tensor, weight: Tensor?, bias: Tensor?, eps: Float
  ) -> Tensor {
    precondition(x.rank >= 2, "batch_norm: input \(x.shape) needs a channel axis")
    let c = x.shape[1]
    for (name, t) in [("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)] {
      guard let t else { continue }
      precondition(t.shape == [c], "batch_norm: \(name) \(t.shape) for \(c) channels (input \(x.shape))")
    }
    precondition(
      !runningMean.requiresGrad && !runningVar.requiresGrad, "batch_norm: running statistics are buffers, not parameters")
    let n = x.shape[0]
    let m = x.shape[2...].reduce(1, *)
    // scale = weight / sqrt(var + eps) and shift = bias − mean · scale, in double.
    var invStd = [Float](repeating: 0, count: c)
    var scale = [Float](repeating: 0, count: c)
    var shift = [Float](repeating: 0, count: c)
    for ch in 0..<c {
      let inv = 1 / (Double(runningVar.data[ch]) + Double(eps)).squareRoot()
      let sc = inv * Double(weight?.data[ch] ?? 1)
      invStd[ch] = Float(inv)
      scale[ch] = Float(sc)
      shift[ch] = Float(Double(bias?.data[ch] ?? 0) - Double(runningMean.data[ch]) * sc)
    }
    let out = TensorStorage(count: x.count)
    batchNormAffine(x.data, out.pointer, planes: n * c, channels: c, planeSize: m, scale: scale, shift: shift)
    let inputs = [x] + [weight, bias].compactMap { $0 }
    // Backward needs x only for the weight gradient.
    let savedX = (weight?.requiresGrad ?? false) ? x.storage : nil
    let mean = runningMean.values
    return result("batch_norm", shape: x.shape, storage: out, inputs: inputs) {
      [shape = x.shape, xNeedsGrad = x.requiresGrad] g in
      var grads: [Tensor?] = []
      if xNeedsGrad {
        // gx = g · scale[c].
        let gx = TensorStorage(count: g.count)
        batchNormAffine(
          g.data, gx.pointer, planes: n * c, channels: c, planeSize: m, scale: scale,
          shift: [Float](repeating: 0, count: c))
        grads.append(Tensor(shape: shape, storage: gx))
      } else {
        grads.append(nil)
      }
      if let weight {
        if weight.requiresGrad, let xs = savedX {
          // gweight[c] = Σ g · (x − mean[c]) · invStd[c].
          var gw = [Float](repeating: 0, count: c)
          for ch in 0..<c {
            var s: Double = 0
            for ni in 0..<n {
              let off = (ni * c + ch) * m
              let (gp, xp, mu) = (g.data + off, UnsafePointer(xs.pointer + off), Double(mean[ch]))
              s += doubleSum(gp, xp, m) { $0 * ($1 - SIMD8(repeating: mu)) }
            }
            gw[ch] = Float(s * Double(invStd[ch]))
          }
          grads.append(Tensor(gw, shape: [c]))
        } else {
          grads.append(nil)
        }
      }
      if let bias {
        if bias.requiresGrad {
          var gb = [Float](repeating: 0, count: c)
          for ch in 0..<c {
            var s: Double = 0
            for ni in 0..<n { s += doubleSum(g.data + (ni * c + ch) * m, m) { $0 } }
            gb[ch] = Float(s)
          }
          grads.append(Tensor(gb, shape: [c]))
        } else {
          grads.append(nil)
        }
      }
      return grads
    }
  }
}

/// dst = src · scale[c] + shift[c] per plane of `planeSize` floats (plane p has channel p % channels).
func batchNormAffine(
  _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, planes: Int, channels: Int, planeSize m: Int,
  scale: [Float], shift: [Float]
) {
  scale.withUnsafeBufferPointer { sc in
    shift.withUnsafeBufferPointer { sh in
      let (scp, shp) = (sc.baseAddress!, sh.baseAddress!)
      parallelRanges(planes, minPerWorker: Swift.max(1, (1 << 16) / Swift.max(m, 1))) { range in
        for p in range {
          let (a, b) = (scp[p % channels], shp[p % channels])
          let (s, d) = (src + p * m, dst + p * m)
          for i in 0..<m { d[i] = s[i] * a + b }
        }
      }
    }
  }
}
