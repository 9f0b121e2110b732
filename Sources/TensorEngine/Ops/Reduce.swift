// Reductions over axes: sum, mean, max; forward and backward side by side.

extension Tensor {
  /// Normalizes possibly negative axes; nil means all axes.
  func resolveAxes(_ axes: [Int]?, _ op: String) -> [Int] {
    guard let axes else { return Array(0..<rank) }
    return axes.map { a in
      let r = a < 0 ? a + rank : a
      precondition(r >= 0 && r < rank, "\(op): axis \(a) out of range for shape \(shape)")
      return r
    }
  }

  /// Shape with reduced axes set to 1.
  func keptShape(_ axes: [Int]) -> [Int] {
    var s = shape
    for a in axes { s[a] = 1 }
    return s
  }

  /// Sum over `axes` (all when nil).
  public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = resolveAxes(axes, "sum")
    let kept = keptShape(ax)
    let reduced = withNoGrad { sum(toShape: kept) }
    let outShape = keepDims ? kept : kept.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
    return Tensor.result("sum", shape: outShape, storage: reduced.storage, inputs: [self]) {
      [shape] g in [g.reshaped(kept).broadcast(to: shape)]
    }
  }

  /// Mean over `axes` (all when nil).
  public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = resolveAxes(axes, "mean")
    let n = ax.reduce(1) { $0 * shape[$1] }
    return sum(axes: ax, keepDims: keepDims).scaled(1 / Float(n))
  }

  /// Maximum over `axes` (all when nil); the gradient goes to the first maximal element.
  public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = resolveAxes(axes, "max")
    let kept = keptShape(ax)
    let outCount = Tensor.elementCount(kept)
    let out = TensorStorage(count: outCount)
    let po = out.pointer
    po.initialize(repeating: -.infinity, count: outCount)
    var argmax = [Int](repeating: -1, count: outCount)
    let px = data
    argmax.withUnsafeMutableBufferPointer { am in
      stridedLoop3(
        shape: shape, Tensor.strides(of: shape), broadcastStrides(kept, to: shape), Tensor.strides(of: shape)
      ) { ox, oo, oi, n, sx, so, si in
        for k in 0..<n {
          let v = px[ox + k * sx]
          let o = oo + k * so
          if v > po[o] || am[o] < 0 {
            po[o] = v
            am[o] = oi + k * si
          }
        }
      }
    }
    let outShape = keepDims ? kept : kept.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
    return Tensor.result("max", shape: outShape, storage: out, inputs: [self]) {
      [shape] g in
      let gx = Tensor(zeros: shape)
      for (o, i) in argmax.enumerated() { gx.data[i] += g.data[o] }
      return [gx]
    }
  }
}
