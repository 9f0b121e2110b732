// `lmlab eval keypoints`: keypoint-regression accuracy from landmark files (Table 1 protocol).
import ArgumentParser
import Foundation
import Workbench

struct EvalKeypoints: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keypoints",
    abstract: "Fit landmarks → keypoints on a train split (least squares, no intercept) and score a test split.",
    discussion: "Whole-dataset files: --landmarks ALL.h5 --keypoints DIR/keypoints.csv (--splits DIR/manifest.json by default). Per-split files: --train-landmarks, --train-keypoints, --test-landmarks, --test-keypoints.")

  @Option(help: "Landmark file (HDF5: mu, covariance, sequence, frame) of the whole dataset; the splits select train and test.")
  var landmarks: String?
  @Option(help: "Keypoint CSV (sequence,frame,keypoint,x,y) of the whole dataset (with --landmarks).") var keypoints: String?
  @Option(
    help: "With --landmarks: the splits, a manifest.json or a dataset (frame folder or videos .h5) with splits (default: manifest.json beside --keypoints).")
  var splits: String?
  @Option(help: "With --landmarks: the split to fit on.") var trainSplit = "train"
  @Option(help: "With --landmarks: the split to score.") var testSplit = "test"
  @Option(help: "Landmark file (HDF5: mu, covariance, sequence, frame) of the train frames.") var trainLandmarks: String?
  @Option(help: "Keypoint CSV (sequence,frame,keypoint,x,y) of the train frames.") var trainKeypoints: String?
  @Option(help: "Landmark file of the test frames.") var testLandmarks: String?
  @Option(help: "Keypoint CSV of the test frames.") var testKeypoints: String?
  @Option(help: "Side of the square frames in pixels (keypoints are centred on S/2).") var imageSize: Int
  @Option(help: "Accuracy threshold in pixels (a keypoint counts when its error is ≤ this).") var threshold: Double = 6
  @Option(help: "Method name written to the CSV.") var method: String = "keypoint-regression"
  @Option(help: "Write per-frame keypoint errors and accuracy here (method,sequence,frame,metric,value).") var csv: String?

  /// The two ways to give the data: whole-dataset files and splits, or four per-split files.
  var perSplit: [String?] { [trainLandmarks, trainKeypoints, testLandmarks, testKeypoints] }

  func validate() throws {
    if landmarks != nil || keypoints != nil {
      guard landmarks != nil, keypoints != nil else { throw ValidationError("give --landmarks and --keypoints together") }
      guard perSplit.allSatisfy({ $0 == nil }) else {
        throw ValidationError("give either --landmarks/--keypoints (whole dataset) or the four --train-*/--test-* files, not both")
      }
    } else {
      guard perSplit.allSatisfy({ $0 != nil }) else {
        throw ValidationError(
          "give --landmarks and --keypoints (whole dataset, split by a manifest) or all of --train-landmarks, --train-keypoints, --test-landmarks, --test-keypoints")
      }
      guard splits == nil else { throw ValidationError("--splits goes with --landmarks and --keypoints") }
    }
    guard imageSize > 0 else { throw ValidationError("--image-size must be positive") }
    guard threshold >= 0 else { throw ValidationError("--threshold must be non-negative") }
  }

  func run() throws {
    if let csv { try OutputFiles.check(csv, option: "--csv") }
    let result: KeypointEvaluation
    if let landmarks, let keypoints {
      let splitsPath = try splits ?? KeypointSplits.besideKeypoints(keypoints)
      result = try evaluateKeypoints(
        landmarks: landmarks, keypoints: keypoints, splits: splitsPath, trainSplit: trainSplit, testSplit: testSplit,
        imageSize: imageSize, threshold: threshold)
    } else {
      result = try evaluateKeypoints(
        trainLandmarks: trainLandmarks!, trainKeypoints: trainKeypoints!, testLandmarks: testLandmarks!,
        testKeypoints: testKeypoints!, imageSize: imageSize, threshold: threshold)
    }
    if let csv {
      try OutputFiles.write(result.csv(method: method), to: csv, option: "--csv")
    }
    print(result.summary())
  }
}
