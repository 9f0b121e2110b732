// Bit masks for piecewise-linear activations: ReLU, LeakyReLU and ReLU6 backward need only
// which piece each input fell in, one bit per element instead of a float tensor. Keeping the
// bits instead of the input (or output) lets a tensor nothing else needs be freed after the
// forward pass (VGG's conv outputs, SPADE's modulated maps); gradients are bit for bit those
// of the float test, since the bit is that test, made in the forward pass.

/// One bit per element of a tensor, set where a test on the element held; its words live in
/// a `TensorStorage` (32 bits per float slot) so that the memory accounting counts them.
struct ActivationMask {
  let words: TensorStorage
  let count: Int

  /// Bits of `test(x[i])` for i in 0..<n.
  @inline(__always)
  init(_ x: UnsafePointer<Float>, _ n: Int, _ test: (Float) -> Bool) {
    count = n
    words = TensorStorage(count: (n + 31) / 32)
    let w = UnsafeMutableRawPointer(words.pointer).assumingMemoryBound(to: UInt32.self)
    var i = 0
    var k = 0
    while i < n {
      let end = Swift.min(i + 32, n)
      var bits: UInt32 = 0
      for j in i..<end where test(x[j]) { bits |= 1 << UInt32(j - i) }
      w[k] = bits
      k += 1
      i = end
    }
  }

  /// g[i] · (bit i ? on : off): the activation's input gradient (the multiply is kept, so
  /// −0, NaN and ±∞ in g come out as the float formula gives them).
  func chain(_ g: Tensor, on: Float, off: Float) -> Tensor {
    precondition(g.count == count, "activation mask of \(count) elements, gradient \(g.shape)")
    let out = TensorStorage(count: count)
    let (pg, po) = (g.data, out.pointer)
    let w = UnsafeRawPointer(words.pointer).assumingMemoryBound(to: UInt32.self)
    var i = 0
    var k = 0
    while i < count {
      let end = Swift.min(i + 32, count)
      let bits = w[k]
      for j in i..<end { po[j] = pg[j] * ((bits >> UInt32(j - i)) & 1 != 0 ? on : off) }
      k += 1
      i = end
    }
    return Tensor(shape: g.shape, storage: out)
  }
}
