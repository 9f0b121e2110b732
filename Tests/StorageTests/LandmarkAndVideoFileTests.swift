// LandmarkAndVideoFileTests: landmark files (DESIGN §4) round-trip and reject inconsistent
// sizes naming the dataset; h5py-written files with integer or missing `sequence` read; uint8
// video arrays round-trip and read one video by hyperslab.
import Foundation
import TensorEngine
import TestSupport
import XCTest

@testable import Storage

final class LandmarkAndVideoFileTests: XCTestCase {
  private func sampleLandmarks(n: Int, k: Int) throws -> LandmarkFile {
    let mu = Tensor((0..<(n * k * 2)).map { Float($0) / 100 - 0.5 }, shape: [n, k, 2])
    let cov = Tensor((0..<(n * k * 4)).map { Float($0 % 7) * 1e-3 }, shape: [n, k, 2, 2])
    return try LandmarkFile(
      mu: mu, covariance: cov, sequence: (0..<n).map { "seq_\($0 / 2)" }, frame: (0..<n).map { Int64($0 % 2) }
    )
  }

  func testLandmarkFileRoundTrip() throws {
    let path = try makeTempDir(self).appendingPathComponent("lm.h5").path
    let lm = try sampleLandmarks(n: 5, k: 3)
    try lm.write(to: path)
    let back = try LandmarkFile.read(from: path)
    XCTAssertEqual(back.count, 5)
    XCTAssertEqual(back.landmarkCount, 3)
    assertBitIdentical(back.mu, lm.mu, "mu")
    assertBitIdentical(back.covariance, lm.covariance, "covariance")
    XCTAssertEqual(back.sequence, lm.sequence)
    XCTAssertEqual(back.frame, lm.frame)
    let f = try HDF5File(path: path)
    XCTAssertEqual(try f.datasetPaths(), ["covariance", "frame", "mu", "sequence"])
    XCTAssertEqual(try f.elementType(of: "mu"), "float32")
    XCTAssertEqual(try f.elementType(of: "frame"), "int64")
  }

  func testLandmarkValidationNamesDatasetAndSizes() throws {
    let lm = try sampleLandmarks(n: 4, k: 3)
    XCTAssertThrowsError(
      try LandmarkFile(mu: lm.mu, covariance: lm.covariance, sequence: ["a"], frame: lm.frame)
    ) {
      XCTAssertEqual(
        $0 as? StorageError,
        .shapeMismatch(path: "<landmarks in memory>", object: "sequence", expected: [4], found: [1]))
    }
    XCTAssertThrowsError(
      try LandmarkFile(
        mu: lm.mu, covariance: Tensor(zeros: [4, 2, 2, 2]), sequence: lm.sequence, frame: lm.frame)
    ) {
      XCTAssertEqual(
        $0 as? StorageError,
        .shapeMismatch(
          path: "<landmarks in memory>", object: "covariance", expected: [4, 3, 2, 2], found: [4, 2, 2, 2]))
    }
    // A file whose datasets disagree (written by another tool).
    let path = try makeTempDir(self).appendingPathComponent("bad.h5").path
    let f = try HDF5File(path: path, mode: .create)
    try f.write("mu", tensor: lm.mu)
    try f.write("covariance", tensor: lm.covariance)
    try f.write("sequence", strings: lm.sequence)
    try f.write("frame", int64s: [0, 1, 2], shape: [3])
    try f.close()
    XCTAssertThrowsError(try LandmarkFile.read(from: path)) { error in
      XCTAssertEqual(
        error as? StorageError, .shapeMismatch(path: path, object: "frame", expected: [4], found: [3]))
      XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("frame"), "\(error)")
    }
  }

  func testVideoArrayRoundTripAndSingleVideoHyperslab() throws {
    let path = try makeTempDir(self).appendingPathComponent("videos.h5").path
    let shape = [3, 4, 8, 6, 3]  // N, T, H, W, C
    let perVideo = 4 * 8 * 6 * 3
    let values = (0..<(3 * perVideo)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }
    try VideoArrayFile.write(values, shape: shape, to: path)
    let v = try VideoArrayFile(path: path)
    XCTAssertEqual(v.shape, shape)
    XCTAssertEqual(v.videoCount, 3)
    XCTAssertEqual(v.videoShape, [4, 8, 6, 3])
    XCTAssertEqual(try v.readAll(), values)
    XCTAssertEqual(try v.readVideo(1), Array(values[perVideo..<(2 * perVideo)]))
    XCTAssertEqual(try v.readVideos(1..<3), Array(values[perVideo...]))
    XCTAssertThrowsError(try v.readVideo(3)) {
      XCTAssertTrue("\($0)".contains(path) && "\($0)".contains("videos"), "\($0)")
    }
    // Uncompressed contiguous storage reads the same.
    let plain = path + ".plain.h5"
    try VideoArrayFile.write(values, shape: shape, to: plain, compression: nil)
    XCTAssertEqual(try VideoArrayFile(path: plain).readVideo(2), Array(values[(2 * perVideo)...]))
    XCTAssertThrowsError(try VideoArrayFile.write(values, shape: [3, perVideo], to: plain)) {
      XCTAssertTrue("\($0)".contains("[N, T, H, W, C]"), "\($0)")
    }
  }

  /// Landmark files as other tools write them (h5py): `sequence` as strings, as integers (read as
  /// their decimal text), or missing (one sequence, "0"); floats are refused naming the dataset.
  func testH5pyWrittenLandmarkFilesWithIntegerOrMissingSequence() throws {
    try requireH5py()
    let dir = try makeTempDir(self)
    let script = """
      import h5py, numpy as np, sys
      mu = (np.arange(4 * 3 * 2, dtype=np.float32) / 100 - 0.1).reshape(4, 3, 2)
      cov = np.tile(np.eye(2, dtype=np.float32) * 0.01, (4, 3, 1, 1))
      seqs = {"strings": np.array(["walk_3", "walk_3", "run_7", "run_7"], dtype=h5py.string_dtype()),
              "int64": np.array([3, 3, 7, 7], dtype=np.int64), "uint8": np.array([3, 3, 7, 7], dtype=np.uint8),
              "int32": np.array([-1, -1, 12, 12], dtype=np.int32), "float": np.array([3, 3, 7, 7], dtype=np.float64),
              "missing": None}
      for name, seq in seqs.items():
          with h5py.File(f"{sys.argv[1]}/{name}.h5", "w") as f:
              f["mu"] = mu
              f["covariance"] = cov
              f["frame"] = np.array([0, 1, 0, 1], dtype=np.int32)
              if seq is not None:
                  f["sequence"] = seq
      """
    let (status, out) = try runPython(["-c", script, dir.path])
    XCTAssertEqual(status, 0, out)
    func read(_ name: String) throws -> LandmarkFile { try LandmarkFile.read(from: dir.appendingPathComponent(name + ".h5").path) }
    XCTAssertEqual(try read("strings").sequence, ["walk_3", "walk_3", "run_7", "run_7"])
    XCTAssertEqual(try read("int64").sequence, ["3", "3", "7", "7"])
    XCTAssertEqual(try read("uint8").sequence, ["3", "3", "7", "7"])
    XCTAssertEqual(try read("int32").sequence, ["-1", "-1", "12", "12"])
    let missing = try read("missing")
    XCTAssertEqual(missing.sequence, ["0", "0", "0", "0"])
    XCTAssertFalse(missing.sequenceStored)
    XCTAssertTrue(try read("int64").sequenceStored)
    XCTAssertEqual(missing.frame, [0, 1, 0, 1])
    XCTAssertEqual(missing.mu.values[5], Float(5) / 100 - 0.1, accuracy: 1e-7)
    let floatPath = dir.appendingPathComponent("float.h5").path
    XCTAssertThrowsError(try read("float")) {
      XCTAssertEqual("\($0)", "\(floatPath): 'sequence' holds float64, expected strings or integers")
    }
  }
}
