// Adam with PyTorch's semantics (L2 weight decay added to the gradient, bias-corrected
// moments, eps outside the square root), and gradient clipping by global norm.

import Foundation

public final class Adam {
  public var lr: Float
  // NOTE: betas are kept in double: 1 − β₂ in float32 is off by 1.3e-5 relative, PyTorch
  // forms the coefficients from Python floats.
  public let beta1: Double
  public let beta2: Double
  public let eps: Float
  public let weightDecay: Float
  /// Parameters with their dotted names (the names key the saved state).
  public let parameters: [(String, Tensor)]
  /// Per parameter: first and second moments (same shape), created on first step.
  public private(set) var expAvg: [Tensor]
  public private(set) var expAvgSq: [Tensor]
  /// Steps taken.
  public private(set) var stepCount = 0

  public init(
    _ parameters: [(String, Tensor)], lr: Float = 1e-4, betas: (Double, Double) = (0.9, 0.999), eps: Float = 1e-8,
    weightDecay: Float = 0
  ) {
    self.parameters = parameters
    self.lr = lr
    beta1 = Double(betas.0)
    beta2 = Double(betas.1)
    self.eps = eps
    self.weightDecay = weightDecay
    expAvg = parameters.map { Tensor(zeros: $0.1.shape) }
    expAvgSq = parameters.map { Tensor(zeros: $0.1.shape) }
  }

  /// One update from the accumulated gradients (parameters without a gradient are skipped).
  public func step() {
    stepCount += 1
    let bc1 = 1 - Foundation.pow(beta1, Double(stepCount))
    let bc2 = 1 - Foundation.pow(beta2, Double(stepCount))
    let stepSize = Float(Double(lr) / bc1)
    let bc2Sqrt = Float(bc2.squareRoot())
    let (b1, b2, c1, c2) = (Float(beta1), Float(beta2), Float(1 - beta1), Float(1 - beta2))
    let (wd, eps) = (weightDecay, eps)
    for (index, (_, p)) in parameters.enumerated() {
      guard let g = p.grad else { continue }
      let n = p.count
      let pp = p.data
      let pg = g.data
      let m = expAvg[index].data
      let v = expAvgSq[index].data
      // Elementwise, so splitting over workers gives the same bits.
      parallelRanges(n) { r in
        for i in r {
          let gi = pg[i] + wd * pp[i]
          m[i] = b1 * m[i] + c1 * gi
          v[i] = b2 * v[i] + c2 * gi * gi
          pp[i] -= stepSize * m[i] / (v[i].squareRoot() / bc2Sqrt + eps)
        }
      }
    }
  }

  public func zeroGrad() { for (_, p) in parameters { p.zeroGrad() } }

  /// Saved state: `<name>.exp_avg`, `<name>.exp_avg_sq` per parameter, and the step count.
  public func stateDict() -> (tensors: [(String, Tensor)], step: Int) {
    var out: [(String, Tensor)] = []
    for (i, (name, _)) in parameters.enumerated() {
      out.append((name + ".exp_avg", expAvg[i]))
      out.append((name + ".exp_avg_sq", expAvgSq[i]))
    }
    return (out, stepCount)
  }

  /// Restores saved state; strict like `Module.loadStateDict`.
  public func loadStateDict(_ tensors: [String: Tensor], step: Int) throws {
    var expected: [String: Tensor] = [:]
    for (name, t) in stateDict().tensors { expected[name] = t }
    for key in tensors.keys.sorted() where expected[key] == nil { throw StateDictError.unexpected(key: "optimizer/" + key) }
    for (key, t) in expected {
      guard let src = tensors[key] else { throw StateDictError.missing(key: "optimizer/" + key) }
      guard src.shape == t.shape else {
        throw StateDictError.shapeMismatch(key: "optimizer/" + key, expected: t.shape, found: src.shape)
      }
    }
    for (key, t) in expected {
      let src = tensors[key]!
      t.withMutableData { $0.baseAddress!.update(from: src.data, count: t.count) }
    }
    stepCount = step
  }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm` (PyTorch's
/// clip_grad_norm_: coefficient maxNorm / (norm + 1e-6), clamped to 1). Returns the norm.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
  var total: Double = 0
  for p in parameters {
    guard let g = p.grad else { continue }
    for i in 0..<g.count { total += Double(g.data[i]) * Double(g.data[i]) }
  }
  let norm = Float(total.squareRoot())
  let coef = maxNorm / (norm + 1e-6)
  if coef < 1 {
    for p in parameters {
      guard let g = p.grad else { continue }
      for i in 0..<g.count { g.data[i] *= coef }
    }
  }
  return norm
}
