// The lines `lmlab predict` and `lmlab interpolate` print for a finished frame run: the means
// per frame index, the rollout's state checks, the decoded range before clamping, and where
// the frames and scores went.
import Dynamics
import Foundation

extension PredictSummary {
  /// `what` names the command ("predict lstm", "interpolate cholesky"); `out` is its folder.
  public func lines(what: String, out: String) -> [String] {
    var lines = ["run \(runId): \(what), means per frame index:", table]
    if let v = validity {
      lines.append("states: \(v.nonFinite) non-finite numbers, \(v.invalidCovariances) invalid covariances")
    }
    if let r = decodedRange {
      lines.append(String(format: "decoded frames before clamping: [%.3f, %.3f]", r.lowerBound, r.upperBound))
    }
    lines.append("frames in \(out)/frames, scores in \(out)/scores.csv")
    return lines
  }
}
