// LandmarkLiveness: which landmarks follow the figure. On the training sequences a dynamics run
// encoded (states_train.h5 in its folder), each landmark's RMS motion within a sequence, and —
// when the source annotates every frame's keypoints — its best correlation with a keypoint's
// motion; a landmark is live when that correlation exceeds `PoseState.liveCorrelation`.
// Measured at the start of every dynamics run (logged as `live_landmarks`) and by
// `lmlab eval live --run ID` on any dynamics run.
import Datasets
import Dynamics
import Foundation
import SafeIO
import Registry

public struct LandmarkLiveness: Sendable {
  /// Per landmark: RMS motion (px) within a sequence; best correlation with a keypoint's motion.
  public var motionPixels: [Double]
  public var follow: [Double]?

  /// Landmarks following some keypoint (nil without per-frame keypoints).
  public var live: Int? { follow.map { $0.filter { $0 > PoseState.liveCorrelation }.count } }

  public init(states: StateSequences, source: VideoSource, imageSize: Int) {
    motionPixels = PoseState.motionPixels(states.states, imageSize: imageSize)
    follow = Self.keypoints(source, states.sequences).map { PoseState.followCorrelation(states.states, keypoints: $0) }
  }

  /// Per sequence, per frame, the annotated keypoints; nil when the source has none or some frame
  /// lacks them (sparse annotations give no trajectories to follow).
  static func keypoints(_ source: VideoSource, _ sequences: [Int]) -> [[[SIMD2<Float>]]]? {
    guard let table = source.keypoints else { return nil }
    var all: [[[SIMD2<Float>]]] = []
    for q in sequences {
      var frames: [[SIMD2<Float>]] = []
      for t in 0..<source.frameCount(sequence: q) {
        guard let pts = table.keypoints(sequence: source.sequenceNames[q], frame: source.frameNumber(sequence: q, index: t)),
          !pts.contains(where: { $0.x.isNaN })
        else { return nil }
        frames.append(pts)
      }
      all.append(frames)
    }
    return all
  }

  /// One line: the motion, the follow correlations and the live count.
  public var summary: String {
    var line = "landmark motion within a training sequence (px RMS): " + motionPixels.map { String(format: "%.1f", $0) }.joined(separator: " ")
    if let follow, let live {
      line += "; following a keypoint (best correlation): " + follow.map { String(format: "%.2f", $0) }.joined(separator: " ")
        + "; live (> \(String(format: "%g", PoseState.liveCorrelation))): \(live) of \(follow.count)"
    } else {
      line += "; no per-frame keypoints to say which follow the figure"
    }
    return line
  }

  /// The liveness of dynamics run `id`'s training sequences, from the states it cached.
  public static func of(dynamicsRun id: Int64, registry: Registry) throws -> LandmarkLiveness {
    let (_, ckpt, c) = try DynamicsSetup.finishedRun(id, kind: DynamicsSetup.dynamicsKind, registry: registry, role: "--run")
    let path = Paths.parentFolder(of: ckpt) + "/states_train.h5"
    let source = try TrainSetup.dataset(c)
    let states = try StateSequences.read(from: path, source: source, sequences: try TrainSetup.trainSequences(source))
    return LandmarkLiveness(states: states, source: source, imageSize: c.model.imgSize)
  }
}
