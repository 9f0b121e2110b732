// Keypoint regression against scikit-learn's Ridge(alpha=0, fit_intercept=False) on centred
// data, and the accuracy protocol (fixtures: make_metrics_fixtures.py).
import Foundation
import EvalMetrics
import Storage
import TestSupport
import XCTest

final class KeypointRegressionTests: XCTestCase {
  /// Landmark means [N, K, 2] and keypoints [N, P, 2] of one fixture split (CSV rows are in
  /// landmark-file order, keypoints 0..<P per frame).
  private func split(_ name: String) throws -> (means: [Float], kp: [Double], n: Int, k: Int, p: Int) {
    let lm = try LandmarkFile.read(from: try metricsFixture("keypoints_\(name)_landmarks.h5"))
    let text = try String(contentsOfFile: try metricsFixture("keypoints_\(name).csv"), encoding: .utf8)
    let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
    let p = rows.count / lm.count
    XCTAssertEqual(rows.count, lm.count * p)
    let kp = rows.flatMap { [Double($0[3])!, Double($0[4])!] }
    return (lm.mu.values, kp, lm.count, lm.landmarkCount, p)
  }

  /// Predictions within 1e-3 px of scikit-learn; accuracy, per-keypoint accuracy and the
  /// 0…20 px curve equal to the reference's.
  func testMatchesScikitLearnRidge() throws {
    let train = try split("train"), test = try split("test")
    let reg = try KeypointRegressor.fit(
      means: train.means, keypoints: train.kp, frames: train.n, landmarks: train.k, keypointCount: train.p, imageSize: 128)
    let pred = reg.predict(means: test.means, frames: test.n)
    let ref = try HDF5File(path: try metricsFixture("keypoints_reference.h5"))
    let c = assertClose(pred, try ref.readDoubles("pred").values, .absolute(1e-3), "keypoint predictions (px)")
    XCTAssertEqual(c.count, 60 * 7 * 2, "keypoint predictions compared: 60 test frames × 7 keypoints × (x, y)")
    let dist = keypointDistances(predicted: pred, truth: test.kp)
    let acc = keypointAccuracy(distances: dist, keypointCount: test.p, threshold: 6)
    XCTAssertEqual(acc.overall, try ref.readDoubles("accuracy_6px").values[0], accuracy: 1e-12)
    XCTAssertEqual(assertClose(acc.perKeypoint, try ref.readDoubles("per_keypoint_6px").values, .absolute(1e-12), "per keypoint").count, 7)
    let curve = assertClose(
      keypointAccuracyCurve(distances: dist, keypointCount: test.p).map(\.accuracy), try ref.readDoubles("curve").values,
      .absolute(1e-12), "curve")
    XCTAssertEqual(curve.count, 21, "accuracy at 0…20 px")
  }

  /// Exact recovery of a noiseless linear map; rank deficiency and too few frames are errors.
  func testExactRecoveryAndErrors() throws {
    let (n, k, p, s) = (30, 3, 2, 64)
    var rng = SystemRandomNumberGenerator()
    let means = (0..<(n * k * 2)).map { _ in Float.random(in: -0.9...0.9, using: &rng) }
    let w = (0..<(2 * k * 2 * p)).map { _ in Double.random(in: -1...1, using: &rng) }
    var kp = [Double](repeating: Double(s) / 2, count: n * p * 2)
    for i in 0..<n {
      for j in 0..<(2 * p) {
        for l in 0..<(2 * k) { kp[i * 2 * p + j] += Double(means[i * 2 * k + l]) * Double(s) / 2 * w[l * 2 * p + j] }
      }
    }
    let reg = try KeypointRegressor.fit(means: means, keypoints: kp, frames: n, landmarks: k, keypointCount: p, imageSize: s)
    assertClose(reg.predict(means: means, frames: n), kp, .absolute(1e-9), "noiseless fit")
    var dup = means
    for i in 0..<n { dup[i * 2 * k + 2] = dup[i * 2 * k] }  // landmark 1 x = landmark 0 x
    XCTAssertThrowsError(try KeypointRegressor.fit(means: dup, keypoints: kp, frames: n, landmarks: k, keypointCount: p, imageSize: s))
    XCTAssertThrowsError(
      try KeypointRegressor.fit(
        means: Array(means.prefix(4 * k)), keypoints: Array(kp.prefix(4 * p)), frames: 2, landmarks: k, keypointCount: p,
        imageSize: s))
  }
}
