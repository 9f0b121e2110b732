// EfficientNet-Lite0 without its ImageNet weights: the state dict is the package's (every key and
// shape), parameters and buffers are apart, the network is frozen, loading is strict and names
// the key (and file), feature shapes, and gradients reach the input.
import FeatureNetworks
import Foundation
import Storage
import TensorEngine
import XCTest

final class EfficientNetStructureTests: XCTestCase {
  struct KeyFile: Decodable {
    let parameter_count: Int
    let tensor_count: Int
    let shapes: [String: [Int]]
  }

  func testStateDictIsThePackages() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.path("efficientnet_lite0_keys.json")))
    let keys = try JSONDecoder().decode(KeyFile.self, from: data)
    let net = EfficientNetLite0()
    let own = net.stateDict()
    XCTAssertEqual(own.count, 296)
    XCTAssertEqual(keys.tensor_count, 296)
    XCTAssertEqual(Set(own.map(\.0)), Set(keys.shapes.keys))
    var compared = 0
    for (key, t) in own {
      XCTAssertEqual(t.shape, keys.shapes[key], key)
      compared += 1
    }
    XCTAssertEqual(compared, 296)
    XCTAssertEqual(net.parameterCount, 4_652_008)
    XCTAssertEqual(keys.parameter_count, 4_652_008)
    // Buffers: the 49 batch norms' running_mean, running_var, num_batches_tracked; nothing else.
    let buffers = net.namedBuffers().map(\.0)
    XCTAssertEqual(buffers.count, 147)
    XCTAssertTrue(buffers.allSatisfy { $0.hasSuffix(".running_mean") || $0.hasSuffix(".running_var") || $0.hasSuffix(".num_batches_tracked") })
    XCTAssertEqual(net.namedParameters().count, 149)
    XCTAssertTrue(net.namedParameters().allSatisfy { !$0.0.contains("running") && !$0.0.contains("num_batches") })
  }

  func testFrozenAndNotPretrained() {
    let net = EfficientNetLite0(seed: 3)
    XCTAssertTrue(net.isFrozen)
    XCTAssertTrue(net.parameters.allSatisfy { !$0.requiresGrad })
    XCTAssertFalse(net.isPretrained)
    XCTAssertEqual(net.source, "random-seed-3")
  }

  func testStrictLoadingNamesTheKey() throws {
    let source = EfficientNetLite0(seed: 1)
    var dict = Dictionary(uniqueKeysWithValues: source.stateDict().map { ($0.0, $0.1.copy()) })
    let net = EfficientNetLite0(seed: 2)
    try net.load(stateDict: dict, source: "memory")
    XCTAssertTrue(net.isPretrained)
    XCTAssertEqual(net.stateDict().map { $0.1.values }, source.stateDict().map { $0.1.values })

    var missing = dict
    missing["_blocks.3._bn1.running_var"] = nil
    XCTAssertThrowsError(try EfficientNetLite0().load(stateDict: missing, source: "m")) {
      XCTAssertEqual($0 as? StateDictError, .missing(key: "_blocks.3._bn1.running_var"))
    }
    var extra = dict
    extra["_blocks.3._se_reduce.weight"] = Tensor(zeros: [6, 144, 1, 1])
    XCTAssertThrowsError(try EfficientNetLite0().load(stateDict: extra, source: "m")) {
      XCTAssertEqual($0 as? StateDictError, .unexpected(key: "_blocks.3._se_reduce.weight"))
    }
    dict["_blocks.12._depthwise_conv.weight"] = Tensor(zeros: [1152, 1, 3, 3])
    let failed = EfficientNetLite0()
    XCTAssertThrowsError(try failed.load(stateDict: dict, source: "m")) {
      XCTAssertEqual(
        $0 as? StateDictError,
        .shapeMismatch(key: "_blocks.12._depthwise_conv.weight", expected: [1152, 1, 5, 5], found: [1152, 1, 3, 3]))
    }
    XCTAssertFalse(failed.isPretrained)
  }

  /// Through an HDF5 file: the error names the file and the key.
  func testStrictLoadingFromHDF5NamesFileAndKey() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("effnet-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("lite0.h5").path
    let file = try HDF5File(path: path, mode: .create)
    for (key, t) in EfficientNetLite0(seed: 4).stateDict() where key != "_fc.bias" { try file.write(key, tensor: t) }
    try file.close()
    XCTAssertThrowsError(try EfficientNetLite0Weights.load(path: path)) {
      XCTAssertEqual($0 as? StorageError, .stateDict(path: path, .missing(key: "_fc.bias")))
      XCTAssertTrue("\($0)".contains(path) && "\($0)".contains("_fc.bias"), "\($0)")
    }
  }

  func testFeatureAndLogitShapes() {
    let net = EfficientNetLite0(seed: 5)
    withNoGrad {
      for (size, expect) in [(64, [32, 32, 16, 8, 4, 2]), (50, [25, 25, 13, 7, 4, 2])] {
        let f = net.features(randn([2, 3, size, size], seed: 6))
        XCTAssertEqual(f.map(\.shape), zip(EfficientNetLite0.featureChannels, expect).map { [2, $0, $1, $1] }, "\(size) px")
        XCTAssertTrue(f.allSatisfy { $0.values.allSatisfy(\.isFinite) })
      }
      XCTAssertEqual(net.logits(randn([3, 3, 40, 40], seed: 7)).shape, [3, 1000])
    }
  }

  /// A perceptual loss back-propagates through the frozen network into its input.
  func testGradientReachesInputOnly() {
    let net = EfficientNetLite0(seed: 8)
    let x = randn([1, 3, 32, 32], seed: 9)
    x.requiresGrad = true
    let feats = net.features(EfficientNetLite0.input(fromMinusOneToOne: x))
    var loss = feats[0].pow(2).mean()
    for f in feats.dropFirst() { loss = loss + f.pow(2).mean() }
    loss.backward()
    let g = x.grad?.values ?? []
    XCTAssertEqual(g.count, 3 * 32 * 32)
    XCTAssertTrue(g.allSatisfy(\.isFinite))
    XCTAssertGreaterThan(g.filter { $0 != 0 }.count, g.count / 2)
    XCTAssertTrue(net.parameters.allSatisfy { $0.grad == nil })
  }

  func testInputConversions() {
    let x = Tensor([-1, 0, 1], shape: [3])
    let a = EfficientNetLite0.input(fromMinusOneToOne: x).values
    let b = EfficientNetLite0.input(fromZeroToOne: (x + 1) * 0.5).values
    // (p − 127) / 128 at p = 0, 127.5, 255.
    for (v, want) in zip(a, [-127.0 / 128, 0.5 / 128, 1]) { XCTAssertEqual(Double(v), want, accuracy: 1e-6) }
    for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-6) }
  }
}

func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
  var rng = SeededRNG(seed: seed)
  return Tensor.normal(shape, std: scale, rng: &rng)
}
