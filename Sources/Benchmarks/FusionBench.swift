// `lmlab bench train --fusions-ab`: the fused normalization ops (FusedNorm.swift) against the
// unfused composition, in one process, interleaved (A, B, A, B… medians) so a loaded machine
// slows both alike: first op by op on ref-64's shapes (forward + backward), then whole training
// steps alternating with the fused ops on and off, with each step's peak tensor memory.
import Foundation
import TensorEngine

public enum FusionBench {
  /// ([N, C, H, W], what) of ref-64 at batch 8: the pose encoder's IN + ReLU, SPADE's
  /// modulation + LeakyReLU in the decoder blocks, the discriminator's IN + LeakyReLU size.
  static let shapes: [(shape: [Int], spade: Bool, activation: NormActivation)] = [
    ([8, 12, 64, 64], false, .relu), ([8, 24, 32, 32], false, .relu), ([8, 48, 16, 16], false, .relu),
    ([8, 512, 8, 8], false, .relu), ([8, 128, 32, 32], false, .leakyRelu(0.2)),
    ([8, 256, 8, 8], true, .leakyRelu(0.2)), ([8, 256, 16, 16], true, .leakyRelu(0.2)),
    ([8, 128, 32, 32], true, .leakyRelu(0.2)), ([8, 64, 64, 64], true, .leakyRelu(0.2)),
    ([8, 64, 64, 64], true, .none),
  ]

  public static func run(steps: Int, only: String?, print out: (String) -> Void) throws {
    let saved = FusedOps.enabled
    defer { FusedOps.enabled = saved }
    opAB(rounds: 7, print: out)
    out("")
    try trainAB(steps: steps, only: only, print: out)
  }

  /// Forward + backward of each fused op and of its unfused composition, alternating.
  static func opAB(rounds: Int, print out: (String) -> Void) {
    out("fused vs unfused normalization ops, forward + backward, \(rounds) interleaved rounds, medians (engine threads \(engineThreads))")
    out("op                              shape              unfused ms  fused ms  speed-up")
    for s in shapes {
      var rng = SeededRNG(seed: 4)
      let x = Tensor.normal(s.shape, rng: &rng)
      let gamma = Tensor.normal(s.shape, std: 0.3, rng: &rng)
      let beta = Tensor.normal(s.shape, rng: &rng)
      let g = Tensor.normal(s.shape, rng: &rng)
      for t in [x, gamma, beta] { t.requiresGrad = true }
      let reps = Swift.max(1, Swift.min(20, 4_000_000 / x.count))
      func pass() {
        let y = s.spade ? Tensor.spadeModulation(x, gamma: gamma, beta: beta, activation: s.activation) : x.instanceNorm(activation: s.activation)
        y.backward(g)
        for t in [x, gamma, beta] { t.zeroGrad() }
      }
      var times: [[Double]] = [[], []]
      for _ in 0..<rounds {
        for (k, fused) in [false, true].enumerated() {
          FusedOps.enabled = fused
          times[k].append(WinogradBench.seconds(reps: reps, pass))
        }
      }
      let (a, b) = (WinogradBench.median(times[0]), WinogradBench.median(times[1]))
      let name = (s.spade ? "spade_modulation" : "instance_norm") + " + \(s.activation)"
      out(
        name.padding(toLength: 30, withPad: " ", startingAt: 0) + "  "
          + "\(s.shape)".padding(toLength: 17, withPad: " ", startingAt: 0)
          + String(format: "  %10.2f  %8.2f  %8.2f", 1000 * a, 1000 * b, a / b))
    }
  }

  /// Training steps of each case alternating unfused / fused on one trainer (after one warm-up
  /// of each): medians of step time and of each step's peak tensor memory.
  static func trainAB(steps: Int, only: String?, print out: (String) -> Void) throws {
    out("training step, fused ops off vs on, alternating steps in one process (\(steps) each after a warm-up), medians")
    out("case              batch  unfused s/step  fused s/step  speed-up  unfused peak MB  fused peak MB")
    for label in only.map({ [$0] }) ?? TrainBench.defaultLabels {
      let c = try TrainBench.loadCase(label)
      let (trainer, batches) = try TrainBench.trainerAndBatches(c.config, count: 2 * steps + 2)
      var times: [[Double]] = [[], []]
      var peaks: [[Double]] = [[], []]
      for (i, b) in batches.enumerated() {
        FusedOps.enabled = i % 2 == 1
        MemoryStats.resetPeak()
        let t = TrainBench.stepTimes(trainer, [b])[0]
        if i >= 2 {
          times[i % 2].append(t)
          peaks[i % 2].append(Double(MemoryStats.peakBytes) / 1e6)
        }
      }
      let (off, on) = (WinogradBench.median(times[0]), WinogradBench.median(times[1]))
      out(
        label.padding(toLength: 16, withPad: " ", startingAt: 0)
          + String(
            format: "  %5d  %14.3f  %12.3f  %8.2f  %15.0f  %13.0f", c.config.pairs.batchSize, off, on, off / on,
            WinogradBench.median(peaks[0]), WinogradBench.median(peaks[1])))
      func list(_ xs: [Double]) -> String { xs.map { String(format: "%.2f", $0) }.joined(separator: " ") }
      out("  steps unfused: \(list(times[0])); fused: \(list(times[1]))")
    }
  }
}
