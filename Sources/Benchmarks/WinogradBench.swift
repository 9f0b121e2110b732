// `lmlab bench engine --winograd`: per 3×3 stride-1 shape of ref-64 and the demo, Winograd
// F(2×2) and F(4×4) against today's path (LMLAB_CONV_WINOGRAD=0's choice), interleaved in one
// process (A, B, C, A, B, C… medians) so a loaded machine slows both alike; effective GFLOP/s = direct-convolution
// FLOPs / time, beside sgemm measured right before the shape.
import Workbench
import Foundation
import TensorEngine

public enum WinogradBench {
  /// (C, O, size) at batch 8: the 3×3 stride-1 shapes of ref-64 and landmarks-demo on maps of 8
  /// px and more, as `bench train --profile` lists them, by time share.
  public static let shapes: [(c: Int, o: Int, size: Int)] = [
    (128, 64, 64), (256, 256, 16), (128, 128, 32), (30, 128, 64), (64, 32, 64), (512, 512, 8), (128, 256, 8),
    (108, 216, 32), (128, 256, 16), (30, 128, 32), (256, 256, 8), (128, 64, 32), (128, 32, 64), (256, 128, 16),
    (512, 256, 8), (432, 432, 16), (64, 64, 64), (30, 128, 16), (64, 64, 32), (32, 32, 64), (54, 108, 32),
    (432, 64, 16), (64, 128, 32), (128, 128, 16), (96, 96, 8), (256, 512, 8), (3, 64, 64), (24, 24, 32), (48, 48, 16),
    (30, 128, 8),  // ref-64
    (32, 16, 64), (208, 208, 16), (32, 32, 32), (10, 32, 64), (32, 16, 32), (52, 104, 32), (64, 64, 8), (32, 8, 64),
    (32, 64, 16), (128, 128, 8), (208, 64, 16), (26, 52, 32), (64, 64, 16), (32, 64, 8), (64, 32, 16), (10, 32, 32),
    (128, 64, 8), (16, 16, 32),  // landmarks-demo
  ]

  static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

  /// Seconds of one call of `body`, the median of `reps` after a warm-up.
  static func seconds(reps: Int, _ body: () -> Void) -> Double {
    body()
    var s: [Double] = []
    for _ in 0..<reps {
      let t0 = DispatchTime.now().uptimeNanoseconds
      body()
      s.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    return median(s)
  }

  /// Per shape: today's path, F(2×2) and F(4×4) forced, interleaved; `only` keeps the shapes
  /// whose "C,O,size" it lists (nil: all).
  public static func run(rounds: Int = 5, batch: Int = 8, only: Set<String>? = nil, print out: (String) -> Void) {
    out(
      "Winograd F(2x2,3x3) and F(4x4,3x3) vs today's path, batch \(batch), OpenBLAS \(NativeBLAS.description), "
        + "engine threads \(engineThreads); \(rounds) interleaved rounds (today, F2, F4), medians; "
        + "GFLOP/s = direct-conv FLOPs / time (each pass: the forward FLOPs)")
    out("per pass: ms today, F2, F4; speed-ups F2 and F4 over today; the best's effective GFLOP/s / sgemm; auto's choice")
    out("  C    O  size  path today (fwd bwd)    sgemm  forward                                  input gradient                           weight gradient                          auto")
    var seen = Set<String>()
    let saved = convWinograd
    defer { convWinograd = saved }
    for s in shapes where seen.insert("\(s)").inserted && (only?.contains("\(s.c),\(s.o),\(s.size)") ?? true) {
      let g = Conv2dGeometry(n: batch, c: s.c, h: s.size, w: s.size, o: s.o, kh: 3, kw: 3, stride: 1, pad: 1)
      var rng = SeededRNG(seed: 3)
      let x = Tensor.normal([g.n, g.c, g.h, g.w], rng: &rng)
      let w = Tensor.normal([g.o, g.c, 3, 3], rng: &rng)
      let gout = Tensor.normal([g.n, g.o, g.ho, g.wo], rng: &rng)
      let y = Tensor(zeros: [g.n, g.o, g.ho, g.wo])
      let gx = Tensor(zeros: x.shape)
      let gw = Tensor(zeros: w.shape)
      let reps = Swift.max(1, Swift.min(20, Int(2e9 / g.forwardFLOPs)))
      convWinograd = .off
      let today = g.forwardKernel + " " + g.backwardKernel
      convWinograd = .auto
      let auto = g.forwardKernel + " " + g.backwardKernel
      let sgemm = EngineBench.sgemmGFLOPS()
      // Per pass: [today, F2, F4] seconds over the rounds.
      let modes = [WinogradChoice.off, .f2, .f4]
      var times = [[[Double]]](repeating: [[], [], []], count: 3)
      for _ in 0..<rounds {
        for (k, mode) in modes.enumerated() {
          convWinograd = mode
          times[0][k].append(seconds(reps: reps) { conv2dForward(x: x.data, weight: w.data, bias: nil, out: y.data, g) })
          times[1][k].append(
            seconds(reps: reps) {
              conv2dBackward(x: x.data, weight: w.data, gout: gout.data, gx: gx.data, gw: nil, gb: nil, g)
            })
          times[2][k].append(
            seconds(reps: reps) {
              conv2dBackward(x: x.data, weight: w.data, gout: gout.data, gx: nil, gw: gw.data, gb: nil, g)
            })
        }
      }
      var line = String(
        format: "%3d  %3d  %4d  %@  %5.0f", s.c, s.o, s.size, today.padding(toLength: 22, withPad: " ", startingAt: 0),
        sgemm)
      for pass in times {
        let (t0, t2, t4) = (median(pass[0]), median(pass[1]), median(pass[2]))
        line += String(
          format: "  %7.2f %7.2f %7.2f %5.2f %5.2f %4.2f", 1000 * t0, 1000 * t2, 1000 * t4, t0 / t2, t0 / t4,
          g.forwardFLOPs / Swift.min(t0, t2, t4) / 1e9 / sgemm)
      }
      out(line + "  " + auto)
    }
  }
}

extension WinogradBench {
  /// `lmlab bench train --winograd-ab`: training steps of each case with Winograd off
  /// (LMLAB_CONV_WINOGRAD=0's paths), auto with F(2×2) alone (as before F(4×4)) and auto,
  /// rotating step by step in one process on the same trainer, medians of each (after one
  /// warm-up step of each).
  public static func trainAB(steps: Int, only: String?, print out: (String) -> Void) throws {
    let saved = (convWinograd, winogradAutoAllowsF4)
    defer { (convWinograd, winogradAutoAllowsF4) = saved }
    out(
      "training step with Winograd off, auto with F2 only, auto (F2 and F4), rotating steps in one process "
        + "(\(steps) each after a warm-up), medians")
    out("case              batch  off s/step  auto-F2 s/step  auto s/step  speed-up F2  speed-up auto  auto vs auto-F2")
    for label in only.map({ [$0] }) ?? TrainBench.defaultLabels {
      let c = try TrainBench.loadCase(label)
      let (trainer, batches) = try TrainBench.trainerAndBatches(c.config, count: 3 * steps + 3)
      var times: [[Double]] = [[], [], []]
      for (i, b) in batches.enumerated() {
        let k = i % 3
        (convWinograd, winogradAutoAllowsF4) = k == 0 ? (.off, true) : (.auto, k == 2)
        let t = TrainBench.stepTimes(trainer, [b])[0]
        if i >= 3 { times[k].append(t) }
      }
      let (off, f2, auto) = (median(times[0]), median(times[1]), median(times[2]))
      func list(_ xs: [Double]) -> String { xs.map { String(format: "%.2f", $0) }.joined(separator: " ") }
      out(
        label.padding(toLength: 16, withPad: " ", startingAt: 0)
          + String(
            format: "  %5d  %10.3f  %14.3f  %11.3f  %11.2f  %13.2f  %15.2f", c.config.pairs.batchSize, off, f2, auto,
            off / f2, off / auto, f2 / auto))
      out("  steps off: \(list(times[0])); auto-F2: \(list(times[1])); auto: \(list(times[2]))")
    }
  }
}
