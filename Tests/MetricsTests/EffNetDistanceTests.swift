// effnet-lite0-dist: against the float64 PyTorch computation of the same recipe
// (Experiments/tools/make_feature_network_fixtures.py → Fixtures/effnet_dist.h5) with the ImageNet
// weights (skipped with the reason when absent, a failure when CI=true), and the properties that
// need no weights: zero for identical frames, symmetry, one value per frame, the range conversion,
// NaN never hidden, the name.
import EvalMetrics
import FeatureNetworks
import Foundation
import Storage
import TensorEngine
import TestSupport
import XCTest

final class EffNetDistanceTests: XCTestCase {
  /// The ImageNet network, or a skip (a failure under CI=true) naming the missing file.
  static func pretrained() throws -> EfficientNetLite0 {
    let path = EfficientNetLite0Weights.pytorchPath
    guard FileManager.default.fileExists(atPath: path) else {
      throw componentMissing(.imagenetWeights, "not found at \(path): fetch it with `bash scripts/fetch-weights.sh`")
    }
    return try EfficientNetLite0Weights.load(path: path)
  }

  /// The fixture's batches: (chelsea, coffee), (coffee, chelsea), (chelsea, chelsea flipped
  /// left-right), (coffee, coffee · 0.5), in [−1, 1].
  static func pairs(size: Int) throws -> (reference: Tensor, predicted: Tensor, expected: [Double]) {
    let f = try HDF5File(path: try metricsFixture("effnet_dist.h5"))
    let (bytes, shape) = try f.readUInt8s("images_\(size)")
    XCTAssertEqual(shape, [2, 3, size, size])
    let photo = bytes.map { Float($0) / 255 * 2 - 1 }
    let n = 3 * size * size
    let (chelsea, coffee) = (Array(photo[0..<n]), Array(photo[n..<(2 * n)]))
    var flipped = chelsea
    for row in 0..<(3 * size) {
      for col in 0..<size { flipped[row * size + col] = chelsea[row * size + size - 1 - col] }
    }
    let half = coffee.map { $0 * 0.5 }
    return (
      Tensor(chelsea + coffee + chelsea + coffee, shape: [4, 3, size, size]),
      Tensor(coffee + chelsea + flipped + half, shape: [4, 3, size, size]),
      try f.readDoubles("distance_\(size)").values
    )
  }

  func testMatchesPyTorch() throws {
    let net = try Self.pretrained()
    var compared = 0
    var worst = 0.0
    defer { print(String(format: "effnet-lite0-dist vs PyTorch: worst relative error %.2e", worst)) }
    for size in [64, 128] {
      let (a, b, expected) = try Self.pairs(size: size)
      let scores = effnetLite0Distance(reference: a, predicted: b, range: .minusOneToOne, network: net)
      XCTAssertEqual(scores.metric, "effnet-lite0-dist")
      XCTAssertEqual(scores.direction, .lowerIsBetter)
      XCTAssertEqual(scores.values.count, 4)
      // 1e-4 relative per value (TestSupport: NaN or infinity fails, naming the pair).
      let c = assertClose(scores.values, expected, .relative(1e-4), "\(size) px pairs vs PyTorch")
      if c.worst.isFinite { worst = max(worst, c.worst) }
      compared += c.count
    }
    XCTAssertEqual(compared, 8)
  }

  func testPropertiesWithoutWeights() throws {
    let net = EfficientNetLite0(seed: 7)
    let (a, b, _) = try Self.pairs(size: 64)
    let ab = effnetLite0Distance(reference: a, predicted: b, range: .minusOneToOne, network: net)
    XCTAssertEqual(ab.metric, "effnet-lite0-dist-randombackbone")
    XCTAssertEqual(ab.version, EffNetDistance.version)
    XCTAssertEqual(ab.values.count, 4)
    XCTAssertTrue(ab.values.allSatisfy { $0.isFinite && $0 > 0 }, "\(ab.values)")
    let ba = effnetLite0Distance(reference: b, predicted: a, range: .minusOneToOne, network: net)
    // A frame's position in the batch changes sgemm's blocking, so swapping sides or comparing a
    // frame with itself agrees to float32 rounding, not bit for bit.
    for (x, y) in zip(ab.values, ba.values) { XCTAssertEqual(x, y, accuracy: 1e-6 * x) }
    let same = effnetLite0Distance(reference: a, predicted: a, range: .minusOneToOne, network: net).values
    XCTAssertEqual(same.count, 4)
    XCTAssertTrue(same.allSatisfy { $0 >= 0 && $0 <= 1e-9 }, "\(same)")
    // Frame i of a batch scores as it does alone.
    let one = effnetLite0Distance(
      reference: a.slice(axis: 0, start: 2, end: 3), predicted: b.slice(axis: 0, start: 2, end: 3), range: .minusOneToOne,
      network: net)
    XCTAssertEqual(one.values[0], ab.values[2], accuracy: 1e-6 * ab.values[2])
    // The same images given in [0, 1].
    let unit = effnetLite0Distance(reference: (a + 1) * 0.5, predicted: (b + 1) * 0.5, range: .zeroToOne, network: net)
    for (x, y) in zip(ab.values, unit.values) { XCTAssertEqual(x, y, accuracy: 1e-4 * x) }
  }

  func testNaNFrameGivesNaN() {
    let net = EfficientNetLite0(seed: 7)
    let a = Tensor(repeating: 0.1, shape: [2, 3, 32, 32])
    let b = Tensor(repeating: -0.2, shape: [2, 3, 32, 32])
    b.withMutableData { $0[5] = .nan }
    let v = effnetLite0Distance(reference: a, predicted: b, range: .minusOneToOne, network: net).values
    XCTAssertTrue(v[0].isNaN, "\(v)")
    XCTAssertTrue(v[1].isFinite, "\(v)")
  }

}
