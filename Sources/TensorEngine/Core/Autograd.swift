// Reverse-mode autograd: graph nodes, the grad-mode switch, and backward().
//
// NOTE: backward closures capture `TensorStorage`s and plain values, never the output
// `Tensor` itself: the output owns its node, so capturing it would form a cycle and leak
// every graph that is not differentiated.

/// One recorded op: its inputs and a closure from the output's gradient to the inputs'.
final class GradNode {
  let name: String
  let inputs: [Tensor]
  /// Returns one gradient per input (nil where an input needs none), each of the input's shape.
  let backward: (Tensor) -> [Tensor?]

  init(name: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
    self.name = name
    self.inputs = inputs
    self.backward = backward
  }
}

/// Whether ops record a graph. Off inside `withNoGrad`.
public enum GradMode {
  nonisolated(unsafe) public private(set) static var isEnabled = true

  static func set(_ on: Bool) { isEnabled = on }
}

/// Runs `body` without recording any graph: inference pays nothing for training.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  let previous = GradMode.isEnabled
  GradMode.set(false)
  defer { GradMode.set(previous) }
  return try body()
}

extension Tensor {
  /// True when an op over `inputs` must record a node.
  static func needsGrad(_ inputs: [Tensor]) -> Bool {
    GradMode.isEnabled && inputs.contains { $0.requiresGrad }
  }

  /// Wraps an op's output, attaching `backward` when any input requires grad. The closure
  /// (and what it saved) is dropped at once when nothing is recorded; ops whose backward
  /// needs extra forward work check `needsGrad` first.
  static func result(
    _ name: String, shape: [Int], storage: TensorStorage, inputs: [Tensor],
    backward: @escaping (Tensor) -> [Tensor?]
  ) -> Tensor {
    OpProfile.forwardDone(name)
    let out = Tensor(shape: shape, storage: storage)
    if needsGrad(inputs) {
      out.requiresGrad = true
      out.node = GradNode(name: name, inputs: inputs, backward: backward)
    }
    return out
  }

  /// Back-propagates from this tensor. A non-scalar output needs `gradient` (its shape).
  /// Gradients accumulate into `grad` of leaves that require grad. The graph is released
  /// afterwards unless `retainGraph`.
  public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) {
    precondition(requiresGrad, "backward() on a tensor that does not require grad")
    let seed: Tensor
    if let gradient {
      precondition(gradient.shape == shape, "backward: gradient shape \(gradient.shape) vs output \(shape)")
      seed = gradient
    } else {
      precondition(count == 1, "backward() without a gradient needs a one-element output, shape is \(shape)")
      seed = Tensor(repeating: 1, shape: shape)
    }

    // Iterative post-order DFS (an unrolled LSTM makes graphs too deep for recursion).
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Bool)] = [(self, false)]
    while let (t, expanded) = stack.popLast() {
      if expanded { order.append(t); continue }
      let id = ObjectIdentifier(t)
      if visited.contains(id) { continue }
      visited.insert(id)
      stack.append((t, true))
      if let node = t.node {
        for input in node.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
          stack.append((input, false))
        }
      }
    }

    var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
    withNoGrad {
      for t in order.reversed() {
        guard let g = pending.removeValue(forKey: ObjectIdentifier(t)) else { continue }
        guard let node = t.node else {
          OpProfile.backward("(leaf gradient)") { t.accumulateGrad(g) }
          continue
        }
        let grads = OpProfile.backward(node.name) { node.backward(g) }
        precondition(grads.count == node.inputs.count, "\(node.name): backward returned \(grads.count) grads")
        for (input, gi) in zip(node.inputs, grads) {
          guard input.requiresGrad, let gi else { continue }
          precondition(
            gi.shape == input.shape, "\(node.name): gradient shape \(gi.shape) vs input \(input.shape)")
          let key = ObjectIdentifier(input)
          if let existing = pending[key] {
            pending[key] = OpProfile.backward("(gradient sum)") { Tensor.sumOfGradients(existing, gi) }
          } else {
            pending[key] = gi
          }
        }
        if !retainGraph { t.node = nil }
      }
    }
  }

  /// Adds `g` into `grad` (allocating it on first use).
  func accumulateGrad(_ g: Tensor) {
    if let existing = grad {
      let dst = existing.data
      let src = g.data
      parallelRanges(count) { r in for i in r { dst[i] += src[i] } }
    } else {
      // Copy: `g` may share storage with another gradient, and `grad` is mutated in place.
      grad = g.copy()
    }
  }

  /// Clears the accumulated gradient.
  public func zeroGrad() { grad = nil }

  /// a + b for two same-shape gradients, in new storage (either may share storage elsewhere).
  static func sumOfGradients(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = Tensor(uninitialized: a.shape)
    let (dst, pa, pb) = (out.data, a.data, b.data)
    parallelRanges(out.count) { r in for i in r { dst[i] = pa[i] + pb[i] } }
    return out
  }
}
