// CheckpointTests: bit-exact round trips, the committed h5py-written fixture, strict loading
// into a Module, format-version checks, atomic writes, and an h5py read of our output.
import Foundation
import TensorEngine
import TestSupport
import XCTest

@testable import Storage

/// A two-level module: `weight` [2, 3]; `conv.bias` [2]; buffer `conv.weight_u` [2].
private final class TinyModel: Module {
  let weight: Tensor  // [2, 3]
  let conv: TinyConv

  override init() {
    conv = TinyConv()
    weight = Tensor(zeros: [2, 3])
    super.init()
    parameter("weight", weight)
    child("conv", conv)
  }
}

private final class TinyConv: Module {
  override init() {
    super.init()
    parameter("bias", Tensor(zeros: [2]))
    buffer("weight_u", Tensor(zeros: [2]))
  }
}

final class CheckpointTests: XCTestCase {
  /// Float32 values that must survive bit-for-bit: NaNs with payloads (quiet and signalling),
  /// ±0, denormals, infinities, extremes.
  static let specialBits: [UInt32] = [
    0x7fc1_2345, 0x7fa0_0001, 0xffc0_0000, 0x0000_0000, 0x8000_0000, 0x0000_0001, 0x807f_ffff,
    0x7f80_0000, 0xff80_0000, 0x7f7f_ffff, 0x3f80_0000, 0xbeaa_aaab,
  ]

  private func specialTensor(_ shape: [Int]) -> Tensor {
    let t = Tensor(zeros: shape)
    t.withMutableData { b in
      for i in 0..<b.count {
        b[i] = Float(bitPattern: Self.specialBits[i % Self.specialBits.count] &+ UInt32(i / 12))
      }
    }
    return t
  }

  func testRoundTripIsBitIdenticalWithAttributesAndState() throws {
    let dir = try makeTempDir(self)
    let path = dir.appendingPathComponent("ck.h5").path
    let config = #"{"n_landmarks": 10, "name": "ünï ✓", "nested": {"a": [1, 2]}}"#
    var ckpt = Checkpoint(
      tensors: [
        ("pose_encoder.conv1.weight", specialTensor([4, 3, 3, 3])),
        ("decoder.head_0.conv_0.weight_u", specialTensor([8])),
        ("scalar", specialTensor([])),
        ("empty", Tensor(zeros: [0, 3])),
      ],
      optimizer: [("pose_encoder.conv1.weight.exp_avg", specialTensor([4, 3, 3, 3]))],
      optimizerAttributes: ["step": 77, "version": -1], config: config, step: 1234,
      state: [("counters", [1, -2, Int64.max])])
    ckpt.setState("rng", words: [0, 1, UInt64.max, 0x8000_0000_0000_0000])
    try ckpt.write(to: path)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))

    let back = try Checkpoint.read(from: path)
    XCTAssertEqual(back.tensors.map(\.0).sorted(), ckpt.tensors.map(\.0).sorted())
    let written = ckpt.tensorDictionary
    for (name, t) in back.tensors { assertBitIdentical(t, written[name]!, name) }
    XCTAssertEqual(back.optimizer.map(\.0), ["pose_encoder.conv1.weight.exp_avg"])
    assertBitIdentical(back.optimizer[0].1, ckpt.optimizer[0].1, "exp_avg")
    XCTAssertEqual(back.optimizerAttributes, ["step": 77, "version": -1])
    XCTAssertEqual(back.config, config)
    XCTAssertEqual(back.step, 1234)
    XCTAssertEqual(back.state("counters"), [1, -2, Int64.max])
    XCTAssertEqual(back.stateWords("rng"), [0, 1, UInt64.max, 0x8000_0000_0000_0000])
    XCTAssertEqual(back.fileFormatVersion, 1)
    XCTAssertEqual(back.sourcePath, path)

    let f = try HDF5File(path: path)
    XCTAssertEqual(try f.readStringAttribute("format"), Checkpoint.formatName)
    XCTAssertEqual(try f.readInt64Attribute("format_version"), 1)
    XCTAssertEqual(try f.elementType(of: "state/rng"), "int64")
    XCTAssertTrue(f.isDataset("optimizer/pose_encoder.conv1.weight.exp_avg"))
  }

  /// The committed fixture was written by h5py (Experiments/tools/make_engine_fixtures.py).
  /// Sums: the sidecar holds float64 sums of the float32 values; ours are float64 sums of
  /// the same values in another order, so they agree within 1e-6 relative (in practice ~1e-15).
  /// First elements are float32 values printed exactly, so they compare bit-for-bit.
  func testH5pyFixtureMatchesSidecarSums() throws {
    let ckpt = try Checkpoint.read(from: try fixturePath("h5py_checkpoint.h5"))
    let json = try Data(contentsOf: URL(fileURLWithPath: try fixturePath("h5py_checkpoint_sums.json")))
    let sums = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: [String: Any]])
    XCTAssertEqual(ckpt.tensors.count + ckpt.optimizer.count, sums.count)
    XCTAssertEqual(ckpt.tensors.count, 6)
    let tensors = ckpt.tensorDictionary
    let optimizer = ckpt.optimizerDictionary
    var compared = 0
    for (name, entry) in sums {
      let t: Tensor? = name.hasPrefix("optimizer/") ? optimizer[String(name.dropFirst(10))] : tensors[name]
      guard let t else {
        XCTFail("\(name) missing")
        continue
      }
      XCTAssertEqual(t.shape, entry["shape"] as? [Int], name)
      let expected = try XCTUnwrap(entry["sum"] as? Double)
      let sum = t.values.reduce(0.0) { $0 + Double($1) }
      XCTAssertEqual(sum, expected, accuracy: 1e-6 * abs(expected) + 1e-12, name)
      let first = try XCTUnwrap(entry["first"] as? Double)
      XCTAssertEqual(t.data[0].bitPattern, Float(first).bitPattern, name)
      compared += 1
    }
    XCTAssertEqual(compared, 14, "datasets compared with the sidecar (6 tensors, 8 optimizer tensors)")
    XCTAssertEqual(ckpt.config, #"{"n_landmarks": 10, "img_size": 64}"#)
    XCTAssertEqual(ckpt.step, 1234)
    XCTAssertEqual(ckpt.optimizerAttributes, ["step": 1234])
    XCTAssertNil(ckpt.fileFormatVersion, "the h5py fixture carries no format tag; absent is allowed")
  }

  func testModuleSaveAndStrictLoadNameKeyAndFile() throws {
    let dir = try makeTempDir(self)
    let path = dir.appendingPathComponent("tiny.h5").path
    let model = TinyModel()
    model.weight.withMutableData { for i in 0..<6 { $0[i] = Float(i) - 2.5 } }
    try model.save(to: path, config: "{}", step: 5)

    let fresh = TinyModel()
    let ckpt = try fresh.load(from: path)
    XCTAssertEqual(ckpt.step, 5)
    XCTAssertEqual(fresh.weight.values, [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
    XCTAssertEqual(Set(ckpt.tensors.map(\.0)), ["weight", "conv.bias", "conv.weight_u"])

    func expectLoadError(
      _ c: Checkpoint, _ expected: StateDictError, file: StaticString = #filePath, line: UInt = #line
    ) {
      XCTAssertThrowsError(try TinyModel().load(c), file: file, line: line) { error in
        XCTAssertEqual(error as? StorageError, .stateDict(path: path, expected), file: file, line: line)
        XCTAssertTrue("\(error)".contains(path), "\(error)", file: file, line: line)
      }
    }
    var missing = ckpt
    missing.tensors.removeAll { $0.0 == "conv.bias" }
    expectLoadError(missing, .missing(key: "conv.bias"))
    var unexpected = ckpt
    unexpected.tensors.append(("conv.extra", Tensor(zeros: [1])))
    expectLoadError(unexpected, .unexpected(key: "conv.extra"))
    var misshaped = ckpt
    misshaped.tensors = misshaped.tensors.map { $0.0 == "weight" ? ("weight", Tensor(zeros: [3, 2])) : $0 }
    expectLoadError(misshaped, .shapeMismatch(key: "weight", expected: [2, 3], found: [3, 2]))
    XCTAssertTrue("\(StorageError.stateDict(path: path, .missing(key: "conv.bias")))".contains("conv.bias"))

    // Mis-shaped on disk, loaded through a file: the error names the key and the file.
    try misshaped.write(to: path)
    XCTAssertThrowsError(try TinyModel().load(from: path)) { error in
      XCTAssertEqual(
        error as? StorageError,
        .stateDict(path: path, .shapeMismatch(key: "weight", expected: [2, 3], found: [3, 2])))
    }
  }

  func testFormatTagIsChecked() throws {
    let path = try makeTempDir(self).appendingPathComponent("v.h5").path
    try Checkpoint(tensors: [("w", Tensor(zeros: [2]))], config: "{}", step: 0).write(to: path)
    do {
      let f = try HDF5File(path: path, mode: .readWrite)
      try f.writeAttribute("format_version", int64: 2)
      try f.close()
    }
    XCTAssertThrowsError(try Checkpoint.read(from: path)) { error in
      XCTAssertEqual(
        error as? StorageError,
        .unsupportedFormatVersion(path: path, format: Checkpoint.formatName, found: 2, supported: 1))
      XCTAssertTrue("\(error)".contains("newer"), "\(error)")
    }
    do {
      let f = try HDF5File(path: path, mode: .readWrite)
      try f.writeAttribute("format_version", int64: 1)
      try f.writeAttribute("format", string: "landmarklab-landmarks")
      try f.close()
    }
    XCTAssertThrowsError(try Checkpoint.read(from: path)) { error in
      XCTAssertEqual(
        error as? StorageError,
        .wrongFormat(path: path, expected: Checkpoint.formatName, found: "landmarklab-landmarks"))
    }
  }

  func testFailedWriteLeavesPreviousCheckpointAndNoTempFile() throws {
    let path = try makeTempDir(self).appendingPathComponent("keep.h5").path
    try Checkpoint(tensors: [("w", Tensor([1, 2], shape: [2]))], config: "{}", step: 1).write(to: path)
    let bad = Checkpoint(
      tensors: [("w", Tensor(zeros: [2])), ("w", Tensor(zeros: [3]))], config: "{}", step: 2)
    XCTAssertThrowsError(try bad.write(to: path)) { error in
      XCTAssertEqual(error as? StorageError, .writeFailed(path: path, object: "w", reason: "duplicate name"))
    }
    let slash = Checkpoint(tensors: [("a/b", Tensor(zeros: [2]))], config: "{}", step: 2)
    XCTAssertThrowsError(try slash.write(to: path)) { XCTAssertTrue("\($0)".contains("a/b"), "\($0)") }
    XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))
    let back = try Checkpoint.read(from: path)
    XCTAssertEqual(back.step, 1)
    XCTAssertEqual(back.tensors[0].1.values, [1, 2])
  }

  func testMissingAndNonHDF5FilesNameThePath() throws {
    let dir = try makeTempDir(self)
    let missing = dir.appendingPathComponent("nope.h5").path
    XCTAssertThrowsError(try Checkpoint.read(from: missing)) {
      XCTAssertEqual($0 as? StorageError, .fileNotFound(path: missing))
      XCTAssertTrue("\($0)".contains(missing))
    }
    let text = dir.appendingPathComponent("ckpt.h5").path
    try Data("PK\u{3}\u{4} a zip, not HDF5".utf8).write(to: URL(fileURLWithPath: text))
    XCTAssertThrowsError(try Checkpoint.read(from: text)) {
      XCTAssertEqual($0 as? StorageError, .notHDF5(path: text))
      XCTAssertTrue("\($0)".contains(text))
    }
    // A valid HDF5 file without the config attribute.
    let bare = dir.appendingPathComponent("bare.h5").path
    let f = try HDF5File(path: bare, mode: .create)
    try f.write("w", floats: [1], shape: [1])
    try f.close()
    XCTAssertThrowsError(try Checkpoint.read(from: bare)) {
      XCTAssertEqual($0 as? StorageError, .missingAttribute(path: bare, object: "/", name: "config"))
    }
  }

  /// Cross-check with h5py: `check_checkpoint.py` (h5py + numpy, no torch) loads every dataset
  /// and prints its shape, dtype and sum, every attribute with its dtype, config and step; it
  /// exits non-zero when a tensor is not float32 or `step` is not an int64 scalar.
  func testH5pyReadsLandmarkLabCheckpoint() throws {
    try requireH5py()
    let path = try makeTempDir(self).appendingPathComponent("for_h5py.h5").path
    var ckpt = Checkpoint(
      tensors: [
        ("pose_encoder.conv1.weight", Tensor((0..<108).map { Float($0) * 0.01 }, shape: [4, 3, 3, 3])),
        ("b", Tensor([0.1, 0.2], shape: [2])),
      ],
      optimizer: [("b.exp_avg", Tensor([1e-3, 2e-3], shape: [2]))], optimizerAttributes: ["step": 9],
      config: #"{"n_landmarks": 10, "img_size": 64}"#, step: 9)
    ckpt.setState("rng", words: [1, UInt64.max])
    try ckpt.write(to: path)
    let (status, output) = try runPython(["Experiments/tools/check_checkpoint.py", path])
    XCTAssertEqual(status, 0, output)
    let lines = Set(output.split(separator: "\n").map(String.init))
    // Sums: 0.01 * (0 + ... + 107) = 57.78; 0.1 + 0.2 and 1e-3 + 2e-3 in float32.
    for expected in [
      "dataset pose_encoder.conv1.weight shape=(4, 3, 3, 3) dtype=float32 sum=57.78 first=0.0",
      "dataset b shape=(2,) dtype=float32 sum=0.3 first=0.10000000149011612",
      "dataset optimizer/b.exp_avg shape=(2,) dtype=float32 sum=0.003 first=0.0010000000474974513",
      "dataset state/rng shape=(2,) dtype=int64 sum=0 first=1",
      "attr /@format dtype=string(utf-8, variable) value='landmarklab-checkpoint'",
      "attr /@format_version dtype=int64 value=1",
      "attr optimizer@step dtype=int64 value=9",
      #"config = {"img_size": 64, "n_landmarks": 10}"#,
      "step = 9 (int64)",
      "OK 4 datasets",
    ] {
      XCTAssertTrue(lines.contains(expected), "h5py's view lacks `\(expected)`:\n\(output)")
    }
  }
}
