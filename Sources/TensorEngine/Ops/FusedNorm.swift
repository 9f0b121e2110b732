// Fused instance normalization: IN followed by ReLU / LeakyReLU, and SPADE's modulation
// IN(x)·(1 + γ) + β (optionally followed by ReLU / LeakyReLU), forward and backward each in
// one sweep per (n, c) plane, planes split over the engine's workers.
//
// Every value is made by the float operations of the unfused composition, in its order (plane
// statistics and gradient sums in double over the same 8 lanes as instanceNorm), so outputs
// and gradients are bit for bit those of instanceNorm() → relu()/leakyRelu() and of
// instanceNorm() * (γ + 1) + β. Backward keeps the input x (shared when two ops normalize the
// same tensor, as SPADE's norm_0 and norm_s do), each plane's mean and 1/std, γ, and a bit
// mask of the activation's pieces; the normalized values are recomputed from x, so neither
// they nor the modulated map are kept.

/// What follows a fused normalization.
public enum NormActivation: Equatable, Sendable {
  case none
  case relu
  /// LeakyReLU with this slope below zero (≥ 0: backward reads the piece from the output's sign).
  case leakyRelu(Float)

  /// The value for input v (the unfused ops' formulas).
  @inline(__always)
  func apply(_ v: Float) -> Float {
    switch self {
    case .none: return v
    case .relu: return v > 0 ? v : 0
    case .leakyRelu(let slope): return v > 0 ? v : v * slope
    }
  }

  /// The derivative below zero (relu 0, leaky its slope); none has no factor.
  var offSlope: Float {
    switch self {
    case .none: return 1
    case .relu: return 0
    case .leakyRelu(let slope): return slope
    }
  }

  /// The unfused op (`FusedOps.enabled` false, and the reference the fused ops are tested against).
  func unfused(_ t: Tensor) -> Tensor {
    switch self {
    case .none: return t
    case .relu: return t.relu()
    case .leakyRelu(let slope): return t.leakyRelu(slope)
    }
  }
}

/// Switch for A/B measurements: off, the fused entry points run the unfused composition.
public enum FusedOps {
  nonisolated(unsafe) public static var enabled = true
}

extension Tensor {
  /// act(instanceNorm(x)) for x [N,C,H,W], in one op (see the file header).
  public func instanceNorm(eps: Float = 1e-5, activation: NormActivation) -> Tensor {
    if activation == .none { return instanceNorm(eps: eps) }
    guard FusedOps.enabled else { return activation.unfused(instanceNorm(eps: eps)) }
    precondition(rank == 4, "instance_norm: input \(shape) is not 4-d")
    let (planes, m) = (shape[0] * shape[1], shape[2] * shape[3])
    let out = TensorStorage(count: count)
    let stats = PlaneStats(planes)
    let x = data
    parallelRanges(planes, minPerWorker: planeGrain(m)) { range in for p in range {
      let (mean, inv) = stats.measure(p, x + p * m, m, eps: eps)
      let (src, dst) = (x + p * m, out.pointer + p * m)
      for i in 0..<m { dst[i] = activation.apply((src[i] - mean) * inv) }
    } }
    let off = activation.offSlope
    return Tensor.result("instance_norm+act", shape: shape, storage: out, inputs: [self]) {
      [shape, xs = storage] g in
      let gx = TensorStorage(count: g.count)
      parallelRanges(planes, minPerWorker: planeGrain(m)) { range in for p in range {
        let (mean, inv) = stats[p]
        let (xp, gp, dst) = (xs.pointer + p * m, g.data + p * m, gx.pointer + p * m)
        // The activation's gradient (relu/leaky backward), then instance norm's from it.
        for i in 0..<m { dst[i] = gp[i] * ((xp[i] - mean) * inv > 0 ? 1 : off) }
        normalizedBackward(dst, xp, m, mean: mean, inv: inv)
      } }
      return [Tensor(shape: shape, storage: gx)]
    }
  }

  /// act(instanceNorm(x) · (1 + γ) + β) for x, γ, β [N,C,H,W] (SPADE's modulation), one op.
  public static func spadeModulation(
    _ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float = 1e-5, activation: NormActivation = .none
  ) -> Tensor {
    precondition(
      x.rank == 4 && gamma.shape == x.shape && beta.shape == x.shape,
      "spade_modulation: x \(x.shape), gamma \(gamma.shape), beta \(beta.shape) (need equal 4-d shapes)")
    guard FusedOps.enabled else { return activation.unfused(x.instanceNorm(eps: eps) * (gamma + 1) + beta) }
    if case .leakyRelu(let slope) = activation {
      precondition(slope >= 0, "spade_modulation: leaky slope \(slope) < 0 (backward reads the output's sign)")
    }
    let (planes, m) = (x.shape[0] * x.shape[1], x.shape[2] * x.shape[3])
    let out = TensorStorage(count: x.count)
    let stats = PlaneStats(planes)
    let (xp0, gp0, bp0) = (x.data, gamma.data, beta.data)
    parallelRanges(planes, minPerWorker: planeGrain(m)) { range in for p in range {
      let (mean, inv) = stats.measure(p, xp0 + p * m, m, eps: eps)
      let (xs, gs, bs, dst) = (xp0 + p * m, gp0 + p * m, bp0 + p * m, out.pointer + p * m)
      for i in 0..<m { dst[i] = activation.apply((xs[i] - mean) * inv * (gs[i] + 1) + bs[i]) }
    } }
    // With an activation, the piece of each element: output > 0 exactly where its input was.
    let mask =
      activation != .none && Tensor.needsGrad([x, gamma, beta]) ? ActivationMask(out.pointer, x.count) { $0 > 0 } : nil
    let off = activation.offSlope
    let needs = (x.requiresGrad, gamma.requiresGrad, beta.requiresGrad)
    return result("spade_modulation", shape: x.shape, storage: out, inputs: [x, gamma, beta]) {
      [shape = x.shape, xs = x.storage, gs = gamma.storage] g in
      let gx = TensorStorage(count: g.count)
      let gGamma = needs.1 ? TensorStorage(count: g.count) : nil
      let gBeta = needs.2 ? TensorStorage(count: g.count) : nil
      let bits = mask.map { UnsafeRawPointer($0.words.pointer).assumingMemoryBound(to: UInt32.self) }
      parallelRanges(planes, minPerWorker: planeGrain(m)) { range in for p in range {
        let (mean, inv) = stats[p]
        let base = p * m
        let (xp, gammaP, gp, dst) = (xs.pointer + base, gs.pointer + base, g.data + base, gx.pointer + base)
        for i in 0..<m {
          // The unfused chain: activation backward, add (β gets it as is), mul (γ + 1 and the
          // normalized value), then instance norm's backward on the normalized value's gradient.
          var gsi = gp[i]
          if let bits {
            let k = base + i
            gsi = gsi * ((bits[k >> 5] >> UInt32(k & 31)) & 1 != 0 ? 1 : off)
          }
          gBeta?.pointer[base + i] = gsi
          let n = (xp[i] - mean) * inv
          gGamma?.pointer[base + i] = gsi * n
          dst[i] = gsi * (gammaP[i] + 1)
        }
        normalizedBackward(dst, xp, m, mean: mean, inv: inv)
      } }
      return [
        needs.0 ? Tensor(shape: shape, storage: gx) : nil, gGamma.map { Tensor(shape: shape, storage: $0) },
        gBeta.map { Tensor(shape: shape, storage: $0) },
      ]
    }
  }
}

/// Planes per worker hand-off: about 32K elements, as instanceNorm splits.
@inline(__always)
func planeGrain(_ m: Int) -> Int { Swift.max(1, (1 << 15) / Swift.max(m, 1)) }

/// Each plane's mean and 1/sqrt(var + eps) as floats (what instanceNorm's backward uses).
final class PlaneStats {
  let storage: TensorStorage  // [planes, 2]: mean, 1/std

  init(_ planes: Int) { storage = TensorStorage(count: 2 * planes) }

  subscript(p: Int) -> (mean: Float, inv: Float) { (storage.pointer[2 * p], storage.pointer[2 * p + 1]) }

  /// Measures plane p (src[0..<m]) as instanceNorm does: two passes in double.
  @inline(__always)
  func measure(_ p: Int, _ src: UnsafePointer<Float>, _ m: Int, eps: Float) -> (mean: Float, inv: Float) {
    let mean = doubleSum(src, m) { $0 } / Double(m)
    let v = doubleSum(src, m) { ($0 - mean) * ($0 - mean) }
    let inv = 1 / (v / Double(m) + Double(eps)).squareRoot()
    storage.pointer[2 * p] = Float(mean)
    storage.pointer[2 * p + 1] = Float(inv)
    return (Float(mean), Float(inv))
  }
}

/// Instance norm's backward in place: gn (the normalized value's gradient) becomes the input's,
/// inv · (gn − mean(gn) − y · mean(gn·y)) with y = (x − mean) · inv recomputed; the sums are
/// instanceNorm's (double, 8 lanes, then the tail).
@inline(__always)
func normalizedBackward(_ gn: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ m: Int, mean: Float, inv: Float) {
  var accG = SIMD8<Double>(repeating: 0)
  var accGY = SIMD8<Double>(repeating: 0)
  var i = 0
  while i + 8 <= m {
    let gv = SIMD8<Double>(UnsafeRawPointer(gn + i).loadUnaligned(as: SIMD8<Float>.self))
    let y = (UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - mean) * inv
    accG += gv
    accGY += gv * SIMD8<Double>(y)
    i += 8
  }
  var sg = accG.sum()
  var sgy = accGY.sum()
  while i < m {
    let y = (x[i] - mean) * inv
    sg += Double(gn[i])
    sgy += Double(gn[i]) * Double(y)
    i += 1
  }
  let (mg, mgy) = (Float(sg / Double(m)), Float(sgy / Double(m)))
  for k in 0..<m { gn[k] = inv * (gn[k] - mg - (x[k] - mean) * inv * mgy) }
}
