// Keypoint regression (DESIGN §3, the report's Table 1): landmark means (2K numbers per frame)
// → annotated keypoints by least squares without intercept, both centred on the crop centre,
// fitted on train frames and applied to test frames; accuracy = share of keypoints within a
// pixel threshold (a keypoint counts when its distance is ≤ the threshold).

/// A fitted linear map from landmark means to keypoints.
public struct KeypointRegressor: Sendable {
  public static let version = "keypoint-regression-v1 least-squares no-intercept centred-at-S/2"
  /// Side of the (square) frames in pixels; the centre S/2 is the origin of both sides.
  public let imageSize: Int
  public let landmarkCount: Int  // K
  public let keypointCount: Int  // P
  /// [2K, 2P] row-major: centred keypoints (x0, y0, x1, …) = centred landmark pixels · W.
  public let weights: [Double]

  /// Landmark means [N, K, 2] in the model's coordinates (x, y in [−1, 1], 0 at the centre) as
  /// centred pixels [N, 2K]: μ·S/2.
  static func design(_ means: [Float], frames n: Int, landmarks k: Int, imageSize s: Int) -> [Double] {
    precondition(means.count == n * k * 2, "keypoints: \(means.count) landmark values for N \(n), K \(k)")
    let half = Double(s) / 2
    return means.map { Double($0) * half }
  }

  /// Fits on `frames` training frames: `means` [N, K, 2] landmark means, `keypoints` [N, P, 2]
  /// annotated keypoints in pixels of S×S frames.
  /// - Throws: `MetricsError.regression` with NaN/infinite inputs (named as such, not as the
  ///   rank deficiency they would cause), too few frames or rank-deficient landmarks.
  public static func fit(
    means: [Float], keypoints: [Double], frames n: Int, landmarks k: Int, keypointCount p: Int, imageSize s: Int
  ) throws -> KeypointRegressor {
    precondition(keypoints.count == n * p * 2, "keypoints: \(keypoints.count) values for N \(n), P \(p)")
    if let i = means.firstIndex(where: { !$0.isFinite }) {
      let bad = means.lazy.filter { !$0.isFinite }.count
      throw MetricsError.regression(
        reason: "the training landmark means hold \(bad) NaN or infinite value(s) (first: frame \(i / Swift.max(2 * k, 1)), landmark \((i / 2) % Swift.max(k, 1)))")
    }
    if let i = keypoints.firstIndex(where: { !$0.isFinite }) {
      throw MetricsError.regression(reason: "the training keypoints hold NaN or infinite values (first: frame \(i / Swift.max(2 * p, 1)))")
    }
    let x = design(means, frames: n, landmarks: k, imageSize: s)
    let c = Double(s) / 2
    let y = keypoints.map { $0 - c }
    let w = try leastSquares(x, rows: n, cols: 2 * k, y, rhs: 2 * p)
    return KeypointRegressor(imageSize: s, landmarkCount: k, keypointCount: p, weights: w)
  }

  /// Predicted keypoints [N, P, 2] in pixels for landmark means [N, K, 2].
  public func predict(means: [Float], frames n: Int) -> [Double] {
    let (d, m) = (2 * landmarkCount, 2 * keypointCount)
    let x = KeypointRegressor.design(means, frames: n, landmarks: landmarkCount, imageSize: imageSize)
    let c = Double(imageSize) / 2
    var out = [Double](repeating: c, count: n * m)
    for i in 0..<n {
      for j in 0..<m {
        var s = 0.0
        for l in 0..<d { s += x[i * d + l] * weights[l * m + j] }
        out[i * m + j] += s
      }
    }
    return out
  }
}

/// Share of keypoints within `threshold` pixels (≤), overall and per keypoint; higher is better.
public struct KeypointAccuracy: Sendable, Equatable {
  public static let version = "keypoint-accuracy-v1 euclidean distance <= threshold"
  public let threshold: Double
  public let overall: Double
  /// [P]
  public let perKeypoint: [Double]
  public let frames: Int
}

/// Euclidean distances [N, P] between predicted and true keypoints [N, P, 2].
public func keypointDistances(predicted: [Double], truth: [Double]) -> [Double] {
  precondition(predicted.count == truth.count && predicted.count % 2 == 0, "keypointDistances: sizes differ")
  return (0..<(predicted.count / 2)).map { i in
    let dx = predicted[2 * i] - truth[2 * i], dy = predicted[2 * i + 1] - truth[2 * i + 1]
    return (dx * dx + dy * dy).squareRoot()
  }
}

/// Accuracy at one threshold from distances [N, P].
public func keypointAccuracy(distances: [Double], keypointCount p: Int, threshold: Double) -> KeypointAccuracy {
  precondition(p > 0 && distances.count % p == 0, "keypointAccuracy: \(distances.count) distances for P \(p)")
  let n = distances.count / p
  var per = [Double](repeating: 0, count: p)
  for (i, d) in distances.enumerated() where d <= threshold { per[i % p] += 1 }
  let hits = per.reduce(0, +)
  return KeypointAccuracy(
    threshold: threshold, overall: n == 0 ? .nan : hits / Double(n * p),
    perKeypoint: per.map { n == 0 ? .nan : $0 / Double(n) }, frames: n)
}

/// Overall accuracy against threshold (the report's Fig. 9), default 0, 1, …, 20 px.
public func keypointAccuracyCurve(
  distances: [Double], keypointCount p: Int, thresholds: [Double] = (0...20).map(Double.init)
) -> [(threshold: Double, accuracy: Double)] {
  thresholds.map { ($0, keypointAccuracy(distances: distances, keypointCount: p, threshold: $0).overall) }
}
