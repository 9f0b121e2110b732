// ReportsError: what can go wrong writing or reading report files; each names the file.
import Foundation
import SafeIO

public enum ReportsError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// A report file could not be written.
  case write(path: String, reason: String)
  /// CSV text is not RFC 4180 (an unterminated quote, text after a closing quote).
  case csv(source: String, line: Int, reason: String)
  /// A report option that does not fit the selected runs (e.g. a metric none of them has).
  case option(String)

  public var description: String {
    switch self {
    case .write(let p, let r): return "\(p): cannot write: \(r)"
    case .csv(let s, let l, let r): return "\(s):\(l): \(r)"
    case .option(let m): return m
    }
  }

  public var errorDescription: String? { description }
}

/// Writes `text` to `path` through a temporary file and a rename (a reader never sees half a file).
func writeReportFile(_ text: String, to path: String) throws {
  do {
    try AtomicFile.write(Data(text.utf8), to: path)
  } catch let e as InputRefused {
    throw ReportsError.write(path: path, reason: e.reason(without: path))
  }
}
