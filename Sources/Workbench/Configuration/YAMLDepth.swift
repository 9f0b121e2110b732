// YAMLDepth: an upper bound of how deeply a YAML text nests, found by scanning it before the
// parser sees it. A config or sweep spec nests three or four levels; a crafted one of 100,000
// (`[[[[...`, or a staircase of `- ` lines) would otherwise reach the parser and surface as a bare
// parser position. Depth counts flow brackets, block indentation levels and compact `- - -`
// sequence starts; quoted text and comments are skipped.
import Foundation

enum YAMLDepth {
  /// Deepest nesting a config or spec may have.
  static let limit = 64

  /// The 1-based line where the nesting first exceeds `limit`, nil when it never does.
  static func firstLineTooDeep(_ text: String, limit: Int = YAMLDepth.limit) -> Int? {
    var flow = 0
    var indents: [Int] = []
    var lineNo = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNo += 1
      let line = Array(raw.unicodeScalars)
      var i = 0
      while i < line.count && line[i] == " " { i += 1 }
      let blank = i == line.count || line[i] == "#" || line[i] == "\r"
      var depth = flow
      if flow == 0 && !blank {
        while let last = indents.last, last > i { indents.removeLast() }
        if indents.last.map({ $0 < i }) ?? true { indents.append(i) }
        // Compact sequences: "- - - x" nests one level per dash.
        var dashes = 0
        var j = i
        while j + 1 < line.count && line[j] == "-" && line[j + 1] == " " {
          dashes += 1
          j += 2
          while j < line.count && line[j] == " " { j += 1 }
        }
        depth = indents.count + dashes
      }
      if depth > limit { return lineNo }
      // Flow brackets outside quotes and comments.
      var quote: Unicode.Scalar?
      var k = i
      while k < line.count {
        let c = line[k]
        if let q = quote {
          if c == q { quote = nil }
        } else if c == "'" || c == "\"" {
          quote = c
        } else if c == "#" && (k == 0 || line[k - 1] == " ") {
          break
        } else if c == "[" || c == "{" {
          flow += 1
          if indents.count + flow > limit { return lineNo }
        } else if c == "]" || c == "}" {
          flow = Swift.max(0, flow - 1)
        }
        k += 1
      }
    }
    return nil
  }

  static let message = "YAML nested more than \(limit) levels deep (a config nests a few); the file is refused before parsing"
}
