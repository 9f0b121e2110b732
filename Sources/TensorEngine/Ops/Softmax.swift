// Softmax over one axis (max-subtracted exp, divided by the sum), forward and backward.
import Foundation

extension Tensor {
  public func softmax(axis: Int) -> Tensor {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "softmax: axis \(axis) out of range for \(shape)")
    let outer = shape[..<a].reduce(1, *)
    let len = shape[a]
    let inner = shape[(a + 1)...].reduce(1, *)
    let out = TensorStorage(count: count)
    let px = data
    let py = out.pointer
    // One row per (outer, inner) index; rows are independent, so splitting them over the
    // workers keeps every sum's order (the same bits at any thread count).
    let rowGrain = Swift.max(1, elementwiseGrain / Swift.max(len, 1))
    parallelRanges(outer * inner, minPerWorker: rowGrain) { rows in
      for row in rows {
        let (o, i) = row.quotientAndRemainder(dividingBy: inner)
        let base = o * len * inner + i
        var m = -Float.infinity
        for k in 0..<len { m = Swift.max(m, px[base + k * inner]) }
        var s: Float = 0
        for k in 0..<len {
          let e = expf(px[base + k * inner] - m)
          py[base + k * inner] = e
          s += e
        }
        let inv = 1 / s
        for k in 0..<len { py[base + k * inner] *= inv }
      }
    }
    return Tensor.result("softmax", shape: shape, storage: out, inputs: [self]) {
      [shape, out] g in
      // The closure owns the output's storage: nothing else need keep it alive.
      let py = out.pointer
      // gx = y ⊙ (g − Σ_k g·y)
      let gx = TensorStorage(count: g.count)
      let pg = g.data
      parallelRanges(outer * inner, minPerWorker: rowGrain) { rows in
        for row in rows {
          let (o, i) = row.quotientAndRemainder(dividingBy: inner)
          let base = o * len * inner + i
          var dot: Float = 0
          for k in 0..<len { dot += pg[base + k * inner] * py[base + k * inner] }
          for k in 0..<len {
            let j = base + k * inner
            gx.pointer[j] = py[j] * (pg[j] - dot)
          }
        }
      }
      return [Tensor(shape: shape, storage: gx)]
    }
  }
}
