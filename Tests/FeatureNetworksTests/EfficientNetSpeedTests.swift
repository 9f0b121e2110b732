// Speed of the depthwise convs and of the whole network (LMLAB_BENCH=1 only; skipped otherwise).
// The PyTorch side: `python3 Experiments/tools/make_feature_network_fixtures.py --bench` (same
// shapes, torch.set_num_threads(2), best of 5 rounds).
import FeatureNetworks
import Foundation
import TensorEngine
import XCTest

final class EfficientNetSpeedTests: XCTestCase {
  /// Best of 5 rounds of `reps` calls, in ms per call.
  func time(_ reps: Int, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<5 {
      let t0 = Date()
      for _ in 0..<reps { body() }
      best = min(best, Date().timeIntervalSince(t0) / Double(reps))
    }
    return best * 1e3
  }

  func testSpeed() throws {
    guard ProcessInfo.processInfo.environment["LMLAB_BENCH"] == "1" else { throw XCTSkip("speed: set LMLAB_BENCH=1") }
    print("engine threads \(engineThreads), BLAS threads \(blasThreads) (best of 5 rounds, ms per call)")
    for (n, c, size, k, s) in [(1, 32, 112, 3, 1), (1, 96, 112, 3, 2), (1, 144, 56, 5, 2), (1, 672, 14, 5, 1), (1, 1152, 7, 5, 1), (8, 96, 32, 3, 2), (8, 240, 8, 5, 1)] {
      let x = randn([n, c, size, size], seed: 1)
      let w = randn([c, 1, k, k], seed: 2, scale: 0.2)
      let pad = Padding2d.tfSame(height: size, width: size, kernel: k, stride: s)
      let fwd = time(20) { _ = withNoGrad { Tensor.depthwiseConv2d(x, weight: w, bias: nil, stride: s, padding: pad) } }
      x.requiresGrad = true
      let gy = randn([n, c, (size + s - 1) / s, (size + s - 1) / s], seed: 3)
      let both = time(10) {
        let y = Tensor.depthwiseConv2d(x, weight: w, bias: nil, stride: s, padding: pad)
        y.backward(gy)
        x.grad = nil
      }
      print(String(format: "depthwise n%d c%d %dx%d k%d s%d: forward %.3f  forward+input grad %.3f", n, c, size, size, k, s, fwd, both))
    }
    let net = EfficientNetLite0(seed: 1)
    for (n, size) in [(1, 224), (8, 64)] {
      let x = randn([n, 3, size, size], seed: 4)
      let logits = time(5) { _ = withNoGrad { net.logits(x) } }
      let features = time(5) { _ = withNoGrad { net.features(x) } }
      x.requiresGrad = true
      let backward = time(3) {
        let f = net.features(x)
        var loss = f[0].mean()
        for t in f.dropFirst() { loss = loss + t.mean() }
        loss.backward()
        x.grad = nil
      }
      print(String(format: "network n%d %dpx: logits %.2f  features %.2f  features+input grad %.2f", n, size, logits, features, backward))
      // Where the time goes: one profiled forward + backward.
      OpProfile.enabled = true
      OpProfile.reset()
      let f = net.features(x)
      var loss = f[0].mean()
      for t in f.dropFirst() { loss = loss + t.mean() }
      loss.backward()
      x.grad = nil
      OpProfile.enabled = false
      let total = OpProfile.entries.reduce(0) { $0 + $1.seconds }
      for e in OpProfile.entries.prefix(6) {
        print(String(format: "  %-18@ forward %6.2f ms  backward %6.2f ms  (%4.1f%%)", e.name, e.forwardSeconds * 1e3, e.backwardSeconds * 1e3, 100 * e.seconds / total))
      }
    }
  }
}
