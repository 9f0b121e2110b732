// KeypointProbe: landmark quality during training (DESIGN §3 protocol on the synthetic splits).
// Frames of the train and test splits are encoded without autograd; a no-intercept least-squares
// map from landmark means (centred at the image centre) to keypoints is fitted on train frames
// and scored on test frames as PCK at `keypoint_threshold` pixels of the stored frames. Baselines
// measured the same way:
// the train-set mean pose for every test frame, and the untrained model's landmarks.
import Datasets
import Foundation
import Landmarks
import EvalMetrics
import TensorEngine

public final class KeypointProbe {
  /// Frames [N, 3, S, S] in [-1, 1] and their keypoints [N, P, 2] in pixels.
  struct Split {
    var images: Tensor
    var keypoints: [Double]
    var count: Int
  }

  let train: Split
  let test: Split
  public let keypointCount: Int
  public let imageSize: Int
  /// PCK threshold in pixels of the S×S frames the model sees (`thresholdPixels` of the stored
  /// frames, scaled as the frames are).
  public let threshold: Double
  /// The threshold as configured, in pixels of the stored frames.
  public let storedThreshold: Double
  public static let batch = 50

  /// Whether `source` can be probed: keypoints and non-empty train and test splits.
  public static func applies(to source: VideoSource) -> Bool {
    guard let table = source.keypoints, !table.names.isEmpty, let splits = source.splits else { return false }
    return !(splits["train"] ?? []).isEmpty && !(splits["test"] ?? []).isEmpty
  }

  /// Picks up to `frames` annotated frames (every keypoint present) of each split, evenly
  /// spaced over its sequences' annotated frames; keypoints follow the frames' centre crop and
  /// resize to S×S (pixel centres at integers).
  /// - Throws: `TrainError.setup` when the source has no keypoints, no train/test split, or a
  ///   split without an annotated frame.
  public init(source: VideoSource, imageSize: Int, frames: Int, thresholdPixels: Double) throws {
    guard let table = source.keypoints, !table.names.isEmpty else {
      throw TrainError.setup("\(source.location) has no keypoints: the keypoint probe needs them")
    }
    guard let splits = source.splits, let tr = splits["train"], let te = splits["test"], !tr.isEmpty, !te.isEmpty else {
      throw TrainError.setup("\(source.location) needs train and test splits for the keypoint probe")
    }
    let side = min(source.width, source.height)
    let scale = Double(imageSize) / Double(side)
    let offset = (x: Double((source.width - side) / 2), y: Double((source.height - side) / 2))
    func load(_ seqs: [Int], split: String) throws -> Split {
      // Annotations may be sparse (BBC Pose labels some frames): only fully annotated frames.
      var all: [(Int, Int, [SIMD2<Float>])] = []
      for q in seqs {
        for t in 0..<source.frameCount(sequence: q) {
          let number = source.frameNumber(sequence: q, index: t)
          if let pts = table.keypoints(sequence: source.sequenceNames[q], frame: number), !pts.contains(where: { $0.x.isNaN }) {
            all.append((q, t, pts))
          }
        }
      }
      guard !all.isEmpty else {
        throw TrainError.setup("\(source.location): no frame of the `\(split)` split has all \(table.names.count) keypoints")
      }
      let n = min(frames, all.count)
      let stride = Double(all.count) / Double(n)
      let s = imageSize
      let images = Tensor(zeros: [n, 3, s, s])
      var kps: [Double] = []
      for i in 0..<n {
        let (q, t, pts) = all[Int(Double(i) * stride)]
        try source.frame(sequence: q, index: t, size: s).writeNormalized(into: images.data + i * 3 * s * s)
        for p in pts {
          kps += [(Double(p.x) - offset.x + 0.5) * scale - 0.5, (Double(p.y) - offset.y + 0.5) * scale - 0.5]
        }
      }
      return Split(images: images, keypoints: kps, count: n)
    }
    train = try load(tr, split: "train")
    test = try load(te, split: "test")
    keypointCount = table.names.count
    self.imageSize = imageSize
    storedThreshold = thresholdPixels
    threshold = thresholdPixels * scale
  }

  /// Landmark means [N, K, 2] of `images`, batched, without autograd, in eval mode.
  public static func means(_ model: LandmarkModel, _ images: Tensor, batch: Int = KeypointProbe.batch) -> [Float] {
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    let n = images.shape[0]
    var out: [Float] = []
    withNoGrad {
      var i = 0
      while i < n {
        let j = min(n, i + batch)
        out += model.encode(images.slice(axis: 0, start: i, end: j)).mu.values
        i = j
      }
    }
    return out
  }

  /// PCK on test frames of the regression fitted on train frames; NaN when the fit fails
  /// (e.g. collapsed, rank-deficient landmarks), with the reason.
  /// The distances behind the value come along (nil when the fit failed), so a caller that also
  /// wants the accuracy-against-threshold curve does not encode the frames twice.
  public func accuracy(_ model: LandmarkModel) -> (value: Double, note: String?, distances: [Double]?) {
    do {
      let d = try distances(model)
      return (pck(d), nil, d)
    } catch {
      return (.nan, "\(error)", nil)
    }
  }

  /// Per-keypoint pixel distances [N·P] on test frames of the regression fitted on train frames.
  public func distances(_ model: LandmarkModel) throws -> [Double] {
    let k = model.config.nLandmarks
    let mTrain = Self.means(model, train.images)
    let mTest = Self.means(model, test.images)
    let reg = try KeypointRegressor.fit(
      means: mTrain, keypoints: train.keypoints, frames: train.count, landmarks: k, keypointCount: keypointCount,
      imageSize: imageSize)
    return keypointDistances(predicted: reg.predict(means: mTest, frames: test.count), truth: test.keypoints)
  }

  /// PCK of predicting the train-set mean pose for every test frame.
  public func meanPoseAccuracy() -> Double { pck(meanPoseDistances()) }

  /// Per-keypoint pixel distances of the train-set mean pose on every test frame.
  public func meanPoseDistances() -> [Double] {
    let m = 2 * keypointCount
    var mean = [Double](repeating: 0, count: m)
    for i in 0..<train.count { for j in 0..<m { mean[j] += train.keypoints[i * m + j] / Double(train.count) } }
    var pred: [Double] = []
    for _ in 0..<test.count { pred += mean }
    return keypointDistances(predicted: pred, truth: test.keypoints)
  }

  func pck(_ d: [Double]) -> Double {
    keypointAccuracy(distances: d, keypointCount: keypointCount, threshold: threshold).overall
  }

  /// Accuracy against threshold (the report's Fig. 9) as CSV rows
  /// `model,threshold_fraction,threshold_px,accuracy`, thresholds 0–10% of the image size.
  public func curveCSV(model name: String, distances d: [Double]) -> String {
    let fractions = (0...20).map { Double($0) * 0.005 }
    let curve = keypointAccuracyCurve(distances: d, keypointCount: keypointCount, thresholds: fractions.map { $0 * Double(imageSize) })
    return zip(fractions, curve).map { f, c in
      "\(name),\(String(format: "%.3f", f)),\(String(format: "%.4f", c.threshold)),\(c.accuracy)\n"
    }.joined()
  }

  /// Up to `count` test frames spread evenly over the probe's test frames, for pictures.
  public func testImages(_ count: Int) -> Tensor {
    let n = min(count, test.count)
    let s = imageSize
    let plane = 3 * s * s
    let out = Tensor(zeros: [n, 3, s, s])
    for i in 0..<n { (out.data + i * plane).update(from: test.images.data + (i * test.count / n) * plane, count: plane) }
    return out
  }
}
