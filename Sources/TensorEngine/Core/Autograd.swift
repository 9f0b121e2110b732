// Reverse-mode autograd: graph nodes, the grad-mode switch, and backward().
//
// NOTE: the graph links nodes, not tensors: a node holds the nodes that made its inputs (and
// the leaves that require grad), so an intermediate tensor's values stay alive only while
// user code or a backward closure that needs them holds them. Backward closures capture
// `TensorStorage`s, plain values or input tensors, never the output `Tensor` itself: the
// output owns its node, so capturing it would form a cycle and leak every graph that is not
// differentiated. backward() drops each node's closure (and with it what it saved) and its
// incoming gradient as soon as that node's backward has run.

/// Where an op's input came from, for the backward pass.
enum GradEdge {
  /// Made by a recorded op.
  case node(GradNode)
  /// A leaf that requires grad (its gradient accumulates in `grad`).
  case leaf(Tensor)
  /// Needs no gradient.
  case none
}

/// One recorded op: where its inputs came from and a closure from the output's gradient to
/// the inputs'.
final class GradNode {
  let name: String
  /// One per input, in the op's input order.
  private(set) var edges: [GradEdge]
  /// The inputs' shapes (each returned gradient must have its input's shape).
  let inputShapes: [[Int]]
  /// Returns one gradient per input (nil where an input needs none), each of the input's
  /// shape; nil once backward has run and released it.
  private(set) var backward: ((Tensor) -> [Tensor?])?

  init(name: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
    self.name = name
    edges = inputs.map { t in
      if let n = t.node { return .node(n) }
      return t.requiresGrad ? .leaf(t) : .none
    }
    inputShapes = inputs.map(\.shape)
    self.backward = backward
  }

  /// Drops the closure and the links to the inputs' nodes: what they kept alive can go.
  func release() {
    backward = nil
    edges = []
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
    MemoryStats.attribute(storage, to: name)
    let out = Tensor(shape: shape, storage: storage)
    if needsGrad(inputs) {
      out.requiresGrad = true
      out.node = GradNode(name: name, inputs: inputs, backward: backward)
    }
    return out
  }

  /// Back-propagates from this tensor. A non-scalar output needs `gradient` (its shape).
  /// Gradients accumulate into `grad` of leaves that require grad. Each node's closure, what
  /// it saved and its incoming gradient are released as soon as its backward has run, unless
  /// `retainGraph`; nothing of the graph is kept after the call.
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
    let root: GradEdge = node.map { .node($0) } ?? .leaf(self)

    // Iterative post-order DFS (an unrolled LSTM makes graphs too deep for recursion).
    var order: [GradEdge] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradEdge, Bool)] = [(root, false)]
    while let (v, expanded) = stack.popLast() {
      if expanded { order.append(v); continue }
      guard let id = v.id, !visited.contains(id) else { continue }
      visited.insert(id)
      stack.append((v, true))
      if case .node(let n) = v {
        for e in n.edges {
          if let eid = e.id, !visited.contains(eid) { stack.append((e, false)) }
        }
      }
    }

    var pending: [ObjectIdentifier: Tensor] = [root.id!: seed]
    withNoGrad {
      for v in order.reversed() {
        guard let g = pending.removeValue(forKey: v.id!) else { continue }
        switch v {
        case .none: continue
        case .leaf(let t):
          OpProfile.backward("(leaf gradient)") { t.accumulateGrad(g) }
        case .node(let node):
          // A node released by an earlier backward: the gradient stops here.
          guard let closure = node.backward else { continue }
          MemoryStats.setPhase("backward of " + node.name)
          let grads = OpProfile.backward(node.name) { closure(g) }
          precondition(grads.count == node.edges.count, "\(node.name): backward returned \(grads.count) grads")
          for (k, (edge, gi)) in zip(node.edges, grads).enumerated() {
            guard let gi, let key = edge.id else { continue }
            precondition(
              gi.shape == node.inputShapes[k], "\(node.name): gradient shape \(gi.shape) vs input \(node.inputShapes[k])")
            if MemoryStats.censusIsOn { MemoryStats.attribute(gi.storage, to: "∂ " + node.name, reclaim: true) }
            if let existing = pending[key] {
              pending[key] = OpProfile.backward("(gradient sum)") { Tensor.sumOfGradients(existing, gi) }
            } else {
              pending[key] = gi
            }
          }
          if !retainGraph { node.release() }
        }
      }
    }
    MemoryStats.setPhase("forward")
    if !retainGraph { node = nil }
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

extension GradEdge {
  /// The vertex's identity in backward's traversal (nil: not part of it).
  var id: ObjectIdentifier? {
    switch self {
    case .node(let n): return ObjectIdentifier(n)
    case .leaf(let t): return t.requiresGrad ? ObjectIdentifier(t) : nil
    case .none: return nil
    }
  }
}
