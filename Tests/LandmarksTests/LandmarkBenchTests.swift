// Timing of one training step (forward + backward + Adam) for `ref-64` and the slim demo
// config at 64 px, batch 8. Skipped unless LANDMARKS_BENCH=1 (kernel-heavy; run in release):
//   LANDMARKS_BENCH=1 swift test -c release -Xswiftc -enable-testing \
//     --scratch-path .build-landmarks --filter LandmarkBenchTests
// LANDMARKS_BENCH_STEPS (default 3) sets the timed steps; LANDMARKS_BENCH_CONFIG picks one config.
import Foundation
import TensorEngine
import XCTest

@testable import Landmarks

final class LandmarkBenchTests: XCTestCase {
  static var configs: [(String, ModelConfig, Bool)] {
    var ref = ModelConfig()
    ref.imgSize = 64
    ref.nLandmarks = 30
    ref.nsf = 6
    ref.ngc = 64
    ref.nFilters = 32
    var slim = ModelConfig()
    slim.imgSize = 64
    slim.nLandmarks = 10
    slim.nsf = 4
    slim.ngc = 16
    slim.nFilters = 16
    slim.poseDecoderChannels = [128, 64, 32]
    slim.spadeHidden = 32
    return [("slim", slim, false), ("ref-64", ref, false), ("ref-64+vgg", ref, true)]
  }

  func testStepTime() throws {
    let env = ProcessInfo.processInfo.environment
    guard env["LANDMARKS_BENCH"] == "1" else { throw XCTSkip("set LANDMARKS_BENCH=1 to time training steps") }
    let steps = Int(env["LANDMARKS_BENCH_STEPS"] ?? "") ?? 3
    for (name, config, useVGG) in Self.configs where env["LANDMARKS_BENCH_CONFIG"].map({ $0 == name }) ?? true
    {
      var rng = SeededRNG(seed: 0)
      let model = try LandmarkModel(config: config, rng: &rng)
      let x = Tensor.uniform([8, 3, 64, 64], -1, 1, rng: &rng)
      let y = Tensor.uniform([8, 3, 64, 64], -1, 1, rng: &rng)
      let vgg = useVGG ? PerceptualLoss(features: VGG19Features(rng: &rng)) : nil
      let adam = Adam(model.namedParameters(), lr: 1e-4, weightDecay: 5e-6)
      var times: [Double] = []
      var parts: [String: Double] = [:]
      for i in 0..<(steps + 1) {
        let t0 = Date()
        adam.zeroGrad()
        let out = model(pose: x, appearance: y)
        var loss = Tensor.mseLoss(out.reconstruction, x)
        if let vgg { loss = loss + vgg(out.reconstruction, x) }
        let t1 = Date()
        loss.backward()
        let t2 = Date()
        adam.step()
        let t3 = Date()
        if i > 0 {
          times.append(t3.timeIntervalSince(t0))
          parts["forward", default: 0] += t1.timeIntervalSince(t0) / Double(steps)
          parts["backward", default: 0] += t2.timeIntervalSince(t1) / Double(steps)
          parts["adam", default: 0] += t3.timeIntervalSince(t2) / Double(steps)
        }
      }
      times.sort()
      let peak = MemoryStats.processMemory().peakRSS
      print(
        String(
          format:
            "[bench] %@ batch 8: median %.3f s/step (min %.3f; forward %.3f, backward %.3f, adam %.3f), %.2f M params, peak RSS %.0f MB",
          name, times[times.count / 2], times[0], parts["forward"]!, parts["backward"]!, parts["adam"]!,
          Double(model.parameterCount) / 1e6, Double(peak) / 1e6))
    }
  }

  /// The convolution geometries that carry most of `ref-64`'s FLOPs (input shape, out channels;
  /// 3×3, stride 1, pad 1): forward + backward (input and weight gradients) seconds each.
  /// LANDMARKS_BENCH=conv; compare with `make_landmark_fixtures.py --bench-conv`.
  static let convGeometries: [([Int], Int)] = [
    ([8, 128, 64, 64], 64), ([8, 128, 32, 32], 128), ([8, 432, 16, 16], 432), ([8, 30, 64, 64], 128),
    ([8, 512, 8, 8], 512), ([8, 128, 64, 64], 32),
  ]

  func testConvGeometryTimes() throws {
    guard ProcessInfo.processInfo.environment["LANDMARKS_BENCH"] == "conv" else {
      throw XCTSkip("set LANDMARKS_BENCH=conv to time the dominant conv geometries")
    }
    var rng = SeededRNG(seed: 0)
    for (shape, o) in Self.convGeometries {
      let x = Tensor.uniform(shape, -1, 1, rng: &rng)
      x.requiresGrad = true
      let w = Tensor.xavierUniform([o, shape[1], 3, 3], rng: &rng)
      w.requiresGrad = true
      let b = Tensor(repeating: 0.1, shape: [o])
      b.requiresGrad = true
      var best = (Double.infinity, Double.infinity)
      for _ in 0..<4 {
        let t0 = Date()
        let y = Tensor.conv2d(x, weight: w, bias: b, stride: 1, padding: 1)
        let t1 = Date()
        y.backward(Tensor(repeating: 1, shape: y.shape))
        let t2 = Date()
        best = (Swift.min(best.0, t1.timeIntervalSince(t0)), Swift.min(best.1, t2.timeIntervalSince(t1)))
        x.zeroGrad()
        w.zeroGrad()
        b.zeroGrad()
      }
      let gflop = 2 * Double(shape[0] * o * shape[2] * shape[3] * shape[1] * 9) / 1e9
      print(
        String(
          format: "[conv] %@ -> %d: forward %.3f s (%.0f GFLOP/s), backward %.3f s (%.0f GFLOP/s)",
          "\(shape)", o,
          best.0, gflop / best.0, best.1, 2 * gflop / best.1))
    }
  }
}
