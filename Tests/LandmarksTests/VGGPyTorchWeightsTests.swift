// VGGPyTorchWeightsTests: VGG19Features reads torchvision's own vgg19 .pth (its state-dict
// layout, tiny widths: Experiments/tools/make_pytorch_fixtures.py), taking features[:23] and
// leaving the deeper convs and the classifier unread, with the same values and features as the
// HDF5 file export_vgg19.py would make from it.
import Foundation
import Storage
import TensorEngine
import XCTest

@testable import Landmarks

final class VGGPyTorchWeightsTests: XCTestCase {
  func testTorchvisionLayoutLoadsLikeItsHDF5Export() throws {
    let pth = try XCTUnwrap(
      Bundle.module.url(forResource: "Fixtures/vgg19_tiny_torchvision", withExtension: "pth")?.path,
      "fixture vgg19_tiny_torchvision.pth missing (run Experiments/tools/make_pytorch_fixtures.py)")
    let vgg = try VGG19Features.load(path: pth)
    XCTAssertFalse(vgg.isRandom)
    XCTAssertEqual(vgg.source, pth)
    let file = try PyTorchCheckpoint.stateDict(path: pth)
    XCTAssertEqual(file.count, 38, "16 convs and 3 linear layers in the file")
    var compared = 0
    for (name, t) in vgg.stateDict() {
      let source = try XCTUnwrap(file["features." + name], name)
      XCTAssertEqual(t.shape, source.shape, name)
      XCTAssertEqual(t.values.map(\.bitPattern), source.values.map(\.bitPattern), name)
      compared += 1
    }
    XCTAssertEqual(compared, 20, "features[:23]: 10 convs, weight and bias")
    // The HDF5 export of the same tensors (features[:23] only) gives the same features.
    let h5 = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-\(UUID().uuidString).h5").path
    defer { try? FileManager.default.removeItem(atPath: h5) }
    let kept = file.filter { key, _ in
      key.hasPrefix("features.") && Int(key.split(separator: ".")[1])! < 23
    }
    try WeightsFile.writeHDF5(
      kept.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }, to: h5)
    let fromH5 = try VGG19Features.load(path: h5)
    var rng = SeededRNG(seed: 3)
    let x = Tensor.uniform([1, 3, 16, 16], -1, 1, rng: &rng)
    let (fromPth, fromHDF5) = (vgg.taps(x), fromH5.taps(x))
    XCTAssertEqual(fromPth.count, 4)
    XCTAssertEqual(fromHDF5.count, 4)
    for (a, b) in zip(fromPth, fromHDF5) {
      XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern))
    }
  }
}
