// Batched 2×2 matrix ops for landmark covariances [..., 2, 2]: inverse and Cholesky.

extension Tensor {
  private func check2x2(_ op: String) -> Int {
    precondition(rank >= 2 && shape[rank - 1] == 2 && shape[rank - 2] == 2, "\(op): shape \(shape) is not [..., 2, 2]")
    return count / 4
  }

  /// Inverse of each 2×2 matrix.
  public func inverse2x2() -> Tensor {
    let batch = check2x2("inverse2x2")
    let out = TensorStorage(count: count)
    for i in 0..<batch {
      let m = data + 4 * i
      let o = out.pointer + 4 * i
      let inv = 1 / (m[0] * m[3] - m[1] * m[2])
      o[0] = m[3] * inv
      o[1] = -m[1] * inv
      o[2] = -m[2] * inv
      o[3] = m[0] * inv
    }
    return Tensor.result("inverse2x2", shape: shape, storage: out, inputs: [self]) {
      [shape] g in
      // gA = −A⁻ᵀ · G · A⁻ᵀ
      let gx = TensorStorage(count: g.count)
      for i in 0..<batch {
        let b = out.pointer + 4 * i  // A⁻¹ = [[b0, b1], [b2, b3]]; A⁻ᵀ = [[b0, b2], [b1, b3]]
        let gg = g.data + 4 * i
        // T = A⁻ᵀ · G
        let t0 = b[0] * gg[0] + b[2] * gg[2]
        let t1 = b[0] * gg[1] + b[2] * gg[3]
        let t2 = b[1] * gg[0] + b[3] * gg[2]
        let t3 = b[1] * gg[1] + b[3] * gg[3]
        let o = gx.pointer + 4 * i
        o[0] = -(t0 * b[0] + t1 * b[1])
        o[1] = -(t0 * b[2] + t1 * b[3])
        o[2] = -(t2 * b[0] + t3 * b[1])
        o[3] = -(t2 * b[2] + t3 * b[3])
      }
      return [Tensor(shape: shape, storage: gx)]
    }
  }

  /// Lower Cholesky factor L (positive diagonal) of each symmetric positive-definite 2×2
  /// matrix, reading its lower triangle. The gradient is symmetrized, as PyTorch's is.
  public func cholesky2x2() -> Tensor {
    let batch = check2x2("cholesky2x2")
    let out = TensorStorage(count: count)
    for i in 0..<batch {
      let m = data + 4 * i
      let o = out.pointer + 4 * i
      let l11 = m[0].squareRoot()
      let l21 = m[2] / l11
      o[0] = l11
      o[1] = 0
      o[2] = l21
      o[3] = (m[3] - l21 * l21).squareRoot()
    }
    return Tensor.result("cholesky2x2", shape: shape, storage: out, inputs: [self]) {
      [shape] g in
      let gx = TensorStorage(count: g.count)
      for i in 0..<batch {
        let l = out.pointer + 4 * i
        let gg = g.data + 4 * i
        let (l11, l21, l22) = (l[0], l[2], l[3])
        // Through l22 = sqrt(d − l21²), l21 = c / l11, l11 = sqrt(a).
        let gl21 = gg[2] - gg[3] * l21 / l22
        let gd = gg[3] / (2 * l22)
        let gc = gl21 / l11
        let gl11 = gg[0] - gl21 * l21 / l11
        let ga = gl11 / (2 * l11)
        let o = gx.pointer + 4 * i
        o[0] = ga
        o[1] = gc / 2
        o[2] = gc / 2
        o[3] = gd
      }
      return [Tensor(shape: shape, storage: gx)]
    }
  }
}
