// ImportError: why `lmlab import predictions` refuses its inputs. Every case is one line that
// names the option, file, sequence or frame at fault; a refused import registers nothing.
import Foundation

public enum ImportError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// An option's value is wrong: "--method lstm: ...".
  case option(name: String, value: String, reason: String)
  /// The predicted and reference folders hold different sequences.
  case sequences(
    dir: String, reference: String, dirCount: Int, referenceCount: Int, onlyInDir: [String],
    onlyInReference: [String])
  /// A reference frame that should be predicted has no prediction.
  case missingFrame(reference: String, dir: String, sequence: String, frame: Int, index: Int)
  /// A predicted frame (a file, or a video of a video array) that cannot be scored.
  case frame(path: String, reason: String)

  public var description: String {
    switch self {
    case .option(let name, let value, let reason): return "\(name) \(value): \(reason)"
    case .sequences(let dir, let ref, let nd, let nr, let onlyDir, let onlyRef):
      var parts: [String] = []
      if !onlyDir.isEmpty { parts.append("\(Self.names(onlyDir)) only in \(dir)") }
      if !onlyRef.isEmpty { parts.append("\(Self.names(onlyRef)) only in \(ref)") }
      return
        "\(dir) holds \(nd) sequence(s), the reference \(ref) holds \(nr): \(parts.joined(separator: "; ")) (sequences must match by folder name)"
    case .missingFrame(let ref, let dir, let s, let f, let i):
      return "\(ref): frame \(f) of sequence `\(s)` (horizon step \(i)) has no prediction in \(dir)/\(s)"
    case .frame(let path, let reason): return "\(path): \(reason)"
    }
  }

  public var errorDescription: String? { description }

  /// "`a`, `b`, `c` and 4 more".
  static func names(_ list: [String], limit: Int = 3) -> String {
    let shown = list.prefix(limit).map { "`\($0)`" }.joined(separator: ", ")
    return list.count > limit ? "\(shown) and \(list.count - limit) more" : shown
  }
}
