// Errors a user can cause through dataset files: each names the file (and line where there is one).
import Imaging

public enum DatasetError: Error, CustomStringConvertible {
  case notADirectory(path: String)
  case noSequences(path: String)
  case emptySequence(path: String)
  case badFrameName(path: String, detail: String)
  case mixedSizes(path: String, size: (Int, Int), expected: (Int, Int))
  case badFile(path: String, detail: String)
  case badLine(path: String, line: Int, detail: String)
  case image(ImagingError)
  case invalidArgument(String)
  /// A write stopped on request (SIGINT/SIGTERM), with the reason.
  case interrupted(String)

  public var description: String {
    switch self {
    case .notADirectory(let p): return "\(p): not a directory"
    case .noSequences(let p): return "\(p): no sequence folders (expected DIR/<sequence>/<frame>.png)"
    case .emptySequence(let p): return "\(p): empty sequence folder (no .png frames)"
    case .badFrameName(let p, let d): return "\(p): \(d)"
    case .mixedSizes(let p, let s, let e): return "\(p): frame is \(s.0)×\(s.1), the dataset's frames are \(e.0)×\(e.1)"
    case .badFile(let p, let d): return "\(p): \(d)"
    case .badLine(let p, let l, let d): return "\(p):\(l): \(d)"
    case .image(let e): return e.description
    case .invalidArgument(let d): return d
    case .interrupted(let d): return "interrupted (\(d))"
    }
  }
}
