// `lmlab eval keypoints`: the report's Table 1 protocol. Landmark files (DESIGN §4) and
// keypoint CSVs are aligned by (sequence, frame) — sequence ids compared as text, so integer
// ids match the CSV's digits; every landmark frame needs all keypoints and every annotated
// frame needs landmarks — a no-intercept least-squares regressor is fitted
// on the train split and scored on the test split. The splits are either per-split files, or
// one landmark file and one keypoint CSV of the whole dataset from which the train and test
// splits are selected by a manifest (or a dataset's splits): then the rules above hold within
// each split, and sequences outside both are left out.
import Datasets
import Foundation
import EvalMetrics
import Reports
import SafeIO
import Storage

/// Landmark means and keypoints of one split, aligned frame by frame.
struct AlignedSplit {
  var sequence: [String]
  var frame: [Int]
  var means: [Float]  // [N, K, 2]
  var keypoints: [Double]  // [N, P, 2]
  var landmarkCount: Int
}

/// Aligns a landmark file with a keypoint table; `names` fixes the keypoint order. `only`
/// keeps the frames of those sequences (a split of whole-dataset files; nil: every frame).
func alignSplit(landmarksPath: String, keypointsPath: String, names: [String]?, only: Set<String>? = nil) throws
  -> (AlignedSplit, [String])
{
  let lm = try LandmarkFile.read(from: landmarksPath)
  let table: KeypointTable
  do { table = try KeypointTable.read(keypointsPath) } catch {
    throw EvalError.keypoints(path: keypointsPath, detail: "\(error)")
  }
  let order = names ?? table.names
  guard Set(order) == Set(table.names), order.count == table.names.count else {
    throw EvalError.keypoints(
      path: keypointsPath,
      detail: "keypoints \(table.names.sorted()) differ from the training keypoints \(order.sorted())")
  }
  let index = order.map { name in table.names.firstIndex(of: name)! }
  var split = AlignedSplit(sequence: [], frame: [], means: [], keypoints: [], landmarkCount: lm.landmarkCount)
  var seen = Set<String>()
  let mu = lm.mu.values
  let k = lm.landmarkCount
  // A file without `sequence` holds one sequence: when the CSV annotates exactly one, that is it.
  var sequence = lm.sequence
  if !lm.sequenceStored, table.points.count == 1, let only = table.points.keys.first {
    sequence = [String](repeating: only, count: lm.count)
  }
  for i in 0..<lm.count {
    let (s, f) = (sequence[i], Int(lm.frame[i]))
    if let only, !only.contains(s) { continue }
    guard seen.insert("\(s)\u{0}\(f)").inserted else {
      throw MetricsError.mismatch(file: landmarksPath, reason: "frame \(f) of sequence `\(s)` appears twice")
    }
    guard let points = table.keypoints(sequence: s, frame: f) else {
      throw MetricsError.mismatch(
        file: keypointsPath, reason: "no keypoints for frame \(f) of sequence `\(s)`, which \(landmarksPath) holds (N = \(lm.count))")
    }
    for (j, src) in index.enumerated() {
      let pt = points[src]
      guard !pt.x.isNaN else {
        throw MetricsError.mismatch(file: keypointsPath, reason: "keypoint `\(order[j])` missing for frame \(f) of sequence `\(s)`")
      }
      split.keypoints += [Double(pt.x), Double(pt.y)]
    }
    split.sequence.append(s)
    split.frame.append(f)
    split.means += mu[(i * k * 2)..<((i + 1) * k * 2)]
  }
  // Annotated frames without landmarks: the landmark file's N does not cover the keypoints.
  for (s, frames) in table.points where only?.contains(s) ?? true {
    for f in frames.keys where !seen.contains("\(s)\u{0}\(f)") {
      throw MetricsError.mismatch(
        file: landmarksPath,
        reason: "has no landmarks for frame \(f) of sequence `\(s)`, annotated in \(keypointsPath) (N = \(lm.count))")
    }
  }
  return (split, order)
}

/// The outcome of a keypoint evaluation on the test split.
public struct KeypointEvaluation {
  public var regressor: KeypointRegressor
  public var keypointNames: [String]
  public var trainFrames: Int
  public var sequence: [String]  // [Ntest]
  public var frame: [Int]  // [Ntest]
  public var predicted: [Double]  // [Ntest, P, 2] pixels
  public var distances: [Double]  // [Ntest, P] pixels
  public var accuracy: KeypointAccuracy
  public var curve: [(threshold: Double, accuracy: Double)]

  public func summary() -> String {
    var lines = [
      "fitted on \(trainFrames) train frames, scored \(sequence.count) test frames × \(keypointNames.count) keypoints "
        + "(K = \(regressor.landmarkCount) landmarks, S = \(regressor.imageSize) px)",
      "  \(KeypointRegressor.version); \(KeypointAccuracy.version)",
      String(format: "accuracy within %g px: %.4f", accuracy.threshold, accuracy.overall),
    ]
    for (name, a) in zip(keypointNames, accuracy.perKeypoint) { lines.append(String(format: "  %-16@ %.4f", name as NSString, a)) }
    lines.append("accuracy against threshold:")
    lines.append(curve.map { String(format: "%g:%.3f", $0.threshold, $0.accuracy) }.joined(separator: " "))
    return lines.joined(separator: "\n")
  }

  /// Per-frame CSV rows: each keypoint's error in pixels and the frame's accuracy at the threshold.
  public func csv(method: String) -> String {
    var out = PerFrameCSV()
    let p = keypointNames.count
    for i in 0..<sequence.count {
      var hits = 0
      for (j, name) in keypointNames.enumerated() {
        let d = distances[i * p + j]
        if d <= accuracy.threshold { hits += 1 }
        out.append(method: method, sequence: sequence[i], frame: frame[i], metric: "keypoint-error-px:\(name)", value: d)
      }
      out.append(
        method: method, sequence: sequence[i], frame: frame[i], metric: "keypoint-accuracy@\(accuracy.threshold)px",
        value: Double(hits) / Double(p))
    }
    return out.render()
  }
}

public enum KeypointSplits {
  /// The default splits of a whole-dataset keypoint CSV: the manifest.json beside it (a
  /// dataset's DIR/keypoints.csv and DIR/manifest.json).
  /// - Throws: `EvalError.keypoints` when there is none, saying to give `--splits`.
  public static func besideKeypoints(_ keypoints: String) throws -> String {
    let dir = Paths.parentFolder(of: keypoints)
    let path = dir.isEmpty ? "manifest.json" : (dir as NSString).appendingPathComponent("manifest.json")
    guard FileKind.of(path) != .missing else {
      throw EvalError.keypoints(
        path: keypoints, detail: "no manifest.json beside it (\(path)) to split it by: give --splits (a manifest.json, or a dataset with splits)")
    }
    return path
  }
}

/// Train and test sequence names from `path`: a manifest (.json), or a dataset (frame folder or
/// videos .h5) with splits.
/// - Throws: `DatasetError.noSplit` naming the file and the splits it has when either is missing.
public func splitMembers(_ path: String, train: String, test: String) throws -> (train: Set<String>, test: Set<String>) {
  let splits: [String: [String]]?, origin: String, hint: String
  if path.lowercased().hasSuffix(".json") {
    splits = try DatasetManifest.read(path).splits
    (origin, hint) = (path, "")
  } else {
    let source = try DataConfig.open(path: path)
    splits = source.splits.map { $0.mapValues { $0.map { source.sequenceNames[$0] } } }
    (origin, hint) = (source.splitOrigin ?? path, source.splitHint)
  }
  func members(_ name: String) throws -> Set<String> {
    guard let m = splits?[name] else {
      throw DatasetError.noSplit(source: path, split: name, have: splits.map { $0.keys.sorted() }, origin: origin, hint: hint)
    }
    return Set(m)
  }
  return (try members(train), try members(test))
}

/// Fits on the train split and scores the test split of one landmark file and one keypoint CSV
/// of the whole dataset; `splits` (see `splitMembers`) says which sequences are which.
public func evaluateKeypoints(
  landmarks: String, keypoints: String, splits: String, trainSplit: String = "train", testSplit: String = "test",
  imageSize: Int, threshold: Double = 6
) throws -> KeypointEvaluation {
  // Fitting and scoring the same frames would report an accuracy nothing was held out for.
  guard trainSplit != testSplit else {
    throw EvalError.keypoints(path: splits, detail: "train and test split are both '\(trainSplit)': nothing is held out")
  }
  let (tr, te) = try splitMembers(splits, train: trainSplit, test: testSplit)
  let (train, names) = try alignSplit(landmarksPath: landmarks, keypointsPath: keypoints, names: nil, only: tr)
  let (test, _) = try alignSplit(landmarksPath: landmarks, keypointsPath: keypoints, names: names, only: te)
  for (split, part) in [(trainSplit, train), (testSplit, test)] where part.frame.isEmpty {
    throw MetricsError.mismatch(file: landmarks, reason: "holds no frame of split `\(split)` of \(splits)")
  }
  return try evaluateKeypoints(train: train, test: test, names: names, trainLandmarks: landmarks, testLandmarks: landmarks,
    imageSize: imageSize, threshold: threshold)
}

/// Fits on the train split and scores the test split.
/// - Throws: `MetricsError.mismatch` naming the file whose N, K or keypoints do not match;
///   `EvalError.keypoints` for a bad CSV; Storage errors for a bad landmark file.
public func evaluateKeypoints(
  trainLandmarks: String, trainKeypoints: String, testLandmarks: String, testKeypoints: String,
  imageSize: Int, threshold: Double = 6
) throws -> KeypointEvaluation {
  let (train, names) = try alignSplit(landmarksPath: trainLandmarks, keypointsPath: trainKeypoints, names: nil)
  let (test, _) = try alignSplit(landmarksPath: testLandmarks, keypointsPath: testKeypoints, names: names)
  return try evaluateKeypoints(
    train: train, test: test, names: names, trainLandmarks: trainLandmarks, testLandmarks: testLandmarks, imageSize: imageSize,
    threshold: threshold)
}

func evaluateKeypoints(
  train: AlignedSplit, test: AlignedSplit, names: [String], trainLandmarks: String, testLandmarks: String, imageSize: Int,
  threshold: Double
) throws -> KeypointEvaluation {
  guard test.landmarkCount == train.landmarkCount else {
    throw MetricsError.mismatch(
      file: testLandmarks, reason: "K = \(test.landmarkCount) landmarks, the train file \(trainLandmarks) has K = \(train.landmarkCount)")
  }
  let p = names.count
  let reg = try KeypointRegressor.fit(
    means: train.means, keypoints: train.keypoints, frames: train.frame.count, landmarks: train.landmarkCount,
    keypointCount: p, imageSize: imageSize)
  let pred = reg.predict(means: test.means, frames: test.frame.count)
  // A NaN here would score as a miss at every threshold: an accuracy of 0 that is not one.
  if let i = pred.firstIndex(where: { !$0.isFinite }) {
    throw MetricsError.mismatch(
      file: testLandmarks,
      reason: "keypoints predicted from it are NaN or infinite (\(pred.lazy.filter { !$0.isFinite }.count) values; first in frame \(test.frame[i / (2 * p)]) of sequence `\(test.sequence[i / (2 * p)])`)")
  }
  let dist = keypointDistances(predicted: pred, truth: test.keypoints)
  return KeypointEvaluation(
    regressor: reg, keypointNames: names, trainFrames: train.frame.count, sequence: test.sequence, frame: test.frame,
    predicted: pred, distances: dist, accuracy: keypointAccuracy(distances: dist, keypointCount: p, threshold: threshold),
    curve: keypointAccuracyCurve(distances: dist, keypointCount: p))
}
