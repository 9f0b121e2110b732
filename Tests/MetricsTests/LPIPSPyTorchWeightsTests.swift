import EvalMetrics
// LPIPSPyTorchWeightsTests: LPIPS weights given as a PyTorch file (the state dict of
// `lpips.LPIPS(net=...)`, with its `lins.*` aliases and `scaling_layer.*` constants) score
// exactly as the same weights in HDF5, and are never named plain "lpips-<net>". The .pth is
// written here from the HDF5 fixture in torch.save's legacy layout (a full backbone is too
// large to commit as an uncompressed .pth); Storage's reader is checked against torch itself
// in Tests/StorageTests.
import Foundation
import Storage
import TensorEngine
import XCTest

/// Writes float32 tensors as torch.save's legacy format would (protocol-2 pickles: magic
/// number, protocol version, sys_info, an OrderedDict of `_rebuild_tensor_v2` calls on
/// persistent storage ids, the storage keys; then each storage's int64 count and elements).
private func writeLegacyTorchFile(_ tensors: [(String, Tensor)], to path: String) throws {
  var out: [UInt8] = []
  func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
  func text(_ s: String) -> [UInt8] { [0x58] + le(UInt32(s.utf8.count)) + Array(s.utf8) }
  func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
  func int(_ v: Int) -> [UInt8] { [0x4A] + le(Int32(v)) }
  func tuple(_ values: [Int]) -> [UInt8] { [0x28] + values.flatMap(int) + [0x74] }
  func pickle(_ body: [UInt8]) { out += [0x80, 0x02] + body + [0x2E] }
  let emptyOrderedDict = global("collections", "OrderedDict") + [0x29, 0x52]
  pickle([0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])
  pickle([0x4D, 0xE9, 0x03])
  pickle([0x7D] + [0x28] + text("little_endian") + [0x88] + [0x75])
  var main = emptyOrderedDict + [0x28]
  for (i, (name, t)) in tensors.enumerated() {
    main += text(name) + global("torch._utils", "_rebuild_tensor_v2") + [0x28]
    main +=
      [0x28] + text("storage") + global("torch", "FloatStorage") + text(String(i)) + text("cpu")
      + int(t.count)
    main += [0x4E, 0x74, 0x51]  // None (no view), TUPLE, BINPERSID
    main +=
      int(0) + tuple(t.shape) + tuple(Tensor.strides(of: t.shape)) + [0x89] + emptyOrderedDict + [0x74, 0x52]
  }
  pickle(main + [0x75])
  pickle([0x5D, 0x28] + tensors.indices.flatMap { text(String($0)) } + [0x65])
  for (_, t) in tensors { out += le(Int64(t.count)) + t.values.flatMap { le($0.bitPattern) } }
  try Data(out).write(to: URL(fileURLWithPath: path))
}

final class LPIPSPyTorchWeightsTests: XCTestCase {
  func testStateDictFileScoresAsItsHDF5AndIsNotCalledLPIPS() throws {
    let h5 = try metricsFixture("lpips_squeeze.h5")
    let reference = try LPIPSModel(contentsOf: h5, net: .squeeze)
    let file = try HDF5File(path: h5)
    var tensors: [(String, Tensor)] = [
      ("scaling_layer.shift", Tensor([-0.030, -0.088, -0.188], shape: [1, 3, 1, 1])),
      ("scaling_layer.scale", Tensor([0.458, 0.448, 0.450], shape: [1, 3, 1, 1])),
    ]
    for key in try file.datasetPaths() { tensors.append((key, try file.readTensor(key))) }
    try file.close()
    let lins = tensors.filter { $0.0.hasPrefix("lin") }
    tensors += lins.map { ("lins." + $0.0.dropFirst(3), $0.1) }  // lin3.model.1.weight → lins.3.model.1.weight
    let pth = FileManager.default.temporaryDirectory.appendingPathComponent("lpips-\(UUID().uuidString).pth")
      .path
    defer { try? FileManager.default.removeItem(atPath: pth) }
    try writeLegacyTorchFile(tensors, to: pth)
    XCTAssertEqual(try WeightsFile.kind(ofFileAt: pth), .pytorch)

    let model = try LPIPSModel(contentsOf: pth, net: .squeeze)
    XCTAssertEqual(model.metricName, "lpips-squeeze-backbone-pytorch-file-uncalibrated")
    XCTAssertFalse(model.isCalibrated)
    let f = try ImageFixture(size: 64)
    let a = lpipsDistance(reference: f.reference, predicted: f.distorted, model: model).values
    let b = lpipsDistance(reference: f.reference, predicted: f.distorted, model: reference).values
    XCTAssertEqual(a.count, b.count)
    XCTAssertGreaterThan(a.count, 0)
    XCTAssertTrue(a.allSatisfy(\.isFinite))
    XCTAssertEqual(a, b, "same weights, same scores (bit for bit)")
  }
}
