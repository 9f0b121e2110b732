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
  /// A split the source does not define: the source, the split asked for, the splits it has
  /// (nil: none), where they come from and how to add them.
  case noSplit(source: String, split: String, have: [String]?, origin: String?, hint: String)
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
    case .noSplit(let source, let split, let have?, let origin, _):
      return "\(source): no split '\(split)' (splits: \(have.joined(separator: ", "))); \(origin ?? "the source") defines the splits"
    case .noSplit(let source, let split, nil, _, let hint):
      return "\(source): no split '\(split)': it defines no splits; \(hint), "
        + "or use split '\(SplitName.all)' for every sequence (the scores are then on training sequences)"
    case .interrupted(let d): return "interrupted (\(d))"
    }
  }
}
