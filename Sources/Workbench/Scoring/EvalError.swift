// EvalError: what can be wrong with the inputs of `lmlab eval`; every case names the file.
import Foundation

public enum EvalError: Error, Equatable, CustomStringConvertible, LocalizedError {
  case notAFolder(path: String)
  case noFrames(path: String)
  case badFrameName(path: String, detail: String)
  /// A frame present in one folder and not the other.
  case missingFrame(present: String, absentFolder: String, sequence: String, frame: Int)
  case sizeMismatch(reference: String, predicted: String, detail: String)
  case channelMismatch(reference: String, predicted: String, detail: String)
  case unreadableImage(path: String, detail: String)
  case unknownMetric(name: String, known: [String])
  case keypoints(path: String, detail: String)
  case writeFailed(path: String, detail: String)
  /// A file refused before it is read: too many pixels for the limits or the memory, or not a
  /// regular file.
  case refused(path: String, detail: String)

  public var description: String {
    switch self {
    case .notAFolder(let p): return "\(p): not a folder of frame sequences (DIR/<sequence>/<frame>.png)"
    case .noFrames(let p): return "\(p): no PNG frames found (expected DIR/<sequence>/<frame>.png)"
    case .badFrameName(let p, let d): return "\(p): \(d)"
    case .missingFrame(let present, let folder, let s, let f):
      return "\(present): no matching frame \(f) of sequence `\(s)` in \(folder) (frames must match one to one)"
    case .sizeMismatch(let r, let p, let d): return "\(p): size differs from \(r): \(d)"
    case .channelMismatch(let r, let p, let d): return "\(p): channels differ from \(r): \(d)"
    case .unreadableImage(let p, let d): return "\(p): unreadable PNG: \(d)"
    case .unknownMetric(let n, let k): return "unknown metric `\(n)`; known: \(k.joined(separator: ", "))"
    case .keypoints(let p, let d): return "\(p): \(d)"
    case .writeFailed(let p, let d): return "\(p): cannot write: \(d)"
    case .refused(let p, let d): return "\(p): \(d)"
    }
  }

  public var errorDescription: String? { description }
}
