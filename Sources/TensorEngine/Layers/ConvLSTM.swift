// Convolutional LSTM cell (Shi et al. 2015, without peepholes): the LSTM's gates from one conv
// over the input and the hidden state, in PyTorch LSTM's gate order (i, f, g, o).

/// One ConvLSTM step: gates = conv([x, h]) (k×k, padding k / 2, so the state keeps x's size),
/// split along channels into i, f, g, o;
/// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').
/// Parameters: `conv.weight` [4·H, Cin + H, k, k], `conv.bias` [4·H], initialized as PyTorch's
/// Conv2d default (kaiming-uniform with a = √5: uniform in ±1/√fan_in, fan_in = (Cin + H)·k²,
/// for the weight and the bias).
public final class ConvLSTMCell: Module {
  public let inputChannels: Int
  public let hiddenChannels: Int
  public let kernel: Int
  public let conv: Conv2d  // weight [4H, Cin + H, k, k], bias [4H]

  public init(inputChannels: Int, hiddenChannels: Int, kernel: Int = 3, rng: inout SeededRNG) {
    precondition(
      inputChannels > 0 && hiddenChannels > 0, "ConvLSTMCell: channels \(inputChannels) → \(hiddenChannels)")
    precondition(
      kernel >= 1 && kernel % 2 == 1, "ConvLSTMCell: kernel \(kernel) must be odd (the state keeps its size)")
    self.inputChannels = inputChannels
    self.hiddenChannels = hiddenChannels
    self.kernel = kernel
    let cin = inputChannels + hiddenChannels
    conv = Conv2d(cin, 4 * hiddenChannels, kernel: kernel, padding: kernel / 2, rng: &rng)
    // Conv2d's own init is the project's Xavier/0.1; a recurrent cell uses PyTorch's default.
    let bound = 1 / Float(cin * kernel * kernel).squareRoot()
    for t in [conv.weight, conv.bias!] {
      t.withMutableData { values in for i in values.indices { values[i] = rng.uniform(-bound, bound) } }
    }
    super.init()
    child("conv", conv)
  }

  /// The zero state for input x [B, Cin, H, W]: h and c, each [B, hidden, H, W].
  public func zeroState(like x: Tensor) -> (h: Tensor, c: Tensor) {
    let shape = [x.shape[0], hiddenChannels, x.shape[2], x.shape[3]]
    return (Tensor(zeros: shape), Tensor(zeros: shape))
  }

  /// One step: x [B, Cin, H, W] and the state (h, c), each [B, hidden, H, W] (nil: zeros) →
  /// the new state.
  public func callAsFunction(_ x: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (h: Tensor, c: Tensor) {
    precondition(
      x.rank == 4 && x.shape[1] == inputChannels,
      "ConvLSTMCell: input \(x.shape) (need [B, \(inputChannels), H, W])")
    let (h, c) = state ?? zeroState(like: x)
    let stateShape = [x.shape[0], hiddenChannels, x.shape[2], x.shape[3]]
    precondition(
      h.shape == stateShape && c.shape == stateShape,
      "ConvLSTMCell: state h \(h.shape), c \(c.shape) for input \(x.shape) (need \(stateShape))")
    let gates = conv(Tensor.concat([x, h], axis: 1))
    let hs = hiddenChannels
    let i = gates.slice(axis: 1, start: 0, end: hs).sigmoid()
    let f = gates.slice(axis: 1, start: hs, end: 2 * hs).sigmoid()
    let g = gates.slice(axis: 1, start: 2 * hs, end: 3 * hs).tanh()
    let o = gates.slice(axis: 1, start: 3 * hs, end: 4 * hs).sigmoid()
    let cNext = f * c + i * g
    return (o * cNext.tanh(), cNext)
  }
}
