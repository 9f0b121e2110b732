// The `--where` / `--sort` language: parsed without touching the database, compiled to a SQL
// condition on `runs r` with bound arguments (never string-pasted values).
//
//   expr    := term ('or' term)*
//   term    := factor ('and' factor)*
//   factor  := 'not' factor | '(' expr ')' | field op value
//   op      := = | == | != | <> | < | <= | > | >= | ~ (contains) | !~ (does not contain)
//   field   := run column (id status kind name seed host parent experiment config_hash
//              git_commit dataset_fingerprint) | param.KEY | KEY (a param) |
//              metric.NAME (latest value) | best.NAME | min.NAME | max.NAME
//   value   := number | true | false | word | 'quoted' | "quoted"
//
// `~` tests whether the field's text contains the value's text, ignoring ASCII letter case; the
// value is literal (`%`, `_` and `\` match themselves: they are escaped for SQL's LIKE).
// Limits, so that no input crashes the parser or the database's: at most `WhereParser.maxDepth`
// nested parentheses / `not`s and `WhereParser.maxComparisons` comparisons (SQLite's own parser
// overflows its stack near 100 nested terms; PostgreSQL has a similar limit), chains of `and` /
// `or` compiled flat (a OR b OR c, not nested pairs).
//
// Example: n_landmarks=30 and status=finished and metric.keypoint_acc>0.7
import Foundation

public enum WhereField: Equatable, Sendable {
  public enum Stat: String, Sendable { case last = "metric", best, min, max }
  case column(String)
  case experiment
  case param(String)
  case metric(String, Stat)

  /// The text a user writes for this field (also the listing's column header).
  public var label: String {
    switch self {
    case .column(let c): return c
    case .experiment: return "experiment"
    case .param(let k): return k
    case .metric(let n, let s): return "\(s.rawValue).\(n)"
    }
  }

  public func renamingParam(_ rename: (String) -> String) -> WhereField {
    if case .param(let k) = self { return .param(rename(k)) }
    return self
  }

  static let runColumns: [String: String] = [
    "id": "id", "status": "status", "kind": "kind", "name": "name", "seed": "seed", "host": "host",
    "parent": "parent_id", "config_hash": "config_hash", "git_commit": "git_commit",
    "dataset_fingerprint": "dataset_fingerprint", "worker": "worker",
  ]

  /// Resolves a dotted field name; anything not a run column or prefixed is a param key.
  public static func parse(_ word: String) -> WhereField {
    if word == "experiment" { return .experiment }
    if runColumns[word] != nil { return .column(word) }
    if let dot = word.firstIndex(of: ".") {
      let prefix = String(word[..<dot])
      let rest = String(word[word.index(after: dot)...])
      if !rest.isEmpty {
        switch prefix {
        case "param", "params", "config": return .param(rest)
        case "metric", "metrics", "last": return .metric(rest, .last)
        case "best": return .metric(rest, .best)
        case "min": return .metric(rest, .min)
        case "max": return .metric(rest, .max)
        default: break
        }
      }
    }
    return .param(word)
  }
}

public enum WhereOp: String, Sendable {
  case eq = "="
  case ne = "!="
  case lt = "<"
  case le = "<="
  case gt = ">"
  case ge = ">="
  case contains = "~"
  case notContains = "!~"
  var sql: String {
    switch self {
    case .eq: return "="
    case .ne: return "<>"
    case .lt, .le, .gt, .ge: return rawValue
    case .contains: return "LIKE"
    case .notContains: return "NOT LIKE"
    }
  }
}

public enum WhereValue: Equatable, Sendable {
  case number(Double)
  case text(String)
  case bool(Bool)
}

public indirect enum WhereExpr: Equatable, Sendable {
  case and(WhereExpr, WhereExpr)
  case or(WhereExpr, WhereExpr)
  case not(WhereExpr)
  case compare(WhereField, WhereOp, WhereValue)

  /// Every field the expression mentions, in order of appearance.
  public var fields: [WhereField] {
    switch self {
    case .and(let a, let b), .or(let a, let b): return a.fields + b.fields
    case .not(let a): return a.fields
    case .compare(let f, _, _): return [f]
    }
  }

  /// The same expression with param keys renamed (e.g. config aliases → canonical keys).
  public func renamingParams(_ rename: (String) -> String) -> WhereExpr {
    switch self {
    case .and(let a, let b): return .and(a.renamingParams(rename), b.renamingParams(rename))
    case .or(let a, let b): return .or(a.renamingParams(rename), b.renamingParams(rename))
    case .not(let a): return .not(a.renamingParams(rename))
    case .compare(let f, let op, let v): return .compare(f.renamingParam(rename), op, v)
    }
  }

  public static func parse(_ text: String) throws -> WhereExpr {
    var p = WhereParser(text: text)
    return try p.parseAll()
  }

  /// SQL condition on `runs r` and its arguments, in order. A chain of one connective is written
  /// flat, `(a AND b AND c)`, so its length does not nest the SQL.
  public func sql() throws -> (String, [Any?]) {
    switch self {
    case .and, .or:
      let isAnd: Bool
      if case .and = self { isAnd = true } else { isAnd = false }
      var parts: [String] = []
      var args: [Any?] = []
      for term in chain(isAnd: isAnd) {
        let (t, x) = try term.sql()
        parts.append(t)
        args += x
      }
      return ("(" + parts.joined(separator: isAnd ? " AND " : " OR ") + ")", args)
    case .not(let a):
      let (sa, xa) = try a.sql()
      return ("(NOT \(sa))", xa)
    case .compare(let field, let op, let value):
      return try WhereExpr.compareSQL(field, op, value)
    }
  }

  /// The operands of a chain of one connective, left to right (a and b and c → [a, b, c]).
  func chain(isAnd: Bool) -> [WhereExpr] {
    var out: [WhereExpr] = []
    var stack: [WhereExpr] = [self]
    while let e = stack.popLast() {
      switch (e, isAnd) {
      case (.and(let a, let b), true), (.or(let a, let b), false): stack += [b, a]
      default: out.append(e)
      }
    }
    return out
  }

  private static func compareSQL(_ field: WhereField, _ op: WhereOp, _ value: WhereValue) throws
    -> (String, [Any?])
  {
    let like = op == .contains || op == .notContains
    func textArg(_ v: WhereValue) -> String {
      let s: String
      switch v {
      case .text(let t): s = t
      case .number(let n): s = formatNumber(n)
      case .bool(let b): s = b ? "true" : "false"
      }
      return like ? "%" + likeEscaped(s) + "%" : s
    }
    // `~` matches without regard to case on both engines (SQLite's LIKE already ignores ASCII
    // case, PostgreSQL's does not); the text is literal: LIKE's wildcards are escaped with '\'.
    func compare(_ lhs: String) -> String {
      like ? "LOWER(\(lhs)) \(op.sql) LOWER(?) ESCAPE '\\'" : "\(lhs) \(op.sql) ?"
    }
    switch field {
    case .column(let name):
      let col = "r." + WhereField.runColumns[name]!
      if name == "status", case .text(let s) = value, RunStatus(rawValue: s) == nil {
        let near = nearestName(s, among: RunStatus.allCases.map(\.rawValue))
        throw RegistryError.unknownField(field: "status '\(s)'", suggestion: near)
      }
      if case .number(let n) = value, !like { return (compare(col), [n]) }
      // Text compared with a numeric column: cast so PostgreSQL compares text with text.
      let numeric = ["id", "parent_id", "seed", "pid"].contains(WhereField.runColumns[name]!)
      return (compare(numeric ? "CAST(\(col) AS TEXT)" : col), [textArg(value)])
    case .experiment:
      return (
        "r.experiment_id IN (SELECT e.id FROM experiments e WHERE \(compare("e.name")))", [textArg(value)]
      )
    case .param(let key):
      let pred: String
      let arg: Any?
      switch (value, like) {
      case (.number(let n), false): (pred, arg) = ("p.number \(op.sql) ?", n)
      case (.bool(let b), false): (pred, arg) = ("p.number \(op.sql) ?", b ? 1.0 : 0.0)
      default: (pred, arg) = (compare("p.text"), textArg(value))
      }
      // Uncorrelated IN: evaluated once through the (key, number|text) index, then a set
      // lookup per run (a semi-join on PostgreSQL).
      return ("r.id IN (SELECT p.run_id FROM params p WHERE p.key = ? AND \(pred))", [key, arg])
    case .metric(let name, let stat):
      guard case .number(let n) = value, !like else {
        throw RegistryError.malformedExpression(
          expression: field.label, column: 1, message: "metric values are numbers; compare with a number")
      }
      return (
        "r.id IN (SELECT s.run_id FROM series_summaries s WHERE s.name = ? AND \(statSQL(stat)) \(op.sql) ?)",
        [name, n]
      )
    }
  }

  /// `text` with LIKE's wildcards and the escape character escaped ("p_ain" → "p\\_ain").
  static func likeEscaped(_ text: String) -> String {
    var out = ""
    for c in text {
      if c == "%" || c == "_" || c == "\\" { out.append("\\") }
      out.append(c)
    }
    return out
  }

  static func statSQL(_ stat: WhereField.Stat) -> String {
    switch stat {
    case .last: return "s.last_value"
    case .min: return "s.min_value"
    case .max: return "s.max_value"
    case .best: return "(CASE WHEN s.goal = 'max' THEN s.max_value ELSE s.min_value END)"
    }
  }
}

/// A sort key: a field, descending when written with a leading '-'.
public struct SortKey: Equatable, Sendable {
  public var field: WhereField
  public var descending: Bool

  public static func parse(_ text: String) throws -> SortKey {
    var t = text.trimmingCharacters(in: .whitespaces)
    var desc = false
    for (suffix, d) in [(":desc", true), (":asc", false)] where t.lowercased().hasSuffix(suffix) {
      t = String(t.dropLast(suffix.count))
      desc = d
    }
    if t.hasPrefix("-") {
      desc = true
      t.removeFirst()
    } else if t.hasPrefix("+") {
      t.removeFirst()
    }
    guard !t.isEmpty, t.allSatisfy({ WhereParser.isWordChar($0) }) else {
      throw RegistryError.malformedExpression(
        expression: text, column: 1, message: "a sort key is a field name, optionally prefixed by '-'")
    }
    return SortKey(field: WhereField.parse(t), descending: desc)
  }

  /// Value expressions on `runs r` this key sorts by (a param sorts by number, then text),
  /// each with its arguments. Selected under aliases so each is evaluated once per row.
  public func valueSQL() -> [(String, [Any?])] {
    switch field {
    case .column(let c): return [("r." + WhereField.runColumns[c]!, [])]
    case .experiment: return [("(SELECT e.name FROM experiments e WHERE e.id = r.experiment_id)", [])]
    case .param(let k):
      return [
        ("(SELECT p.number FROM params p WHERE p.run_id = r.id AND p.key = ?)", [k]),
        ("(SELECT p.text FROM params p WHERE p.run_id = r.id AND p.key = ?)", [k]),
      ]
    case .metric(let n, let s):
      return [
        ("(SELECT \(WhereExpr.statSQL(s)) FROM series_summaries s WHERE s.run_id = r.id AND s.name = ?)", [n])
      ]
    }
  }

  /// ORDER BY terms over the aliases `valueSQL` was selected as; nulls last on SQLite and
  /// PostgreSQL alike.
  public func orderSQL(aliases: [String]) -> String {
    let dir = descending ? "DESC" : "ASC"
    return "(\(aliases[0]) IS NULL), " + aliases.map { "\($0) \(dir)" }.joined(separator: ", ")
  }
}

/// Recursive-descent parser with 1-based column positions in its errors; its recursion is
/// bounded by `maxDepth`, and an expression by `maxComparisons`.
struct WhereParser {
  /// Deepest nesting of parentheses and `not`s.
  static let maxDepth = 12
  /// Most comparisons in one expression.
  static let maxComparisons = 64
  var depth = 0
  var comparisons = 0
  enum Token: Equatable {
    case word(String)
    case quoted(String)
    case op(WhereOp)
    case lparen, rparen
    case end
  }
  let text: String
  var tokens: [(Token, Int)] = []
  var pos = 0

  init(text: String) { self.text = text }

  static func isWordChar(_ c: Character) -> Bool {
    c.isLetter || c.isNumber || "_.-+:/@%".contains(c)
  }

  func fail(_ column: Int, _ message: String) -> RegistryError {
    .malformedExpression(expression: text, column: column, message: message)
  }

  mutating func tokenize() throws {
    let chars = Array(text)
    var i = 0
    while i < chars.count {
      let c = chars[i]
      let col = i + 1
      if c.isWhitespace {
        i += 1
      } else if c == "(" {
        tokens.append((.lparen, col))
        i += 1
      } else if c == ")" {
        tokens.append((.rparen, col))
        i += 1
      } else if c == "'" || c == "\"" {
        var j = i + 1
        var s = ""
        while j < chars.count && chars[j] != c {
          s.append(chars[j])
          j += 1
        }
        if j >= chars.count { throw fail(col, "unterminated quoted string") }
        tokens.append((.quoted(s), col))
        i = j + 1
      } else if "=!<>~".contains(c) {
        let two = i + 1 < chars.count ? String([c, chars[i + 1]]) : ""
        let op: WhereOp
        switch two {
        case "==": op = .eq
        case "!=", "<>": op = .ne
        case "<=": op = .le
        case ">=": op = .ge
        case "!~": op = .notContains
        default:
          switch c {
          case "=": op = .eq
          case "<": op = .lt
          case ">": op = .gt
          case "~": op = .contains
          default: throw fail(col, "'!' must be followed by '=' or '~'")
          }
          tokens.append((.op(op), col))
          i += 1
          continue
        }
        tokens.append((.op(op), col))
        i += 2
      } else if WhereParser.isWordChar(c) {
        var j = i
        var s = ""
        while j < chars.count && WhereParser.isWordChar(chars[j]) {
          s.append(chars[j])
          j += 1
        }
        tokens.append((.word(s), col))
        i = j
      } else {
        throw fail(col, "unexpected character '\(c)'")
      }
    }
    tokens.append((.end, chars.count + 1))
  }

  var current: (Token, Int) { tokens[pos] }

  func isKeyword(_ t: Token, _ k: String) -> Bool {
    if case .word(let w) = t { return w.lowercased() == k }
    return false
  }

  mutating func parseAll() throws -> WhereExpr {
    try tokenize()
    if case .end = current.0 { throw fail(1, "empty expression") }
    let e = try parseOr()
    if case .end = current.0 { return e }
    throw fail(current.1, "expected 'and', 'or' or the end, found \(describe(current.0))")
  }

  mutating func parseOr() throws -> WhereExpr {
    var lhs = try parseAnd()
    while isKeyword(current.0, "or") {
      pos += 1
      lhs = .or(lhs, try parseAnd())
    }
    return lhs
  }

  mutating func parseAnd() throws -> WhereExpr {
    var lhs = try parseFactor()
    while isKeyword(current.0, "and") {
      pos += 1
      lhs = .and(lhs, try parseFactor())
    }
    return lhs
  }

  /// Enters one level of nesting at `col`, refusing one too many.
  mutating func nest(_ col: Int) throws {
    depth += 1
    if depth > Self.maxDepth {
      throw fail(col, "more than \(Self.maxDepth) nested parentheses or 'not's")
    }
  }

  mutating func parseFactor() throws -> WhereExpr {
    let (tok, col) = current
    if isKeyword(tok, "not") {
      try nest(col)
      defer { depth -= 1 }
      pos += 1
      return .not(try parseFactor())
    }
    switch tok {
    case .lparen:
      try nest(col)
      defer { depth -= 1 }
      pos += 1
      let e = try parseOr()
      guard case .rparen = current.0 else {
        throw fail(current.1, "expected ')' to close '(' at column \(col)")
      }
      pos += 1
      return e
    case .word(let w):
      if ["and", "or"].contains(w.lowercased()) { throw fail(col, "expected a field name, found '\(w)'") }
      pos += 1
      guard case .op(let op) = current.0 else {
        throw fail(
          current.1, "expected an operator (= != < <= > >= ~) after '\(w)', found \(describe(current.0))")
      }
      let opCol = current.1
      pos += 1
      let value: WhereValue
      switch current.0 {
      case .quoted(let s): value = .text(s)
      case .word(let v):
        if ["and", "or", "not"].contains(v.lowercased()) {
          throw fail(current.1, "expected a value after '\(op.rawValue)', found '\(v)'")
        }
        if v.lowercased() == "true" {
          value = .bool(true)
        } else if v.lowercased() == "false" {
          value = .bool(false)
        } else if let n = Double(v), v.first != "+" || v.count > 1 {
          value = .number(n)
        } else {
          value = .text(v)
        }
      default:
        throw fail(
          current.1 == text.count + 1 ? opCol : current.1,
          "expected a value after '\(op.rawValue)', found \(describe(current.0))")
      }
      pos += 1
      comparisons += 1
      if comparisons > Self.maxComparisons {
        throw fail(col, "more than \(Self.maxComparisons) comparisons in one expression")
      }
      return .compare(WhereField.parse(w), op, value)
    default:
      throw fail(col, "expected a field name or '(', found \(describe(tok))")
    }
  }

  func describe(_ t: Token) -> String {
    switch t {
    case .word(let w): return "'\(w)'"
    case .quoted(let s): return "'\(s)'"
    case .op(let o): return "'\(o.rawValue)'"
    case .lparen: return "'('"
    case .rparen: return "')'"
    case .end: return "the end"
    }
  }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo.
public func nearestName(_ name: String, among candidates: [String]) -> String? {
  var best: (String, Int)?
  for c in candidates {
    let d = editDistance(name, c)
    if best == nil || d < best!.1 { best = (c, d) }
  }
  guard let (c, d) = best, d <= max(2, name.count / 2) else { return nil }
  return c
}

/// Levenshtein distance (insert, delete, substitute: cost 1 each).
public func editDistance(_ a: String, _ b: String) -> Int {
  let x = Array(a)
  let y = Array(b)
  if x.isEmpty { return y.count }
  if y.isEmpty { return x.count }
  var prev = Array(0...y.count)
  var cur = [Int](repeating: 0, count: y.count + 1)
  for i in 1...x.count {
    cur[0] = i
    for j in 1...y.count {
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
    }
    swap(&prev, &cur)
  }
  return prev[y.count]
}
