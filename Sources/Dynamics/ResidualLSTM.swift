// ResidualLSTM (DESIGN §2, "Extrapolation"): an LSTM (layers × hidden) and a linear layer that
// read [s_t, c·(s_t − s_{t−1})] and predict the next state as s_{t+1} = s_t + r_t / c, where r_t
// is the linear layer's output and c the residual scale (1 in the report; a larger c gives the
// small frame-to-frame changes of landmark states a unit-sized range inside the network).
// Keys: `lstm.weight_ih_l0` ... (PyTorch's nn.LSTM names) and `linear.weight`, `linear.bias`.
//
// Dimension letters: B sequences, L window frames, D = 5K state numbers, H hidden units.
import TensorEngine

public final class ResidualLSTM: Module {
  public let stateSize: Int
  public let residualScale: Float
  public let lstm: LSTM
  /// H → D.
  public let linear: Linear

  /// LSTM weights as PyTorch initializes them (uniform ±1/√H); the linear layer's weight the
  /// same (the untrained model predicts "no change" up to small noise) or, with `zeroOutput`,
  /// zero: the untrained model is exactly hold-state, so a checkpoint of step 0 is that baseline.
  /// The bias is zero either way.
  public init(
    stateSize d: Int, hidden: Int, layers: Int, residualScale: Float = 1, zeroOutput: Bool = false, rng: inout SeededRNG
  ) {
    precondition(d > 0 && hidden > 0 && layers > 0 && residualScale > 0, "ResidualLSTM: bad sizes")
    stateSize = d
    self.residualScale = residualScale
    lstm = LSTM(inputSize: 2 * d, hiddenSize: hidden, numLayers: layers, rng: &rng)
    linear = Linear(hidden, d, biasValue: 0, rng: &rng)
    let bound = 1 / Float(hidden).squareRoot()
    linear.weight.withMutableData { w in for i in w.indices { w[i] = zeroOutput ? 0 : rng.uniform(-bound, bound) } }
    super.init()
    child("lstm", lstm)
    child("linear", linear)
  }

  /// The recurrent state and the previous input state s_{t−1} of a running sequence.
  public struct Carry {
    public var lstm: LSTM.State
    public var previous: Tensor?
  }

  public func start(batch: Int) -> Carry { Carry(lstm: lstm.zeroState(batch: batch), previous: nil) }

  /// One step: state s_t [B, D] → predicted s_{t+1} [B, D]. The velocity of the first step is 0.
  public func step(_ s: Tensor, _ carry: inout Carry) -> Tensor {
    precondition(s.rank == 2 && s.shape[1] == stateSize, "ResidualLSTM.step: state \(s.shape), need [B, \(stateSize)]")
    let velocity = carry.previous.map { (s - $0) * residualScale } ?? Tensor(zeros: s.shape)
    let (h, next) = lstm.step(Tensor.concat([s, velocity], axis: 1), carry.lstm)
    carry.lstm = next
    carry.previous = s
    return s + linear(h) * (1 / residualScale)
  }

  /// The "n inputs, m future" schedule over a window [B, L, D] (L = n + m): L − 1 steps, ground
  /// truth fed for the first `nInputs`, the model's own prediction after (gradients flow
  /// through it). Returns the predictions of frames 1 ..< L, [B, L − 1, D].
  public func unroll(_ window: Tensor, nInputs n: Int) -> Tensor {
    precondition(window.rank == 3 && window.shape[2] == stateSize, "unroll: window \(window.shape), need [B, L, \(stateSize)]")
    let (b, l) = (window.shape[0], window.shape[1])
    precondition(l >= 2 && n >= 1, "unroll: window of \(l) frames with \(n) inputs")
    var carry = start(batch: b)
    var predictions: [Tensor] = []
    var own: Tensor?
    for t in 0..<(l - 1) {
      let s = t < n ? frame(window, t) : own!
      let p = step(s, &carry)
      predictions.append(p.reshaped([b, 1, stateSize]))
      own = p
    }
    return Tensor.concat(predictions, axis: 1)
  }

  /// Mean squared error of the schedule's predictions against frames 1 ..< L of the window.
  public func scheduleLoss(_ window: Tensor, nInputs n: Int) -> Tensor {
    let l = window.shape[1]
    return Tensor.mseLoss(unroll(window, nInputs: n), window.slice(axis: 1, start: 1, end: l))
  }

  func frame(_ window: Tensor, _ t: Int) -> Tensor {
    window.slice(axis: 1, start: t, end: t + 1).reshaped([window.shape[0], stateSize])
  }
}
