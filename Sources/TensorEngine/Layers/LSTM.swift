// Multi-layer LSTM with PyTorch's gate order (i, f, g, o) and parameter names
// (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, ...), sequence-first.

public final class LSTM: Module {
  public let inputSize: Int
  public let hiddenSize: Int
  public let numLayers: Int
  /// Per layer: weight_ih [4H, in], weight_hh [4H, H], bias_ih [4H], bias_hh [4H].
  public private(set) var layers: [(wih: Tensor, whh: Tensor, bih: Tensor, bhh: Tensor)] = []

  /// Initialized as PyTorch does: every parameter uniform in ±1/sqrt(H).
  public init(inputSize: Int, hiddenSize: Int, numLayers: Int, rng: inout SeededRNG) {
    self.inputSize = inputSize
    self.hiddenSize = hiddenSize
    self.numLayers = numLayers
    super.init()
    let bound = 1 / Float(hiddenSize).squareRoot()
    for l in 0..<numLayers {
      let inF = l == 0 ? inputSize : hiddenSize
      let wih = parameter("weight_ih_l\(l)", Tensor.uniform([4 * hiddenSize, inF], -bound, bound, rng: &rng))
      let whh = parameter("weight_hh_l\(l)", Tensor.uniform([4 * hiddenSize, hiddenSize], -bound, bound, rng: &rng))
      let bih = parameter("bias_ih_l\(l)", Tensor.uniform([4 * hiddenSize], -bound, bound, rng: &rng))
      let bhh = parameter("bias_hh_l\(l)", Tensor.uniform([4 * hiddenSize], -bound, bound, rng: &rng))
      layers.append((wih, whh, bih, bhh))
    }
  }

  /// Recurrent state: h and c, each [layers, B, H].
  public struct State {
    public var h: [Tensor]  // per layer [B, H]
    public var c: [Tensor]  // per layer [B, H]
  }

  public func zeroState(batch: Int) -> State {
    State(
      h: (0..<numLayers).map { _ in Tensor(zeros: [batch, hiddenSize]) },
      c: (0..<numLayers).map { _ in Tensor(zeros: [batch, hiddenSize]) })
  }

  /// State from stacked tensors h0, c0 [layers, B, H].
  public func state(h0: Tensor, c0: Tensor) -> State {
    precondition(h0.shape == [numLayers, h0.shape[1], hiddenSize] && c0.shape == h0.shape,
      "LSTM state: h0 \(h0.shape), c0 \(c0.shape) (need [\(numLayers), B, \(hiddenSize)])")
    return State(
      h: (0..<numLayers).map { h0.slice(axis: 0, start: $0, end: $0 + 1).reshaped([h0.shape[1], hiddenSize]) },
      c: (0..<numLayers).map { c0.slice(axis: 0, start: $0, end: $0 + 1).reshaped([c0.shape[1], hiddenSize]) })
  }

  /// One time step through all layers: x [B, in] → top h [B, H], new state.
  public func step(_ x: Tensor, _ state: State) -> (Tensor, State) {
    var input = x
    var next = state
    let hs = hiddenSize
    for l in 0..<numLayers {
      let p = layers[l]
      let gates = Tensor.linear(input, weight: p.wih, bias: p.bih) + Tensor.linear(state.h[l], weight: p.whh, bias: p.bhh)
      let i = gates.slice(axis: 1, start: 0, end: hs).sigmoid()
      let f = gates.slice(axis: 1, start: hs, end: 2 * hs).sigmoid()
      let g = gates.slice(axis: 1, start: 2 * hs, end: 3 * hs).tanh()
      let o = gates.slice(axis: 1, start: 3 * hs, end: 4 * hs).sigmoid()
      let c = f * state.c[l] + i * g
      let h = o * c.tanh()
      next.h[l] = h
      next.c[l] = c
      input = h
    }
    return (input, next)
  }

  /// Whole sequence x [T, B, in] → output [T, B, H] and the final state.
  public func callAsFunction(_ x: Tensor, _ initial: State? = nil) -> (Tensor, State) {
    precondition(x.rank == 3 && x.shape[2] == inputSize, "LSTM: input \(x.shape) (need [T, B, \(inputSize)])")
    let (t, b) = (x.shape[0], x.shape[1])
    var state = initial ?? zeroState(batch: b)
    var outputs: [Tensor] = []
    for s in 0..<t {
      let xt = x.slice(axis: 0, start: s, end: s + 1).reshaped([b, inputSize])
      let (h, next) = step(xt, state)
      outputs.append(h.reshaped([1, b, hiddenSize]))
      state = next
    }
    return (Tensor.concat(outputs, axis: 0), state)
  }
}
