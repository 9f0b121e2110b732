// Matrix products: batched matmul and linear (x Wᵀ + b), forward and backward.

extension Tensor {
  /// [M,K]·[K,N] → [M,N], or batched [B,M,K]·[B,K,N] → [B,M,N].
  public func matmul(_ other: Tensor) -> Tensor {
    precondition(
      (rank == 2 && other.rank == 2) || (rank == 3 && other.rank == 3 && shape[0] == other.shape[0]),
      "matmul: shapes \(shape) and \(other.shape) (need [M,K]·[K,N] or [B,M,K]·[B,K,N])")
    precondition(shape[rank - 1] == other.shape[other.rank - 2], "matmul: shapes \(shape) and \(other.shape) do not chain")
    let batch = rank == 3 ? shape[0] : 1
    let m = shape[rank - 2]
    let k = shape[rank - 1]
    let n = other.shape[other.rank - 1]
    let outShape = rank == 3 ? [batch, m, n] : [m, n]
    let out = TensorStorage(count: batch * m * n)
    for bi in 0..<batch {
      sgemm(
        transA: false, transB: false, m: m, n: n, k: k, a: data + bi * m * k, lda: k,
        b: other.data + bi * k * n, ldb: n, beta: 0, c: out.pointer + bi * m * n, ldc: n)
    }
    let a = self
    let b = other
    return Tensor.result("matmul", shape: outShape, storage: out, inputs: [a, b]) {
      g in
      var ga: Tensor? = nil
      var gb: Tensor? = nil
      if a.requiresGrad {  // gA = g · Bᵀ
        let s = TensorStorage(count: a.count)
        for bi in 0..<batch {
          sgemm(
            transA: false, transB: true, m: m, n: k, k: n, a: g.data + bi * m * n, lda: n,
            b: b.data + bi * k * n, ldb: n, beta: 0, c: s.pointer + bi * m * k, ldc: k)
        }
        ga = Tensor(shape: a.shape, storage: s)
      }
      if b.requiresGrad {  // gB = Aᵀ · g
        let s = TensorStorage(count: b.count)
        for bi in 0..<batch {
          sgemm(
            transA: true, transB: false, m: k, n: n, k: m, a: a.data + bi * m * k, lda: k,
            b: g.data + bi * m * n, ldb: n, beta: 0, c: s.pointer + bi * k * n, ldc: n)
        }
        gb = Tensor(shape: b.shape, storage: s)
      }
      return [ga, gb]
    }
  }

  /// x [N, in] · weightᵀ [in, out] + bias [out] → [N, out] (PyTorch's nn.Linear).
  public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
      "linear: input \(x.shape) and weight \(weight.shape) (need [N,in] and [out,in])")
    let rows = x.shape[0]
    let inF = x.shape[1]
    let outF = weight.shape[0]
    if let bias { precondition(bias.shape == [outF], "linear: bias \(bias.shape) for \(outF) outputs") }
    let out = TensorStorage(count: rows * outF)
    if let bias {
      for r in 0..<rows { (out.pointer + r * outF).update(from: bias.data, count: outF) }
    }
    sgemm(
      transA: false, transB: true, m: rows, n: outF, k: inF, a: x.data, lda: inF, b: weight.data, ldb: inF,
      beta: bias == nil ? 0 : 1, c: out.pointer, ldc: outF)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return result("linear", shape: [rows, outF], storage: out, inputs: inputs) {
      g in
      var grads: [Tensor?] = []
      if x.requiresGrad {  // gx = g · W
        let s = TensorStorage(count: x.count)
        sgemm(
          transA: false, transB: false, m: rows, n: inF, k: outF, a: g.data, lda: outF, b: weight.data,
          ldb: inF, beta: 0, c: s.pointer, ldc: inF)
        grads.append(Tensor(shape: x.shape, storage: s))
      } else {
        grads.append(nil)
      }
      if weight.requiresGrad {  // gW = gᵀ · x
        let s = TensorStorage(count: weight.count)
        sgemm(
          transA: true, transB: false, m: outF, n: inF, k: rows, a: g.data, lda: outF, b: x.data, ldb: inF,
          beta: 0, c: s.pointer, ldc: inF)
        grads.append(Tensor(shape: weight.shape, storage: s))
      } else {
        grads.append(nil)
      }
      if bias != nil { grads.append(g.sum(axes: [0])) }
      return grads
    }
  }
}
