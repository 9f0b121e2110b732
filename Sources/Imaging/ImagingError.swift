// Errors a user can cause through image files: each names the file.

/// A problem with an image file; `description` names the file and says what to check.
public enum ImagingError: Error, CustomStringConvertible, Equatable {
  case notFound(path: String)
  case notPNG(path: String)
  case truncated(path: String, detail: String)
  case unreadable(path: String, detail: String)
  case writeFailed(path: String, detail: String)
  /// The header claims more pixels than the limits allow (or than the file can hold).
  case tooLarge(path: String, detail: String)
  /// A FIFO, socket, device or folder where a PNG file was expected.
  case notAFile(path: String, detail: String)

  public var description: String {
    switch self {
    case .notFound(let p): return "\(p): file not found"
    case .notPNG(let p): return "\(p): not a PNG file (the 8-byte PNG signature is missing)"
    case .truncated(let p, let d): return "\(p): truncated or corrupt PNG (\(d))"
    case .unreadable(let p, let d): return "\(p): cannot read (\(d))"
    case .writeFailed(let p, let d): return "\(p): cannot write PNG (\(d))"
    case .tooLarge(let p, let d): return "\(p): \(d)"
    case .notAFile(let p, let d): return "\(p): \(d)"
    }
  }

  /// The file the error is about.
  public var path: String {
    switch self {
    case .notFound(let p), .notPNG(let p), .truncated(let p, _), .unreadable(let p, _), .writeFailed(let p, _), .tooLarge(let p, _),
      .notAFile(let p, _):
      return p
    }
  }
}
