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
      let mean = doubleSum(src, m) { $0 } / Double(m)
      let v = doubleSum(src, m) { ($0 - mean) * ($0 - mean) }
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
        let sg = doubleSum(gp, m) { $0 }
        let sgy = doubleSum(gp, yp, m) { $0 * $1 }
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

/// Σ f(p[i]) over n floats, accumulated in double, 8 lanes wide (so it vectorizes).
@inline(__always)
func doubleSum(_ p: UnsafePointer<Float>, _ n: Int, _ f: (SIMD8<Double>) -> SIMD8<Double>) -> Double {
  var acc = SIMD8<Double>(repeating: 0)
  var i = 0
  while i + 8 <= n {
    acc += f(SIMD8<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)))
    i += 8
  }
  var s = acc.sum()
  while i < n {
    s += f(SIMD8<Double>(repeating: Double(p[i])))[0]
    i += 1
  }
  return s
}

/// Σ f(a[i], b[i]) over n float pairs, accumulated in double, 8 lanes wide.
@inline(__always)
func doubleSum(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int, _ f: (SIMD8<Double>, SIMD8<Double>) -> SIMD8<Double>
) -> Double {
  var acc = SIMD8<Double>(repeating: 0)
  var i = 0
  while i + 8 <= n {
    acc += f(
      SIMD8<Double>(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)),
      SIMD8<Double>(UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)))
    i += 8
  }
  var s = acc.sum()
  while i < n {
    s += f(SIMD8<Double>(repeating: Double(a[i])), SIMD8<Double>(repeating: Double(b[i])))[0]
    i += 1
  }
  return s
}
