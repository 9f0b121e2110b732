// Instance normalization without affine parameters (biased variance), forward and backward.

extension Tensor {
  /// Per (n, c) plane of [N,C,H,W]: (x − mean) / sqrt(var + eps), var biased.
  public func instanceNorm(eps: Float = 1e-5) -> Tensor {
    precondition(rank == 4, "instance_norm: input \(shape) is not 4-d")
    let planes = shape[0] * shape[1]
    let m = shape[2] * shape[3]
    let out = TensorStorage(count: count)
    let invStdStorage = TensorStorage(count: planes)
    let invStd = invStdStorage.pointer
    parallelRanges(planes, minPerWorker: Swift.max(1, (1 << 15) / Swift.max(m, 1))) { range in for p in range {
      let src = data + p * m
      let dst = out.pointer + p * m
      // Two passes in double: a large mean offset must not cost precision.
      var s: Double = 0
      for i in 0..<m { s += Double(src[i]) }
      let mean = s / Double(m)
      var v: Double = 0
      for i in 0..<m {
        let d = Double(src[i]) - mean
        v += d * d
      }
      let inv = 1 / (v / Double(m) + Double(eps)).squareRoot()
      invStd[p] = Float(inv)
      let meanF = Float(mean)
      let invF = Float(inv)
      for i in 0..<m { dst[i] = (src[i] - meanF) * invF }
    } }
    return Tensor.result("instance_norm", shape: shape, storage: out, inputs: [self]) {
      [shape] g in
      _ = invStdStorage  // keeps invStd alive for backward
      // gx = invStd · (g − mean(g) − y · mean(g·y)), y the normalized output.
      let gx = TensorStorage(count: g.count)
      parallelRanges(planes, minPerWorker: Swift.max(1, (1 << 15) / Swift.max(m, 1))) { range in for p in range {
        let gp = g.data + p * m
        let yp = out.pointer + p * m
        var sg: Double = 0
        var sgy: Double = 0
        for i in 0..<m {
          sg += Double(gp[i])
          sgy += Double(gp[i]) * Double(yp[i])
        }
        let mg = Float(sg / Double(m))
        let mgy = Float(sgy / Double(m))
        let inv = invStd[p]
        let dst = gx.pointer + p * m
        for i in 0..<m { dst[i] = inv * (gp[i] - mg - yp[i] * mgy) }
      } }
      return [Tensor(shape: shape, storage: gx)]
    }
  }
}
