// `lmlab eval keypoints`: keypoint-regression accuracy from landmark files (Table 1 protocol).
import ArgumentParser
import Foundation
import Workbench

struct EvalKeypoints: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keypoints",
    abstract: "Fit landmarks → keypoints on a train split (least squares, no intercept) and score a test split.")

  @Option(help: "Landmark file (HDF5: mu, covariance, sequence, frame) of the train frames.") var trainLandmarks: String
  @Option(help: "Keypoint CSV (sequence,frame,keypoint,x,y) of the train frames.") var trainKeypoints: String
  @Option(help: "Landmark file of the test frames.") var testLandmarks: String
  @Option(help: "Keypoint CSV of the test frames.") var testKeypoints: String
  @Option(help: "Side of the square frames in pixels (keypoints are centred on S/2).") var imageSize: Int
  @Option(help: "Accuracy threshold in pixels (a keypoint counts when its error is ≤ this).") var threshold: Double = 6
  @Option(help: "Method name written to the CSV.") var method: String = "keypoint-regression"
  @Option(help: "Write per-frame keypoint errors and accuracy here (method,sequence,frame,metric,value).") var csv: String?

  func validate() throws {
    guard imageSize > 0 else { throw ValidationError("--image-size must be positive") }
    guard threshold >= 0 else { throw ValidationError("--threshold must be non-negative") }
  }

  func run() throws {
    if let csv { try OutputFiles.check(csv, option: "--csv") }
    let result = try evaluateKeypoints(
      trainLandmarks: trainLandmarks, trainKeypoints: trainKeypoints, testLandmarks: testLandmarks,
      testKeypoints: testKeypoints, imageSize: imageSize, threshold: threshold)
    if let csv {
      try OutputFiles.write(result.csv(method: method), to: csv, option: "--csv")
    }
    print(result.summary())
  }
}
