// InputRefused: the one error SafeIO throws — a file, folder, name or size that a careless user
// or a hostile file handed us, refused with one line that names it and the number at fault.
import Foundation

public struct InputRefused: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// One line: "<what>: <why>" (no newline; names from data are escaped by `DataName.quoted`).
  public let message: String

  public init(_ message: String) { self.message = message }

  /// The message without a leading "<subject>: " (or "--out <subject>: "), for an error of the
  /// caller's that names the path itself.
  public func reason(without subject: String) -> String {
    for prefix in ["\(subject): ", "--out \(subject): "] where message.hasPrefix(prefix) {
      return String(message.dropFirst(prefix.count))
    }
    return message
  }

  public var description: String { message }
  public var errorDescription: String? { message }
}

/// Bytes as a short human figure: "69 B", "12.4 kB", "10.8 GB", "72.0 TB".
public func byteCount(_ bytes: Double) -> String {
  let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
  var v = bytes
  var i = 0
  while v >= 1000 && i < units.count - 1 {
    v /= 1000
    i += 1
  }
  return i == 0 ? "\(Int(v)) B" : String(format: "%.1f %@", v, units[i])
}
