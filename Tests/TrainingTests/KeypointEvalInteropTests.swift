// KeypointEvalInteropTests: `lmlab eval keypoints` on landmark files written by h5py with integer
// sequence ids, or none, gives the same fit and accuracy as the same files with string ids.
import Foundation
import XCTest

@testable import Workbench

final class KeypointEvalInteropTests: XCTestCase {
  /// Writes, for split train and test: landmark files with `sequence` as strings "3"/"7", as
  /// int64 3/7, and (one sequence) missing vs the string "clip", with keypoint CSVs to match.
  /// Keypoints are a fixed linear map of the means plus 4 px noise, so accuracy at 6 px is partial.
  static let script = """
    import h5py, numpy as np, sys
    d = sys.argv[1]
    rng = np.random.default_rng(14)
    W = rng.normal(size=(2 * 2, 3 * 2))
    for split, n in (("train", 30), ("test", 20)):
        mu = rng.uniform(-0.8, 0.8, size=(2 * n, 3, 2)).astype(np.float32)
        cov = np.tile(np.eye(2, dtype=np.float32) * 0.01, (2 * n, 3, 1, 1))
        kp = 32 + (mu.reshape(2 * n, 6).astype(np.float64) * 32) @ W.T / 3 + rng.normal(scale=4, size=(2 * n, 4))
        frame = np.tile(np.arange(n), 2)
        ids = np.repeat([3, 7], n)
        files = {"str": np.array([str(i) for i in ids], dtype=h5py.string_dtype()), "int": ids.astype(np.int64)}
        for kind, seq in files.items():
            with h5py.File(f"{d}/{split}_{kind}.h5", "w") as f:
                f["mu"], f["covariance"], f["sequence"], f["frame"] = mu, cov, seq, frame
        for kind, seq in (("one_str", np.array(["clip"] * n, dtype=h5py.string_dtype())), ("one_none", None)):
            with h5py.File(f"{d}/{split}_{kind}.h5", "w") as f:
                f["mu"], f["covariance"], f["frame"] = mu[:n], cov[:n], frame[:n]
                if seq is not None:
                    f["sequence"] = seq
        with open(f"{d}/{split}.csv", "w") as c, open(f"{d}/{split}_one.csv", "w") as one:
            c.write("sequence,frame,keypoint,x,y\\n")
            one.write("sequence,frame,keypoint,x,y\\n")
            for i in range(2 * n):
                for p, name in enumerate(("nose", "wrist")):
                    row = f"{frame[i]},{name},{kp[i, 2 * p]:.4f},{kp[i, 2 * p + 1]:.4f}\\n"
                    c.write(f"{ids[i]},{row}")
                    if i < n:
                        one.write(f"clip,{row}")
    """

  func testIntegerAndMissingSequenceIdsGiveTheSameAccuracyAsStrings() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kp-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try runH5pyScript(Self.script, [dir])
    func evaluate(_ kind: String, csv: String = "") throws -> KeypointEvaluation {
      try evaluateKeypoints(
        trainLandmarks: "\(dir)/train_\(kind).h5", trainKeypoints: "\(dir)/train\(csv).csv",
        testLandmarks: "\(dir)/test_\(kind).h5", testKeypoints: "\(dir)/test\(csv).csv", imageSize: 64)
    }
    let strings = try evaluate("str")
    let integers = try evaluate("int")
    XCTAssertEqual(strings.trainFrames, 60)
    XCTAssertEqual(integers.sequence, strings.sequence)
    XCTAssertEqual(Set(integers.sequence), ["3", "7"])
    XCTAssertEqual(integers.distances, strings.distances)
    XCTAssertEqual(integers.accuracy.overall, strings.accuracy.overall)
    XCTAssertGreaterThan(strings.accuracy.overall, 0.2, "4 px noise: most keypoints within 6 px")
    XCTAssertLessThan(strings.accuracy.overall, 1, "4 px noise: some keypoints beyond 6 px")

    let named = try evaluate("one_str", csv: "_one")
    let unnamed = try evaluate("one_none", csv: "_one")
    XCTAssertEqual(named.trainFrames, 30)
    XCTAssertEqual(unnamed.sequence, named.sequence, "a file without `sequence` matches the CSV's only sequence")
    XCTAssertEqual(unnamed.distances, named.distances)
    XCTAssertEqual(unnamed.accuracy.overall, named.accuracy.overall)

    // The per-frame CSV is DESIGN §4's `method,sequence,frame,metric,value`, one value per row.
    let rows = integers.csv(method: "kp").split(separator: "\n")
    XCTAssertEqual(rows.first, "method,sequence,frame,metric,value")
    XCTAssertEqual(rows.count, 1 + 40 * 3)
    XCTAssertTrue(rows.dropFirst().allSatisfy { $0.split(separator: ",").count == 5 && Double($0.split(separator: ",")[4]) != nil })
  }
}
