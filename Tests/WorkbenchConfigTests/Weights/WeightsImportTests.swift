// WeightsImportTests: `lmlab weights import` in library form on the committed PyTorch fixtures
// (Tests/StorageTests/Fixtures): what it writes (names, values, dtype attributes, metadata),
// --prefix, and its refusals (existing --out without --force, a prefix that selects nothing,
// an HDF5 input) leaving the output as it was.
import Foundation
import Storage
import TensorEngine
import XCTest

@testable import Workbench

private let storageFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("StorageTests/Fixtures")

final class WeightsImportTests: XCTestCase {
  private func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "weights-import-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
  }

  func testLightningCheckpointWithPrefix() throws {
    let input = storageFixtures.appendingPathComponent("pytorch_lightning_zip.ckpt").path
    let out = try tempDir().appendingPathComponent("model.h5").path
    let s = try WeightsImport.run(input: input, output: out, prefix: "state_dict")
    XCTAssertEqual(s.tensors, 7)
    XCTAssertEqual(s.parameters, 2 * 3 * 3 * 3 + 2 + 2 * 4 + 1)
    XCTAssertEqual(s.dtypes.map { "\($0.dtype) \($0.count)" }, ["float32 6", "int64 1"])
    XCTAssertEqual(s.skipped, 12)
    XCTAssertEqual(s.metadata, 26)
    XCTAssertEqual(s.lines.first?.hasPrefix("wrote 7 tensors (65 parameters) to \(out)"), true, "\(s.lines)")
    let source = try PyTorchCheckpoint.stateDict(path: input)
    let written = try WeightsFile.read(path: out)
    XCTAssertEqual(
      written.keys.sorted(),
      source.keys.filter { $0.hasPrefix("state_dict.") }.map { String($0.dropFirst(11)) }.sorted())
    var compared = 0
    for (name, t) in written {
      XCTAssertEqual(t.values.map(\.bitPattern), source["state_dict." + name]!.values.map(\.bitPattern), name)
      compared += 1
    }
    XCTAssertEqual(compared, 7)
    let f = try HDF5File(path: out)
    defer { try? f.close() }
    XCTAssertEqual(try f.readStringAttribute("torch_dtype", on: "model.1.num_batches_tracked"), "int64")
    XCTAssertEqual(try f.readStringAttribute("source_format"), "pytorch-zip")
    let metadata =
      try JSONSerialization.jsonObject(with: Data(try f.readStringAttribute("pytorch_metadata").utf8))
      as? [String: Any]
    XCTAssertEqual(metadata?["epoch"] as? Int, 3)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".tmp"))
  }

  func testRefusalsLeaveTheOutputAlone() throws {
    let input = storageFixtures.appendingPathComponent("pytorch_authors_legacy.ckpt").path
    let out = try tempDir().appendingPathComponent("w.h5").path
    try Data("keep".utf8).write(to: URL(fileURLWithPath: out))
    XCTAssertThrowsError(try WeightsImport.run(input: input, output: out)) { e in
      XCTAssertEqual(e as? WeightsImportError, .outputExists(path: out))
    }
    XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "keep")
    XCTAssertThrowsError(try WeightsImport.run(input: input, output: out, prefix: "model", force: true)) {
      e in
      XCTAssertTrue("\(e)".contains("--prefix model") && "\(e)".contains("shape_encoder"), "\(e)")
    }
    XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "keep")
    let s = try WeightsImport.run(input: input, output: out, force: true)
    XCTAssertEqual(s.tensors, 20)
    XCTAssertEqual(try WeightsFile.read(path: out).count, 20)
    XCTAssertThrowsError(try WeightsImport.run(input: out, output: out + "2")) { e in
      XCTAssertEqual(e as? WeightsImportError, .notPyTorch(path: out, kind: "an HDF5 file"))
    }
  }
}
