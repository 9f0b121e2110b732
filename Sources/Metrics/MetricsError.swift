// MetricsError: errors a user can cause through metric inputs (weights files, landmark and
// keypoint data); each names the file and says what to do.
import Foundation

public enum MetricsError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// No LPIPS weights file was given or found for `net`.
  case lpipsWeightsMissing(net: String, looked: [String])
  /// A weights file does not fit the architecture (missing, unused or mis-shaped tensor).
  case lpipsWeights(path: String, key: String, reason: String)
  /// The weights file's attributes name another network or metric.
  case lpipsWrongFile(path: String, reason: String)
  /// Keypoint regression cannot be fitted (too few frames, rank-deficient landmarks).
  case regression(reason: String)
  /// Landmark and keypoint data disagree (N, K, frames), `file` names the culprit.
  case mismatch(file: String, reason: String)

  public var description: String {
    switch self {
    case .lpipsWeightsMissing(let net, let looked):
      let where_ = looked.isEmpty ? "" : " (looked at \(looked.joined(separator: ", ")))"
      return "lpips-\(net) is unavailable: no weights file\(where_); make one with "
        + "`python3 Experiments/tools/export_lpips_weights.py --net \(net) --out weights/lpips_\(net).h5` "
        + "(needs torch, torchvision, lpips and h5py, and torchvision's ImageNet \(net) weights) "
        + "and put it in one of those places."
    case .lpipsWeights(let p, let k, let r): return "\(p): LPIPS weights `\(k)`: \(r)"
    case .lpipsWrongFile(let p, let r): return "\(p): not usable as LPIPS weights: \(r)"
    case .regression(let r): return "keypoint regression: \(r)"
    case .mismatch(let f, let r): return "\(f): \(r)"
    }
  }

  public var errorDescription: String? { description }
}
