// EfficientNet-Lite0 with its ImageNet weights on two real photographs (scikit-image's chelsea and
// coffee at 224 px) against the float64 PyTorch reference of Experiments/tools/
// make_feature_network_fixtures.py: features at every tap (per-channel spatial mean and RMS, 256
// sampled values) and logits to 1e-4 of each vector's largest magnitude, and the top-5 classes.
// Skipped with the reason when the weights are absent; a failure when CI=true.
import FeatureNetworks
import Storage
import TensorEngine
import XCTest

final class EfficientNetImageNetTests: XCTestCase {
  static let photoNames = ["chelsea", "coffee"]

  func testFeaturesMatchPyTorch() throws {
    let net = try PretrainedWeights.network()
    let ref = try Fixtures.file("effnet_reference.h5")
    let x = EfficientNetLite0.input(fromMinusOneToOne: try Fixtures.photos(size: 224))
    let taps = withNoGrad { net.features(x) }
    XCTAssertEqual(taps.map(\.shape), zip(EfficientNetLite0.featureChannels, [112, 112, 56, 28, 14, 7]).map { [2, $0, $1, $1] })
    var compared = 0
    ComparisonLog.reset()
    defer { ComparisonLog.report("features") }
    for (row, photo) in Self.photoNames.enumerated() {
      for (name, t) in zip(EfficientNetLite0.featureNames, taps) {
        let (c, hw) = (t.shape[1], t.shape[2] * t.shape[3])
        let base = t.data + row * c * hw
        var mean = [Float](repeating: 0, count: c)
        var rms = [Float](repeating: 0, count: c)
        for ch in 0..<c {
          var (s, s2) = (0.0, 0.0)
          for p in 0..<hw {
            let v = Double(base[ch * hw + p])
            s += v
            s2 += v * v
          }
          mean[ch] = Float(s / Double(hw))
          rms[ch] = Float((s2 / Double(hw)).squareRoot())
        }
        let group = "\(photo)/\(name)"
        compared += compareScaled(mean, try ref.readDoubles("\(group)/channel_mean").values, tol: 1e-4, "\(group) channel mean")
        compared += compareScaled(rms, try ref.readDoubles("\(group)/channel_rms").values, tol: 1e-4, "\(group) channel rms")
        let index = try ref.readInt64s("\(group)/sample_index").values
        compared += compareScaled(
          index.map { base[Int($0)] }, try ref.readDoubles("\(group)/sample_value").values, tol: 1e-4, "\(group) samples")
      }
    }
    // 2 photos × (2 × (32 + 16 + 24 + 40 + 112 + 320) channel statistics + 6 taps × 256 samples).
    XCTAssertEqual(compared, 2 * (2 * 544 + 6 * 256))
  }

  func testLogitsAndTop5() throws {
    let net = try PretrainedWeights.network()
    let ref = try Fixtures.file("effnet_reference.h5")
    let x = EfficientNetLite0.input(fromMinusOneToOne: try Fixtures.photos(size: 224))
    let logits = withNoGrad { net.logits(x) }
    XCTAssertEqual(logits.shape, [2, 1000])
    var compared = 0
    ComparisonLog.reset()
    defer { ComparisonLog.report("logits") }
    let wanted: [Set<Int>] = [Set(281...285), [504, 967, 968]]  // a cat; coffee mug, espresso, cup
    for (row, photo) in Self.photoNames.enumerated() {
      let mine = Array(logits.values[(row * 1000)..<((row + 1) * 1000)])
      compared += compareScaled(mine, try ref.readDoubles("\(photo)/logits").values, tol: 1e-4, "\(photo) logits")
      let top5 = mine.indices.sorted { mine[$0] > mine[$1] }.prefix(5)
      XCTAssertFalse(wanted[row].isDisjoint(with: top5), "\(photo): top-5 \(Array(top5)) holds none of \(wanted[row].sorted())")
      XCTAssertEqual(Array(top5), try ref.readInt64s("\(photo)/top5").values.map { Int($0) }, "\(photo): top-5 differs from PyTorch's")
    }
    XCTAssertEqual(compared, 2000)
  }

  /// The 64 px photos through the network: the features the perceptual loss sees at the demo's
  /// size are finite and shaped (the values are covered by the distance fixture in MetricsTests).
  func testSmallImages() throws {
    let net = try PretrainedWeights.network()
    let x = EfficientNetLite0.input(fromMinusOneToOne: try Fixtures.photos(size: 64))
    let taps = withNoGrad { net.features(x) }
    XCTAssertEqual(taps.map { $0.shape[2] }, [32, 32, 16, 8, 4, 2])
    XCTAssertTrue(taps.allSatisfy { $0.values.allSatisfy(\.isFinite) })
  }
}
