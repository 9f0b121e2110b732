// PyTorchCheckpointTests: torch.save files (zip and legacy formats) read natively against the
// values torch itself gives (fixtures from Experiments/tools/make_pytorch_fixtures.py), hostile
// and damaged files refused by name, the weights-file entry point, and the real ImageNet
// EfficientNet-Lite0 file when scripts/fetch-weights.sh has put it in the cache.
import Foundation
import TensorEngine
import TestSupport
import XCTest

@testable import Storage

/// Mirrors make_pytorch_fixtures.py's TinyModel: `weight` [2, 3], `conv.bias` [2], buffer `conv.weight_u` [2].
private final class TinyModel: Module {
  override init() {
    super.init()
    parameter("weight", Tensor(zeros: [2, 3]))
    let conv = child("conv", Module())
    conv.parameter("bias", Tensor(zeros: [2]))
    conv.buffer("weight_u", Tensor(zeros: [2]))
  }
}

/// A committed fixture; missing is a failure (they are in the repository), never a skip.
private func fixture(_ name: String) throws -> String {
  guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
    XCTFail(
      "fixture \(name) is missing from the test bundle (run Experiments/tools/make_pytorch_fixtures.py)")
    throw CocoaError(.fileNoSuchFile)
  }
  return url.path
}

private func json(_ name: String) throws -> [String: Any] {
  let data = try Data(contentsOf: URL(fileURLWithPath: try fixture(name)))
  return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// The error `body` throws, as a PyTorchError (fails when it throws nothing or something else).
private func pyTorchError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line)
  -> PyTorchError?
{
  do {
    try body()
    XCTFail("expected a PyTorchError, nothing was thrown", file: file, line: line)
  } catch let e as PyTorchError {
    return e
  } catch {
    XCTFail("expected a PyTorchError, got \(error)", file: file, line: line)
  }
  return nil
}

final class PyTorchCheckpointTests: XCTestCase {
  // MARK: Values against torch

  /// Compares every tensor (name, order, dtype, shape, float32 bits) and every metadata leaf
  /// of `name` with pytorch_expected.json; returns (tensors, metadata) compared.
  @discardableResult
  private func compareWithTorch(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws
    -> (Int, Int)
  {
    let expected = try XCTUnwrap(
      try json("pytorch_expected.json")[name] as? [String: Any], "no expectations for \(name)")
    let contents = try PyTorchCheckpoint.contents(path: try fixture(name))
    XCTAssertEqual(
      contents.format.rawValue, expected["format"] as? String, "\(name): format", file: file, line: line)
    let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
    XCTAssertEqual(
      contents.tensors.map(\.name), tensors.map { $0["name"] as! String }, "\(name): names in file order",
      file: file, line: line)
    var compared = 0
    for (got, want) in zip(contents.tensors, tensors) {
      let label = "\(name): \(got.name)"
      XCTAssertEqual(got.dtype, want["dtype"] as? String, "\(label): dtype", file: file, line: line)
      XCTAssertEqual(got.tensor.shape, want["shape"] as? [Int], "\(label): shape", file: file, line: line)
      let bits = (want["bits"] as! [NSNumber]).map { UInt32(truncating: $0) }
      XCTAssertEqual(got.tensor.count, bits.count, "\(label): element count", file: file, line: line)
      guard got.tensor.count == bits.count else { continue }
      for i in 0..<bits.count {
        let value = got.tensor.data[i]
        let want = Float(bitPattern: bits[i])
        // NaN payloads are compared for float32 only (copied); torch's own float16 → float32 NaN
        // payload depends on its code path (see the fixture script).
        let same = want.isNaN && got.dtype != "float32" ? value.isNaN : value.bitPattern == bits[i]
        if !same {
          XCTFail(
            "\(label): element \(i) is \(value) (0x\(String(value.bitPattern, radix: 16))), torch gives \(want) (0x\(String(bits[i], radix: 16)))",
            file: file, line: line)
          break
        }
      }
      compared += 1
    }
    let metadata = try XCTUnwrap(expected["metadata"] as? [[Any]])
    XCTAssertEqual(
      contents.metadata.map { $0.name }, metadata.map { $0[0] as! String }, "\(name): metadata names",
      file: file, line: line)
    var comparedMetadata = 0
    for (got, want) in zip(contents.metadata, metadata) {
      let expectedValue: PyTorchValue
      switch want[1] as! String {
      case "none": expectedValue = .none
      case "bool": expectedValue = .bool((want[2] as! NSNumber).boolValue)
      case "int": expectedValue = .int((want[2] as! NSNumber).int64Value)
      case "float": expectedValue = .float(Double(bitPattern: UInt64(want[2] as! String, radix: 16)!))
      default: expectedValue = .string(want[2] as! String)
      }
      XCTAssertEqual(got.value, expectedValue, "\(name): metadata \(got.name)", file: file, line: line)
      comparedMetadata += 1
    }
    return (compared, comparedMetadata)
  }

  func testDtypesViewsAndSharedStoragesMatchTorchInBothFormats() throws {
    for name in ["pytorch_dtypes_zip.pt", "pytorch_dtypes_legacy.pt", "pytorch_dtypes_proto4_zip.pt"] {
      let (tensors, metadata) = try compareWithTorch(name)
      XCTAssertEqual(tensors, 16, "\(name): tensors compared")
      XCTAssertEqual(metadata, 0)
      // Facts that do not depend on the JSON: the layout cases are what they claim to be.
      let d = try PyTorchCheckpoint.stateDict(path: try fixture(name))
      XCTAssertEqual(d["shared.part"]?.values, [104, 105, 106, 107, 108, 109], name)  // storage offset 4
      XCTAssertEqual(d["shared.whole"]?.values.prefix(5).map { $0 }, [100, 101, 102, 103, 104], name)
      XCTAssertEqual(d["sliced"]?.values, [8, 10, 14, 16, 20, 22], name)  // offset 8, strides (6, 2)
      XCTAssertEqual(d["transposed"]?.shape, [4, 3], name)
      // The transpose walks the base column by column.
      XCTAssertEqual(d["transposed"]?.values.prefix(4).map { $0 }, [-1, 1, 3, -0.5], name)
      XCTAssertEqual(d["expanded"]?.values, [1.5, -2, 3.25, 1.5, -2, 3.25], name)  // stride 0
      XCTAssertEqual(d["scalar"]?.shape, [], name)
      XCTAssertEqual(d["empty"]?.shape, [0, 3], name)
      XCTAssertEqual(
        d["f32"]?.data[6].bitPattern, 0x7FA0_0001, "\(name): float32 signalling-NaN payload kept")
    }
  }

  func testLightningCheckpointFlattensToDottedNamesWithMetadata() throws {
    for name in ["pytorch_lightning_zip.ckpt", "pytorch_lightning_legacy.ckpt"] {
      let (tensors, metadata) = try compareWithTorch(name)
      XCTAssertEqual(tensors, 19, "\(name): tensors compared (7 model tensors, 12 Adam state tensors)")
      XCTAssertEqual(metadata, 26, "\(name): metadata leaves compared")
      let contents = try PyTorchCheckpoint.contents(path: try fixture(name))
      let names = Set(contents.tensors.map(\.name))
      XCTAssertTrue(names.contains("state_dict.model.0.weight"), name)
      XCTAssertTrue(names.contains("optimizer_states.0.state.0.exp_avg"), name)
      XCTAssertEqual(
        contents.tensors.first { $0.name == "state_dict.model.1.num_batches_tracked" }?.dtype, "int64")
      XCTAssertEqual(contents.metadata.first { $0.name == "epoch" }?.value, .int(3), name)
      XCTAssertEqual(
        contents.metadata.first { $0.name == "hyper_parameters.betas.1" }?.value, .float(0.999), name)
    }
  }

  func testAuthorsStyleStateDictKeepsSpectralNormNames() throws {
    for name in ["pytorch_authors_zip.ckpt", "pytorch_authors_legacy.ckpt"] {
      let (tensors, _) = try compareWithTorch(name)
      XCTAssertEqual(tensors, 20, "\(name): tensors compared")
      let d = try PyTorchCheckpoint.stateDict(path: try fixture(name))
      for suffix in ["weight_orig", "weight_u", "weight_v", "bias"] {
        XCTAssertNotNil(
          d["image_decoder.head_0.conv_0." + suffix], "\(name): image_decoder.head_0.conv_0.\(suffix)")
      }
      XCTAssertEqual(d["image_decoder.head_0.conv_0.weight_orig"]?.shape, [4, 4, 3, 3])
      XCTAssertEqual(d["image_decoder.head_0.conv_0.weight_u"]?.shape, [4])
    }
  }

  func testLegacyStorageViewAndTinyStateDict() throws {
    let (view, _) = try compareWithTorch("pytorch_view_legacy.pt")
    XCTAssertEqual(view, 1)
    XCTAssertEqual(
      try PyTorchCheckpoint.stateDict(path: try fixture("pytorch_view_legacy.pt"))["v"]?.values, [4.5, 7.5])
    let (tiny, _) = try compareWithTorch("pytorch_tiny_full_zip.pt")
    XCTAssertEqual(tiny, 3)
  }

  func testHalfToFloatIsExactForEveryBitPattern() {
    // Every finite float16 converts exactly: back through Float16's definition by value.
    var checked = 0
    for bits in 0...0xFFFF {
      let h = UInt16(bits)
      let f = Float16Element.halfToFloat(h)
      let exponent = Int(h >> 10) & 0x1F
      let mantissa = Int(h & 0x3FF)
      let sign: Float = h & 0x8000 != 0 ? -1 : 1
      let expected: Float
      switch exponent {
      case 0: expected = sign * Float(mantissa) * 0x1p-24
      case 31: expected = mantissa == 0 ? sign * .infinity : .nan
      default:
        expected =
          sign * (1 + Float(mantissa) / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
      }
      if expected.isNaN {
        XCTAssertTrue(f.isNaN, "0x\(String(bits, radix: 16))")
      } else if f.bitPattern != expected.bitPattern {
        XCTFail("float16 0x\(String(bits, radix: 16)) → \(f), expected \(expected)")
        return
      }
      checked += 1
    }
    XCTAssertEqual(checked, 65536)
  }

  // MARK: Hostile and damaged files

  func testArbitraryGlobalsAreRefusedByNameAndNothingRuns() throws {
    let marker = "/tmp/landmarklab-pwned"
    try? FileManager.default.removeItem(atPath: marker)
    let cases = [
      ("pytorch_evil_os_system_zip.pt", "posix.system"), ("pytorch_evil_os_system_legacy.pt", "posix.system"),
      // Pickle protocol 2 writes Python 2 module names (builtins → __builtin__).
      ("pytorch_evil_eval_zip.pt", "__builtin__.eval"),
      ("pytorch_evil_load_from_bytes_zip.pt", "torch.storage._load_from_bytes"),
    ]
    var checked = 0
    for (name, global) in cases {
      let path = try fixture(name)
      let error = pyTorchError { _ = try PyTorchCheckpoint.read(path: path) }
      XCTAssertEqual(error, .forbiddenGlobal(path: path, global: global), name)
      XCTAssertTrue("\(error.map { "\($0)" } ?? "")".contains(path), "\(name): the message names the file")
      if error != nil { checked += 1 }
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the os.system payload ran")
    XCTAssertEqual(checked, 4)
  }

  func testDamagedContainersAreRefusedWithTheCause() throws {
    var checked = 0
    func expect(_ name: String, _ check: (PyTorchError, String) -> Void) throws {
      let path = try fixture(name)
      if let e = pyTorchError({ _ = try PyTorchCheckpoint.read(path: path) }) {
        check(e, path)
        XCTAssertTrue(e.description.hasPrefix(path + ": "), "\(name): one line naming the file: \(e)")
        checked += 1
      }
    }
    try expect("pytorch_truncated_zip.pt") { e, p in
      guard case .zip(p, "", let reason) = e, reason.contains("end-of-central-directory") else {
        return XCTFail("\(e)")
      }
    }
    try expect("pytorch_short_storage_zip.pt") { e, p in
      XCTAssertEqual(e, .storageTooShort(path: p, tensor: "weight", storage: "0", needed: 16, available: 8))
    }
    try expect("pytorch_truncated_legacy.pt") { e, p in
      // The last record (`param`, 2 floats) lost 5 of its 8 bytes; the fixture script names
      // storages 0, 1, ... by first use.
      XCTAssertEqual(e, .storageTooShort(path: p, tensor: "param", storage: "14", needed: 2, available: 0))
    }
    try expect("pytorch_compressed_zip.pt") { e, p in
      guard case .zip(p, "pytorch_tiny_full_zip/data.pkl", let reason) = e,
        reason.contains("method 8 (deflate)")
      else {
        return XCTFail("\(e)")
      }
    }
    try expect("pytorch_zip64_zip.pt") { e, p in
      guard case .zip(p, "", let reason) = e, reason.contains("ZIP64") else { return XCTFail("\(e)") }
    }
    try expect("pytorch_bad_crc_zip.pt") { e, p in
      guard case .zip(p, let entry, let reason) = e, entry.hasSuffix("/data/0"), reason.contains("CRC-32")
      else {
        return XCTFail("\(e)")
      }
    }
    try expect("pytorch_deep_zip.pt") { e, p in
      guard case .limitExceeded(p, let what, 65, 64) = e, what.contains("nesting depth") else {
        return XCTFail("\(e)")
      }
    }
    XCTAssertEqual(checked, 7)
  }

  func testStrictLoadIntoAModuleNamesTheMissingKey() throws {
    let full = try fixture("pytorch_tiny_full_zip.pt")
    let model = TinyModel()
    try model.loadWeights(from: full)
    XCTAssertEqual(model.stateDict().first { $0.0 == "weight" }?.1.values, [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(model.stateDict().first { $0.0 == "conv.weight_u" }?.1.values, [0.25, 0.75])
    let missing = try fixture("pytorch_tiny_missing_zip.pt")
    XCTAssertThrowsError(try TinyModel().loadWeights(from: missing)) { error in
      XCTAssertEqual(error as? StorageError, .stateDict(path: missing, .missing(key: "conv.bias")))
      XCTAssertTrue("\(error)".contains("conv.bias"), "\(error)")
    }
  }

  // MARK: The restricted pickle machine on hand-made streams

  private func runPickle(_ bytes: [UInt8], limits: PickleMachine.Limits = .init()) throws -> PickleValue {
    let machine = PickleMachine(path: "mem.pkl", limits: limits)
    defer { machine.release() }
    return try machine.run(ByteView(data: Data(bytes)), from: 0).value
  }

  func testPickleMachineBoundsHostileStreams() throws {
    var checked = 0
    func expect(
      _ bytes: [UInt8], limits: PickleMachine.Limits = .init(), _ check: (PyTorchError) -> Bool,
      _ label: String
    ) {
      do {
        _ = try runPickle(bytes, limits: limits)
        XCTFail("\(label): accepted")
      } catch let e as PyTorchError {
        XCTAssertTrue(check(e), "\(label): \(e)")
        checked += 1
      } catch {
        XCTFail("\(label): \(error)")
      }
    }
    func limited(_ e: PyTorchError, _ what: String) -> Bool {
      if case .limitExceeded(_, let w, _, _) = e { return w.contains(what) }
      return false
    }
    func pickle(_ e: PyTorchError, _ text: String) -> Bool {
      if case .pickle(_, _, let r) = e { return r.contains(text) }
      return false
    }
    // A string claiming 4 GiB in a 10-byte stream: refused before any allocation.
    expect(
      [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x61, 0x62, 0x2E], { pickle($0, "truncated") },
      "huge BINUNICODE")
    expect(
      [0x80, 0x02, 0x8D] + [UInt8](repeating: 0xFF, count: 8) + [0x2E], { pickle($0, "truncated") },
      "huge BINUNICODE8")
    // A memo index of 4 billion costs one entry, and the memo size is capped.
    expect(
      [0x80, 0x02, 0x4E, 0x72, 0xFF, 0xFF, 0xFF, 0xFF, 0x71, 0x01, 0x2E], limits: .init(memo: 1),
      { limited($0, "memo") }, "memo cap")
    expect(
      [0x80, 0x02] + [UInt8](repeating: 0x28, count: 20) + [0x2E], limits: .init(marks: 16),
      { limited($0, "MARK") }, "MARK cap")
    expect(
      [0x80, 0x02] + [UInt8](repeating: 0x4E, count: 20) + [0x2E], limits: .init(stack: 16),
      { limited($0, "stack") }, "stack cap")
    // APPENDS of many items into one list: the container-item cap.
    expect(
      [0x80, 0x02, 0x5D, 0x28] + [UInt8](repeating: 0x4E, count: 20) + [0x65, 0x2E],
      limits: .init(containerItems: 10), { limited($0, "container items") }, "item cap")
    expect([0x80, 0x02, 0x30, 0x2E], { pickle($0, "stack underflow") }, "POP of nothing")
    expect([0x80, 0x02, 0x68, 0x07, 0x2E], { pickle($0, "memo entry 7") }, "GET of nothing")
    expect([0x80, 0x02, 0x49, 0x31, 0x0A, 0x2E], { pickle($0, "0x49 (INT)") }, "text-protocol opcode")
    expect(
      [0x80, 0x02, 0x63] + Array("torch\nFloatStorage\n".utf8) + [0x29, 0x52, 0x2E],
      { pickle($0, "calling it is not allowed") }, "calling a storage type")
    expect(
      [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x2E],
      { $0 == .forbiddenGlobal(path: "mem.pkl", global: "os.system") }, "GLOBAL os.system")
    // STACK_GLOBAL names are checked too.
    expect(
      [0x80, 0x04, 0x8C, 0x08] + Array("builtins".utf8) + [0x8C, 0x04] + Array("eval".utf8) + [0x93, 0x2E],
      { $0 == .forbiddenGlobal(path: "mem.pkl", global: "builtins.eval") }, "STACK_GLOBAL builtins.eval")
    XCTAssertEqual(checked, 12)
  }

  func testSelfContainingListIsRefusedByDepthNotRecursion() throws {
    // L = []; L.append(L): a cycle. Flattening stops at the depth cap; release() frees it.
    let bytes: [UInt8] = [0x80, 0x02, 0x7D, 0x8C, 0x01, 0x6B, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x73, 0x2E]
    let path = NSTemporaryDirectory() + "cycle-\(UUID().uuidString).pt"
    // A legacy-format header around the pickle: magic, protocol, sys_info, then the object.
    var file: [UInt8] = [0x80, 0x02, 0x8A, 0x0A] + PyTorchFormats.legacyMagic + [0x2E]
    file += [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E, 0x80, 0x02, 0x7D, 0x2E]
    file += bytes
    file += [0x80, 0x02, 0x5D, 0x2E]  // the storage keys: none
    try Data(file).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let error = pyTorchError { _ = try PyTorchCheckpoint.read(path: path) }
    guard case .limitExceeded(path, let what, _, PyTorchCheckpoint.maxDepth)? = error,
      what.contains("nesting depth at 'k.0.0")
    else {
      return XCTFail("\(String(describing: error))")
    }
  }

  func testTensorViewsAreCheckedBeforeAllocating() throws {
    let storage = TorchStorage(key: "s", dtype: .float32)
    storage.byteRange = 0..<16  // 4 floats
    let bytes = ByteView(data: Data(count: 16))
    var checked = 0
    func refuse(_ view: TorchTensorView, _ label: String) {
      XCTAssertThrowsError(try view.materialize(name: label, bytes: bytes, path: "f.pt"), label) { e in
        XCTAssertTrue("\(e)".contains("'\(label)'"), "\(label): \(e)")
        checked += 1
      }
    }
    refuse(TorchTensorView(storage: storage, offset: 1, size: [4], stride: [1]), "offset-past-end")
    refuse(TorchTensorView(storage: storage, offset: 0, size: [2, 2], stride: [3, 1]), "stride-past-end")
    refuse(
      TorchTensorView(storage: storage, offset: 0, size: [1 << 40, 1 << 40], stride: [0, 0]),
      "overflowing-size")
    refuse(
      TorchTensorView(storage: storage, offset: 0, size: [1 << 20, 1 << 10], stride: [0, 0]), "huge-expanded")
    XCTAssertEqual(checked, 4)
    let ok = try TorchTensorView(storage: storage, offset: 0, size: [2, 2], stride: [2, 1]).materialize(
      name: "ok", bytes: bytes, path: "f.pt")
    XCTAssertEqual(ok.shape, [2, 2])
  }

  // MARK: Weights files

  func testWeightsFileReadsHDF5AndPyTorchByMagicBytes() throws {
    let dir = try makeTempDir(self)
    let pth = try fixture("pytorch_tiny_full_zip.pt")
    XCTAssertEqual(try WeightsFile.kind(ofFileAt: pth), .pytorch)
    XCTAssertEqual(try WeightsFile.kind(ofFileAt: try fixture("pytorch_view_legacy.pt")), .pytorch)
    let fromTorch = try WeightsFile.read(path: pth)
    XCTAssertEqual(fromTorch.keys.sorted(), ["conv.bias", "conv.weight_u", "weight"])
    // Write them as HDF5 (name → dataset), with a misleading extension: read back by magic bytes.
    let h5 = dir.appendingPathComponent("tiny.pth").path
    try WeightsFile.writeHDF5(
      fromTorch.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) },
      attributes: [("source", pth)],
      datasetAttributes: ["weight": [("torch_dtype", "float32")]], to: h5)
    XCTAssertEqual(try WeightsFile.kind(ofFileAt: h5), .hdf5)
    let back = try WeightsFile.read(path: h5)
    XCTAssertEqual(back.keys.sorted(), fromTorch.keys.sorted())
    for (k, t) in fromTorch { assertBitIdentical(back[k]!, t, k) }
    let f = try HDF5File(path: h5)
    XCTAssertEqual(try f.readStringAttribute("torch_dtype", on: "weight"), "float32")
    try f.close()
    XCTAssertFalse(FileManager.default.fileExists(atPath: h5 + ".tmp"))
    let text = dir.appendingPathComponent("notes.pth").path
    try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
    XCTAssertThrowsError(try WeightsFile.read(path: text)) { e in
      XCTAssertTrue("\(e)".contains("neither an HDF5 file nor a PyTorch checkpoint"), "\(e)")
    }
    XCTAssertThrowsError(try WeightsFile.writeHDF5([("a/b", Tensor(zeros: [1]))], to: h5)) { e in
      XCTAssertTrue("\(e)".contains("'a/b'"), "\(e)")
    }
    XCTAssertEqual(back.count, 3)
  }

  // MARK: The real EfficientNet-Lite0 file

  func testEfficientNetLite0FromTheCache() throws {
    let env = ProcessInfo.processInfo.environment
    let cache = env["LMLAB_CACHE"] ?? (NSHomeDirectory() + "/.cache/lmlab")
    let path = cache + "/weights/efficientnet-lite0-57934424.pth"
    guard FileManager.default.fileExists(atPath: path) else {
      throw componentMissing(.imagenetWeights, "\(path) is absent: run scripts/fetch-weights.sh to fetch it")
    }
    let expected = try json("pytorch_efficientnet_lite0_expected.json")
    let start = Date()
    let tensors = try PyTorchCheckpoint.read(path: path)
    let seconds = Date().timeIntervalSince(start)
    print(
      String(
        format: "EfficientNet-Lite0: read %d tensors (%d elements) in %.1f ms", tensors.count,
        tensors.reduce(0) { $0 + $1.tensor.count }, seconds * 1000))
    XCTAssertEqual(tensors.count, 296)
    XCTAssertEqual(tensors.count, expected["count"] as? Int)
    XCTAssertEqual(tensors.reduce(0) { $0 + $1.tensor.count }, 4_694_073)
    let list = try XCTUnwrap(expected["tensors"] as? [[Any]])
    XCTAssertEqual(tensors.map(\.name), list.map { $0[0] as! String }, "names in file order")
    XCTAssertEqual(tensors.map(\.dtype), list.map { $0[1] as! String }, "dtypes")
    XCTAssertEqual(tensors.map(\.tensor.shape), list.map { $0[2] as! [Int] }, "shapes")
    let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
    for key in ["_conv_stem.weight", "_blocks.0._depthwise_conv.weight", "_bn0.running_mean"] {
      XCTAssertNotNil(byName[key], key)
    }
    let detail = try XCTUnwrap(expected["detail"] as? [String: [String: Any]])
    var compared = 0
    for (key, want) in detail {
      let t = try XCTUnwrap(byName[key], key).tensor
      let first = (want["first"] as! [NSNumber]).map { UInt32(truncating: $0) }
      XCTAssertEqual(t.values.prefix(first.count).map(\.bitPattern), first, "\(key): first values")
      XCTAssertEqual(t.values.last?.bitPattern, (want["last"] as! NSNumber).uint32Value, "\(key): last value")
      let sum = t.values.reduce(0.0) { $0 + Double($1) }
      let wantSum = (want["sum"] as! NSNumber).doubleValue
      // Summation order differs from torch's: a relative 1e-9 of the sum of magnitudes.
      let scale = t.values.reduce(0.0) { $0 + Double(abs($1)) }
      XCTAssertTrue(
        sum.isFinite && abs(sum - wantSum) <= 1e-9 * max(scale, 1), "\(key): sum \(sum) vs \(wantSum)")
      compared += 1
    }
    XCTAssertEqual(compared, 9)
  }
}
