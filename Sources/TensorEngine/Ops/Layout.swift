// Layout ops: reshape, permute, concat, split, slice.

extension Tensor {
  /// The same values under another shape (shares storage). One dimension may be -1.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var target = newShape
    if let i = newShape.firstIndex(of: -1) {
      let known = newShape.filter { $0 != -1 }.reduce(1, *)
      precondition(known > 0 && count % known == 0, "reshape: \(shape) cannot become \(newShape)")
      target[i] = count / known
    }
    precondition(Tensor.elementCount(target) == count, "reshape: \(shape) cannot become \(newShape)")
    return Tensor.result("reshape", shape: target, storage: storage, inputs: [self]) {
      [shape] g in [g.reshaped(shape)]
    }
  }

  /// Dimensions reordered: out.shape[i] = shape[perm[i]].
  public func permuted(_ perm: [Int]) -> Tensor {
    precondition(perm.sorted() == Array(0..<rank), "permute: \(perm) is not a permutation of \(rank) axes")
    let outShape = perm.map { shape[$0] }
    let inStrides = Tensor.strides(of: shape)
    let out = TensorStorage(count: count)
    let po = out.pointer
    let px = data
    stridedLoop3(
      shape: outShape, Tensor.strides(of: outShape), perm.map { inStrides[$0] }, [Int](repeating: 0, count: rank)
    ) { oo, ox, _, n, so, sx, _ in
      for k in 0..<n { po[oo + k * so] = px[ox + k * sx] }
    }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, p) in perm.enumerated() { inverse[p] = i }
    return Tensor.result("permute", shape: outShape, storage: out, inputs: [self]) {
      g in [g.permuted(inverse)]
    }
  }

  /// Matrix transpose of the last two axes.
  public func transposedLast2() -> Tensor {
    precondition(rank >= 2, "transpose: needs rank ≥ 2, shape is \(shape)")
    var perm = Array(0..<rank)
    perm.swapAt(rank - 1, rank - 2)
    return permuted(perm)
  }

  /// Elements [start, end) along `axis`.
  public func slice(axis: Int, start: Int, end: Int) -> Tensor {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "slice: axis \(axis) out of range for \(shape)")
    precondition(0 <= start && start <= end && end <= shape[a], "slice: [\(start), \(end)) out of 0..<\(shape[a])")
    let outer = shape[..<a].reduce(1, *)
    let inner = shape[(a + 1)...].reduce(1, *)
    var outShape = shape
    outShape[a] = end - start
    let out = TensorStorage(count: Tensor.elementCount(outShape))
    let block = (end - start) * inner
    for o in 0..<outer {
      (out.pointer + o * block).update(from: data + (o * shape[a] + start) * inner, count: block)
    }
    return Tensor.result("slice", shape: outShape, storage: out, inputs: [self]) {
      [shape] g in
      let gx = Tensor(zeros: shape)
      for o in 0..<outer {
        (gx.data + (o * shape[a] + start) * inner).update(from: g.data + o * block, count: block)
      }
      return [gx]
    }
  }

  /// Concatenation along `axis`; all other dimensions must agree.
  public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
    precondition(!parts.isEmpty, "concat: no tensors")
    let first = parts[0]
    let a = axis < 0 ? axis + first.rank : axis
    for p in parts {
      precondition(
        p.rank == first.rank && (0..<p.rank).allSatisfy { $0 == a || p.shape[$0] == first.shape[$0] },
        "concat: shape \(p.shape) does not match \(first.shape) outside axis \(a)")
    }
    let outer = first.shape[..<a].reduce(1, *)
    let inner = first.shape[(a + 1)...].reduce(1, *)
    let sizes = parts.map { $0.shape[a] }
    let total = sizes.reduce(0, +)
    var outShape = first.shape
    outShape[a] = total
    let out = TensorStorage(count: Tensor.elementCount(outShape))
    var offset = 0
    for (p, size) in zip(parts, sizes) {
      for o in 0..<outer {
        (out.pointer + (o * total + offset) * inner).update(from: p.data + o * size * inner, count: size * inner)
      }
      offset += size
    }
    return result("concat", shape: outShape, storage: out, inputs: parts) {
      g in
      var grads: [Tensor?] = []
      var start = 0
      for (p, size) in zip(parts, sizes) {
        grads.append(p.requiresGrad ? g.slice(axis: a, start: start, end: start + size) : nil)
        start += size
      }
      return grads
    }
  }

  /// Pieces of the given sizes along `axis` (they must add up to the dimension).
  public func split(sizes: [Int], axis: Int) -> [Tensor] {
    let a = axis < 0 ? axis + rank : axis
    precondition(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) do not add up to \(shape[a]) (shape \(shape))")
    var start = 0
    return sizes.map { size in
      defer { start += size }
      return slice(axis: a, start: start, end: start + size)
    }
  }
}
