// KeypointProbe: landmark quality during training (DESIGN §3 protocol on the synthetic splits).
// Frames of the train and test splits are encoded without autograd; a no-intercept least-squares
// map from landmark means (centred at the image centre) to keypoints is fitted on train frames
// and scored on test frames as PCK at 5% of the image size. Baselines measured the same way:
// the train-set mean pose for every test frame, and the untrained model's landmarks.
import Datasets
import Foundation
import Landmarks
import Metrics
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
  /// PCK threshold in pixels (5% of the image size).
  public let threshold: Double
  public static let batch = 50

  /// Picks up to `frames` frames of each split, evenly spaced over its sequences' frames.
  /// - Throws: `TrainError.setup` when the source has no keypoints or no train/test split.
  public init(source: VideoSource, imageSize: Int, frames: Int) throws {
    guard let table = source.keypoints, !table.names.isEmpty else {
      throw TrainError.setup("\(source.location) has no keypoints: the keypoint probe needs them")
    }
    guard let splits = source.splits, let tr = splits["train"], let te = splits["test"], !tr.isEmpty, !te.isEmpty else {
      throw TrainError.setup("\(source.location) needs train and test splits for the keypoint probe")
    }
    func load(_ seqs: [Int]) throws -> Split {
      var all: [(Int, Int)] = []
      for s in seqs { for t in 0..<source.frameCount(sequence: s) { all.append((s, t)) } }
      let n = min(frames, all.count)
      let stride = Double(all.count) / Double(n)
      let s = imageSize
      let images = Tensor(zeros: [n, 3, s, s])
      var kps: [Double] = []
      for i in 0..<n {
        let (seq, t) = all[Int(Double(i) * stride)]
        let scale = Double(s) / Double(source.width)
        try source.frame(sequence: seq, index: t, size: s).writeNormalized(into: images.data + i * 3 * s * s)
        guard let pts = table.keypoints(sequence: source.sequenceNames[seq], frame: source.frameNumber(sequence: seq, index: t))
        else { throw TrainError.setup("no keypoints for frame \(t) of \(source.sequenceNames[seq])") }
        for p in pts { kps += [Double(p.x) * scale, Double(p.y) * scale] }
      }
      return Split(images: images, keypoints: kps, count: n)
    }
    train = try load(tr)
    test = try load(te)
    keypointCount = table.names.count
    self.imageSize = imageSize
    threshold = 0.05 * Double(imageSize)
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
  public func accuracy(_ model: LandmarkModel) -> (value: Double, note: String?) {
    let k = model.config.nLandmarks
    let mTrain = Self.means(model, train.images)
    let mTest = Self.means(model, test.images)
    do {
      let reg = try KeypointRegressor.fit(
        means: mTrain, keypoints: train.keypoints, frames: train.count, landmarks: k, keypointCount: keypointCount,
        imageSize: imageSize)
      let pred = reg.predict(means: mTest, frames: test.count)
      return (score(pred), nil)
    } catch {
      return (.nan, "\(error)")
    }
  }

  /// PCK of predicting the train-set mean pose for every test frame.
  public func meanPoseAccuracy() -> Double {
    let m = 2 * keypointCount
    var mean = [Double](repeating: 0, count: m)
    for i in 0..<train.count { for j in 0..<m { mean[j] += train.keypoints[i * m + j] / Double(train.count) } }
    var pred: [Double] = []
    for _ in 0..<test.count { pred += mean }
    return score(pred)
  }

  func score(_ predicted: [Double]) -> Double {
    let d = keypointDistances(predicted: predicted, truth: test.keypoints)
    return keypointAccuracy(distances: d, keypointCount: keypointCount, threshold: threshold).overall
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
