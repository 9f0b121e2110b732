// Elementwise ops: broadcasting add/sub/mul/div and the unary functions, each forward with
// its backward right below it.
import Foundation

// MARK: - Broadcasting binary ops

extension Tensor {
  /// out[i] = f(a[ia], b[ib]) over the broadcast shape of a and b. Same shapes and a scalar
  /// operand split into contiguous ranges over the workers (each element computed alone, so
  /// the bits do not depend on the thread count).
  @inline(__always)
  static func broadcastBinary<F: BinaryKernel>(
    _ op: String, _ a: Tensor, _ b: Tensor, _ f: F
  ) -> (shape: [Int], storage: TensorStorage) {
    guard let shape = broadcastShape(a.shape, b.shape) else {
      preconditionFailure("\(op): shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let out = TensorStorage(count: Tensor.elementCount(shape))
    let pa = a.data
    let pb = b.data
    let po = out.pointer
    if a.shape == b.shape {
      parallelRanges(out.count, minPerWorker: elementwiseGrain) { r in for i in r { po[i] = f(pa[i], pb[i]) } }
    } else if b.count == 1 {
      let v = pb[0]
      parallelRanges(out.count, minPerWorker: elementwiseGrain) { r in for i in r { po[i] = f(pa[i], v) } }
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
    let (shape, s) = broadcastBinary("add", a, b, Add())
    return result("add", shape: shape, storage: s, inputs: [a, b]) {
      [as_ = a.shape, bs = b.shape] g in [g.sum(toShape: as_), g.sum(toShape: bs)]
    }
  }

  public static func - (a: Tensor, b: Tensor) -> Tensor {
    let (shape, s) = broadcastBinary("sub", a, b, Sub())
    return result("sub", shape: shape, storage: s, inputs: [a, b]) {
      [as_ = a.shape, bs = b.shape] g in [g.sum(toShape: as_), (-g).sum(toShape: bs)]
    }
  }

  public static func * (a: Tensor, b: Tensor) -> Tensor {
    let (shape, s) = broadcastBinary("mul", a, b, Mul())
    return result("mul", shape: shape, storage: s, inputs: [a, b]) {
      g in
      [
        a.requiresGrad ? (g * b.detached()).sum(toShape: a.shape) : nil,
        b.requiresGrad ? (g * a.detached()).sum(toShape: b.shape) : nil,
      ]
    }
  }

  public static func / (a: Tensor, b: Tensor) -> Tensor {
    let (shape, s) = broadcastBinary("div", a, b, Div())
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
    let out = mapValues(Scale(c: c))
    return Tensor.result("scale", shape: shape, storage: out, inputs: [self]) { g in [g.scaled(c)] }
  }

  /// x + c.
  public func shifted(_ c: Float) -> Tensor {
    let out = mapValues(Shift(c: c))
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
  /// New storage with f applied to every value, in contiguous ranges over the workers.
  // NOTE: f is a struct type, not a closure: the loop then specializes inside
  // concurrentPerform's closure (a closure `f` there is an indirect call per element, which
  // costs more than the second core gains).
  @inline(__always)
  func mapValues<F: UnaryKernel>(_ f: F) -> TensorStorage {
    let out = TensorStorage(count: count)
    let px = data
    let po = out.pointer
    parallelRanges(count, minPerWorker: elementwiseGrain) { r in for i in r { po[i] = f(px[i]) } }
    return out
  }

  /// g * d, where d is computed per element from (input, output), split like `mapValues`.
  @inline(__always)
  static func chain<D: GradientKernel>(
    _ g: Tensor, _ x: TensorStorage, _ y: TensorStorage, _ d: D
  ) -> Tensor {
    let out = TensorStorage(count: g.count)
    let pg = g.data
    let px = x.pointer
    let py = y.pointer
    let po = out.pointer
    parallelRanges(g.count, minPerWorker: elementwiseGrain) { r in for i in r { po[i] = pg[i] * d(px[i], py[i]) } }
    return Tensor(shape: g.shape, storage: out)
  }

  public func relu() -> Tensor {
    let y = mapValues(ReLU())
    // Backward keeps one bit per element (ActivationMask.swift), not x and y.
    let mask = Tensor.needsGrad([self]) ? ActivationMask(data, count) { $0 > 0 } : nil
    return Tensor.result("relu", shape: shape, storage: y, inputs: [self]) { g in [mask!.chain(g, on: 1, off: 0)] }
  }

  /// min(max(x, 0), 6). Gradient 1 strictly inside (0, 6), else 0 (PyTorch's hardtanh backward).
  public func relu6() -> Tensor {
    let y = mapValues(ReLU6())
    let mask = Tensor.needsGrad([self]) ? ActivationMask(data, count) { $0 > 0 && $0 < 6 } : nil
    return Tensor.result("relu6", shape: shape, storage: y, inputs: [self]) { g in [mask!.chain(g, on: 1, off: 0)] }
  }

  public func leakyRelu(_ slope: Float = 0.2) -> Tensor {
    let y = mapValues(LeakyReLU(slope: slope))
    let mask = Tensor.needsGrad([self]) ? ActivationMask(data, count) { $0 > 0 } : nil
    return Tensor.result("leaky_relu", shape: shape, storage: y, inputs: [self]) { g in [mask!.chain(g, on: 1, off: slope)] }
  }

  public func sigmoid() -> Tensor {
    let y = mapValues(Sigmoid())
    return Tensor.result("sigmoid", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y, SigmoidGradient())]
    }
  }

  public func tanh() -> Tensor {
    let y = mapValues(Tanh())
    return Tensor.result("tanh", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y, TanhGradient())]
    }
  }

  public func exp() -> Tensor {
    let y = mapValues(Exp())
    return Tensor.result("exp", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y, ExpGradient())]
    }
  }

  public func log() -> Tensor {
    let y = mapValues(Log())
    return Tensor.result("log", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y, LogGradient())]
    }
  }

  public func sqrt() -> Tensor {
    let y = mapValues(Sqrt())
    return Tensor.result("sqrt", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y, SqrtGradient())]
    }
  }

  /// x^p for a constant exponent.
  public func pow(_ p: Float) -> Tensor {
    let y: TensorStorage
    if p == 2 { y = mapValues(Square()) } else { y = mapValues(Power(p: p)) }
    return Tensor.result("pow", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in
      [p == 2 ? Tensor.chain(g, x, y, SquareGradient()) : Tensor.chain(g, x, y, PowerGradient(p: p))]
    }
  }

  public func abs() -> Tensor {
    let y = mapValues(Abs())
    return Tensor.result("abs", shape: shape, storage: y, inputs: [self]) {
      [x = storage] g in [Tensor.chain(g, x, y, AbsGradient())]
    }
  }
}
