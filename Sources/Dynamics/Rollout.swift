// Rollouts in state space to any horizon: the residual LSTM (conditioned on the context frames,
// then fed its own predictions) and the two state baselines, holding the last context state and
// continuing its last velocity. All run without recording a graph.
//
// Shapes: context [B, n, D] (n ≥ 1 context frames), result [B, M, D] for horizon M.
import TensorEngine

public enum StatePredictor: String, CaseIterable, Sendable {
  case lstm
  case holdState = "hold-state"
  case constantVelocity = "constant-velocity"
}

public enum Rollout {
  static func check(_ context: Tensor, _ horizon: Int) {
    precondition(context.rank == 3 && context.shape[1] >= 1, "rollout: context \(context.shape) is not [B, n, D]")
    precondition(horizon >= 1, "rollout: horizon \(horizon)")
  }

  /// The LSTM's rollout: one step per context frame (ground truth in), then M − 1 steps on its
  /// own predictions; the prediction made at the last context frame is the first future state.
  public static func lstm(_ model: ResidualLSTM, context: Tensor, horizon m: Int) -> Tensor {
    check(context, m)
    let (b, n, d) = (context.shape[0], context.shape[1], context.shape[2])
    return withNoGrad {
      var carry = model.start(batch: b)
      var p = Tensor(zeros: [b, d])
      for t in 0..<n { p = model.step(model.frame(context, t), &carry) }
      var out: [Tensor] = []
      for j in 0..<m {
        out.append(p.reshaped([b, 1, d]))
        if j < m - 1 { p = model.step(p, &carry) }
      }
      return Tensor.concat(out, axis: 1)
    }
  }

  /// The last context state repeated M times.
  public static func holdState(context: Tensor, horizon m: Int) -> Tensor {
    extrapolate(context: context, horizon: m, velocity: false)
  }

  /// s_{n−1} + j·(s_{n−1} − s_{n−2}) for j = 1 ... M (hold-state when n = 1).
  public static func constantVelocity(context: Tensor, horizon m: Int) -> Tensor {
    extrapolate(context: context, horizon: m, velocity: true)
  }

  static func extrapolate(context: Tensor, horizon m: Int, velocity: Bool) -> Tensor {
    check(context, m)
    let (b, n, d) = (context.shape[0], context.shape[1], context.shape[2])
    let out = Tensor(zeros: [b, m, d])
    for i in 0..<b {
      let last = context.data + (i * n + n - 1) * d
      let prev = n >= 2 && velocity ? context.data + (i * n + n - 2) * d : last
      for j in 0..<m {
        let o = out.data + (i * m + j) * d
        let steps = Float(j + 1)
        for e in 0..<d { o[e] = last[e] + steps * (last[e] - prev[e]) }
      }
    }
    return out
  }

  /// The rollout of `method` (`model` needed for `.lstm`).
  public static func run(_ method: StatePredictor, model: ResidualLSTM?, context: Tensor, horizon m: Int) -> Tensor {
    switch method {
    case .lstm:
      guard let model else { preconditionFailure("the lstm rollout needs a model") }
      return lstm(model, context: context, horizon: m)
    case .holdState: return holdState(context: context, horizon: m)
    case .constantVelocity: return constantVelocity(context: context, horizon: m)
    }
  }

  /// What a rollout's validity check found: non-finite numbers, and decoded covariances
  /// (with the floor) that are not symmetric positive definite.
  public struct Validity: Equatable, Sendable {
    public var nonFinite = 0
    public var invalidCovariances = 0
    public var isValid: Bool { nonFinite == 0 && invalidCovariances == 0 }
    public init() {}

    public mutating func add(_ other: Validity) {
      nonFinite += other.nonFinite
      invalidCovariances += other.invalidCovariances
    }
  }

  public static func validity(_ states: Tensor, floor: Double) -> Validity {
    var v = Validity()
    for i in 0..<states.count where !states.data[i].isFinite { v.nonFinite += 1 }
    let (_, cov) = PoseState.decode(states, floor: floor)
    for i in 0..<(cov.count / 4) {
      let c = cov.data + 4 * i
      let s = Sym2(a: Double(c[0]), b: Double(c[1]), d: Double(c[3]))
      if c[1] != c[2] || !s.isPositiveDefinite { v.invalidCovariances += 1 }
    }
    return v
  }
}
