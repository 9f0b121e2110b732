// Elementwise ops: broadcasting add/sub/mul/div and the unary functions, each forward with
// its backward right below it.
import Foundation

// MARK: - Broadcasting binary ops

extension Tensor {
  /// out[i] = f(a[ia], b[ib]) over the broadcast shape of a and b.
  @inline(__always)
  static func broadcastBinary(
    _ op: String, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float
  ) -> (shape: [Int], storage: TensorStorage) {
    guard let shape = broadcastShape(a.shape, b.shape) else {
      preconditionFailure("\(op): shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let out = TensorStorage(count: Tensor.elementCount(shape))
    let pa = a.data
    let pb = b.data
    let po = out.pointer
    if a.shape == b.shape {
      for i in 0..<out.count { po[i] = f(pa[i], pb[i]) }
    } else if b.count == 1 {
      let v = pb[0]
      for i in 0..<out.count { po[i] = f(pa[i], v) }
    } else {
      stridedLoop3(
        shape: shape, Tensor.strides(of: shape), broadcastStrides(a.shape, to: shape),
        broadcastStrides(b.shape, to: shape)
      ) { oo, oa, ob, n, so, sa, sb in
        // Contiguous inner runs with one operand held constant vectorize; the rest is general.
        if so == 1 && sa == 1 && sb == 0 {
          let v = pb[ob]
          for k in 0..<n { po[oo + k] = f(pa[oa + k], v) }
        } else if so == 1 && sa == 0 && sb == 1 {
          let v = pa[oa]
          for k in 0..<n { po[oo + k] = f(v, pb[ob + k]) }
        } else if so == 1 && sa == 1 && sb == 1 {
          for k in 0..<n { po[oo + k] = f(pa[oa + k], pb[ob + k]) }
        } else {
          for k in 0..<n { po[oo + k * so] = f(pa[oa + k * sa], pb[ob + k * sb]) }
        }
      }
    }
    return (shape, out)
  }

  /// Sums `self` down to `target` (the inverse of broadcasting `target` up to `self.shape`).
  public func sum(toShape target: [Int]) -> Tensor {
    if target == shape { return self }
    precondition(
      broadcastShape(target, shape) == shape, "sum(toShape:): \(shape) does not reduce to \(target)")
    let out = TensorStorage(zeros: Tensor.elementCount(target))
    let po = out.pointer
    let px = data
    stridedLoop3(
      shape: shape, Tensor.strides(of: shape), broadcastStrides(target, to: shape),
      [Int](repeating: 0, count: shape.count)
    ) { ox, oo, _, n, sx, so, _ in
      if so == 0 && sx == 1 {
        po[oo] += sumContiguous(px + ox, n)
      } else if so == 0 {
        var acc: Float = 0
        for k in 0..<n { acc += px[ox + k * sx] }
        po[oo] += acc
      } else if so == 1 && sx == 1 {
        for k in 0..<n { po[oo + k] += px[ox + k] }
      } else {
        for k in 0..<n { po[oo + k * so] += px[ox + k * sx] }
      }
    }
    let result = Tensor.result("sum(toShape:)", shape: target, storage: out, inputs: [self]) {
      [shape] g in [g.broadcast(to: shape)]
    }
    return result
  }

  /// `self` repeated along broadcast dimensions to `target`.
  public func broadcast(to target: [Int]) -> Tensor {
    if target == shape { return self }
    precondition(broadcastShape(shape, target) == target, "broadcast: \(shape) does not broadcast to \(target)")
    let out = TensorStorage(count: Tensor.elementCount(target))
    let po = out.pointer
    let px = data
    stridedLoop3(
      shape: target, Tensor.strides(of: target), broadcastStrides(shape, to: target),
      [Int](repeating: 0, count: target.count)
    ) { oo, ox, _, n, so, sx, _ in
      if so == 1 && sx == 0 {
        (po + oo).update(repeating: px[ox], count: n)
      } else {
        for k in 0..<n { po[oo + k * so] = px[ox + k * sx] }
      }
    }
    return Tensor.result("broadcast", shape: target, storage: out, inputs: [self]) {
      [shape] g in [g.sum(toShape: shape)]
    }
  }

  public static func + (a: Tensor, b: Tensor) -> Tensor {
    let (shape, s) = broadcastBinary("add", a, b, +)
    return result("add", shape: shape, storage: s, inputs: [a, b]) {
      [as_ = a.shape, bs = b.shape] g in [g.sum(toShape: as_), g.sum(toShape: bs)]
    }
  }

  public static func - (a: Tensor, b: Tensor) -> Tensor {
    let (shape, s) = broadcastBinary("sub", a, b, -)
    return result("sub", shape: shape, storage: s, inputs: [a, b]) {
      [as_ = a.shape, bs = b.shape] g in [g.sum(toShape: as_), (-g).sum(toShape: bs)]
    }
  }

  public static func * (a: Tensor, b: Tensor) -> Tensor {
    let (shape, s) = broadcastBinary("mul", a, b, *)
    return result("mul", shape: shape, storage: s, inputs: [a, b]) {
      g in
      [
        a.requiresGrad ? (g * b.detached()).sum(toShape: a.shape) : nil,
        b.requiresGrad ? (g * a.detached()).sum(toShape: b.shape) : nil,
      ]
    }
  }

  public static func / (a: Tensor, b: Tensor) -> Tensor {
    let (shape, s) = broadcastBinary("div", a, b, /)
    return result("div", shape: shape, storage: s, inputs: [a, b]) {
      g in
      let bd = b.detached()
      return [
        a.requiresGrad ? (g / bd).sum(toShape: a.shape) : nil,
        b.requiresGrad ? (-(g * a.detached()) / (bd * bd)).sum(toShape: b.shape) : nil,
      ]
    }
  }

  public static prefix func - (x: Tensor) -> Tensor { x.scaled(-1) }

  public static func + (a: Tensor, b: Float) -> Tensor { a.shifted(b) }
  public static func - (a: Tensor, b: Float) -> Tensor { a.shifted(-b) }
  public static func * (a: Tensor, b: Float) -> Tensor { a.scaled(b) }
  public static func / (a: Tensor, b: Float) -> Tensor { a.scaled(1 / b) }
  public static func * (a: Float, b: Tensor) -> Tensor { b.scaled(a) }
  public static func + (a: Float, b: Tensor) -> Tensor { b.shifted(a) }
  public static func - (a: Float, b: Tensor) -> Tensor { b.scaled(-1).shifted(a) }

  /// x * c.
  public func scaled(_ c: Float) -> Tensor {
    let out = mapValues { $0 * c }
    return Tensor.result("scale", shape: shape, storage: out, inputs: [self]) { g in [g.scaled(c)] }
  }

  /// x + c.
  public func shifted(_ c: Float) -> Tensor {
    let out = mapValues { $0 + c }
    return Tensor.result("shift", shape: shape, storage: out, inputs: [self]) { g in [g] }
  }
}

/// Σ p[0..<n], eight partial sums wide (vectorizes; float addition is not reassociated otherwise).
@inline(__always)
func sumContiguous(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
  var acc = SIMD8<Float>(repeating: 0)
  var k = 0
  while k + 8 <= n {
    acc += UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self)
    k += 8
  }
  var tail: Float = 0
  while k < n {
    tail += p[k]
    k += 1
  }
  return acc.sum() + tail
}

// MARK: - Unary ops

extension Tensor {
  /// New storage with f applied to every value.
  @inline(__always)
  func mapValues(_ f: (Float) -> Float) -> TensorStorage {
    let out = TensorStorage(count: count)
    let px = data
    let po = out.pointer
    // NOTE: serial on purpose: inside a concurrentPerform closure `f` is no longer inlined
    // and an indirect call per element costs more than the second core gains.
    for i in 0..<count { po[i] = f(px[i]) }
    return out
  }

  /// g * d, where d is computed per element from (input, output).
  @inline(__always)
  static func chain(
    _ g: Tensor, _ x: TensorStorage, _ y: TensorStorage, _ d: (Float, Float) -> Float
  ) -> Tensor {
    let out = TensorStorage(count: g.count)
    let pg = g.data
    let px = x.pointer
    let py = y.pointer
    let po = out.pointer
    for i in 0..<g.count { po[i] = pg[i] * d(px[i], py[i]) }
    return Tensor(shape: g.shape, storage: out)
  }

  public func relu() -> Tensor {
    let y = mapValues { $0 > 0 ? $0 : 0 }
    // Backward keeps one bit per element (ActivationMask.swift), not x and y.
    let mask = Tensor.needsGrad([self]) ? ActivationMask(data, count) { $0 > 0 } : nil
    return Tensor.result("relu", shape: shape, storage: y, inputs: [self]) { g in [mask!.chain(g, on: 1, off: 0)] }
  }

  /// min(max(x, 0), 6). Gradient 1 strictly inside (0, 6), else 0 (PyTorch's hardtanh backward).
  public func relu6() -> Tensor {
    let y = mapValues { Swift.min(Swift.max($0, 0), 6) }
    let mask = Tensor.needsGrad([self]) ? ActivationMask(data, count) { $0 > 0 && $0 < 6 } : nil
    return Tensor.result("relu6", shape: shape, storage: y, inputs: [self]) { g in [mask!.chain(g, on: 1, off: 0)] }
  }

  public func leakyRelu(_ slope: Float = 0.2) -> Tensor {
    let y = mapValues { $0 > 0 ? $0 : $0 * slope }
    let mask = Tensor.needsGrad([self]) ? ActivationMask(data, count) { $0 > 0 } : nil
    return Tensor.result("leaky_relu", shape: shape, storage: y, inputs: [self]) { g in [mask!.chain(g, on: 1, off: slope)] }
  }

  public func sigmoid() -> Tensor {
    let y = mapValues { 1 / (1 + expf(-$0)) }
    return Tensor.result("sigmoid", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y) { _, yi in yi * (1 - yi) }]
    }
  }

  public func tanh() -> Tensor {
    let y = mapValues { tanhf($0) }
    return Tensor.result("tanh", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y) { _, yi in 1 - yi * yi }]
    }
  }

  public func exp() -> Tensor {
    let y = mapValues { expf($0) }
    return Tensor.result("exp", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y) { _, yi in yi }]
    }
  }

  public func log() -> Tensor {
    let y = mapValues { logf($0) }
    return Tensor.result("log", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y) { xi, _ in 1 / xi }]
    }
  }

  public func sqrt() -> Tensor {
    let y = mapValues { sqrtf($0) }
    return Tensor.result("sqrt", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y) { _, yi in 0.5 / yi }]
    }
  }

  /// x^p for a constant exponent.
  public func pow(_ p: Float) -> Tensor {
    let y: TensorStorage
    if p == 2 { y = mapValues { $0 * $0 } } else { y = mapValues { powf($0, p) } }
    return Tensor.result("pow", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in
      [p == 2 ? Tensor.chain(g, x, y) { xi, _ in 2 * xi } : Tensor.chain(g, x, y) { xi, _ in p * powf(xi, p - 1) }]
    }
  }

  public func abs() -> Tensor {
    let y = mapValues { Swift.abs($0) }
    return Tensor.result("abs", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y) { xi, _ in xi > 0 ? 1 : (xi < 0 ? -1 : 0) }]
    }
  }
}
