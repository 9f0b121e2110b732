// Module: a layer with explicitly registered parameters, buffers and children under dotted
// names (the reference's PyTorch state-dict names), and strict state-dict loading.

/// A user-facing error from loading weights: names the key at fault.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
  case missing(key: String)
  case unexpected(key: String)
  case shapeMismatch(key: String, expected: [Int], found: [Int])

  public var description: String {
    switch self {
    case .missing(let k): return "missing tensor '\(k)' (the model has it, the file does not)"
    case .unexpected(let k): return "unexpected tensor '\(k)' (the file has it, the model does not)"
    case .shapeMismatch(let k, let e, let f): return "tensor '\(k)' has shape \(f), the model expects \(e)"
    }
  }
}

open class Module {
  /// Trainable tensors, in registration order.
  public private(set) var localParameters: [(name: String, tensor: Tensor)] = []
  /// Saved non-trainable state (spectral-norm vectors, frozen weights).
  public private(set) var localBuffers: [(name: String, tensor: Tensor)] = []
  public private(set) var children: [(name: String, module: Module)] = []
  /// Training mode (spectral norm iterates only in training).
  public private(set) var isTraining = true

  public init() {}

  /// Registers a trainable parameter under `name` and returns it (marked requiresGrad).
  @discardableResult
  public func parameter(_ name: String, _ t: Tensor) -> Tensor {
    precondition(!name.contains("."), "parameter name '\(name)' must not contain a dot")
    t.requiresGrad = true
    localParameters.append((name, t))
    return t
  }

  /// Registers a buffer (saved, not trained) under `name`.
  @discardableResult
  public func buffer(_ name: String, _ t: Tensor) -> Tensor {
    t.requiresGrad = false
    localBuffers.append((name, t))
    return t
  }

  /// Registers a child module under `name` (its keys get the prefix `name.`).
  @discardableResult
  public func child<M: Module>(_ name: String, _ m: M) -> M {
    children.append((name, m))
    return m
  }

  /// All parameters with dotted names, depth first in registration order.
  public func namedParameters(prefix: String = "") -> [(String, Tensor)] {
    var out = localParameters.map { (prefix + $0.name, $0.tensor) }
    for (name, m) in children { out += m.namedParameters(prefix: prefix + name + ".") }
    return out
  }

  /// All buffers with dotted names.
  public func namedBuffers(prefix: String = "") -> [(String, Tensor)] {
    var out = localBuffers.map { (prefix + $0.name, $0.tensor) }
    for (name, m) in children { out += m.namedBuffers(prefix: prefix + name + ".") }
    return out
  }

  public var parameters: [Tensor] { namedParameters().map(\.1) }

  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

  /// Parameters and buffers by dotted name.
  public func stateDict() -> [(String, Tensor)] { namedParameters() + namedBuffers() }

  /// Copies values from `dict` into this module's tensors. Strict: every key must match a
  /// tensor of the same shape, and every tensor must be given.
  public func loadStateDict(_ dict: [String: Tensor]) throws {
    let own = stateDict()
    let ownKeys = Set(own.map(\.0))
    for key in dict.keys.sorted() where !ownKeys.contains(key) { throw StateDictError.unexpected(key: key) }
    for (key, t) in own {
      guard let src = dict[key] else { throw StateDictError.missing(key: key) }
      guard src.shape == t.shape else { throw StateDictError.shapeMismatch(key: key, expected: t.shape, found: src.shape) }
    }
    for (key, t) in own {
      let src = dict[key]!
      t.withMutableData { $0.baseAddress!.update(from: src.data, count: t.count) }
    }
  }

  /// Switches this module and its children to training or evaluation mode.
  public func train(_ on: Bool = true) {
    isTraining = on
    for (_, m) in children { m.train(on) }
  }

  public func eval() { train(false) }

  public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}
