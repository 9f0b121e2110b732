// manifest.json: train/val/test splits of a frame-folder dataset and, for synthetic sets, the
// generator's parameters and each sequence's appearance id. Only `splits` is required when
// reading (README: {"splits": {"train": [...], "val": [...], "test": [...]}}); a missing
// `format` means the current one. Read errors are one line naming the file and the field.
// Split members are checked as names from data (SafeIO's DataName) and the splits must not
// overlap: a sequence in two splits (or twice in one) would score a model on what it trained on.
// Written with sorted keys (same content, same bytes).
import Foundation
import SafeIO

public struct DatasetManifest: Encodable, Equatable, Sendable {
  /// The only manifest format so far; written by `lmlab data synth` and assumed when absent.
  public static let currentFormat = "lmlab-frames/1"

  public var format: String = DatasetManifest.currentFormat
  /// split name → sequence names.
  public var splits: [String: [String]]
  /// sequence → appearance id (synthetic sets; test appearances never occur in train).
  public var appearance: [String: Int]?
  public var keypoints: [String]?
  public var generator: [String: String]?

  public init(splits: [String: [String]], appearance: [String: Int]? = nil, keypoints: [String]? = nil, generator: [String: String]? = nil) {
    self.splits = splits
    self.appearance = appearance
    self.keypoints = keypoints
    self.generator = generator
  }

  /// Reads and checks the fields' types; keys it does not know are ignored (other tools add
  /// their own). Sequence names are checked against the folders by `FrameFolderDataset`.
  /// - Throws: `DatasetError.badFile` naming the file and the field (or JSON line) at fault.
  public static func read(_ path: String) throws -> DatasetManifest {
    let data: Data
    do { data = try FileKind.read(path, maxBytes: 256 << 20) } catch let e as InputRefused {
      throw DatasetError.badFile(path: path, detail: "cannot read manifest (\(e.reason(without: path)))")
    } catch {
      throw DatasetError.badFile(path: path, detail: "cannot read manifest")
    }
    func bad(_ detail: String) -> DatasetError { .badFile(path: path, detail: detail) }
    let object: Any
    do { object = try JSONSerialization.jsonObject(with: data) } catch {
      throw bad("invalid JSON: \(jsonSyntaxMessage(error))")
    }
    let example = #"{"splits": {"train": [...], "val": [...], "test": [...]}}"#
    guard let root = object as? [String: Any] else { throw bad("expected a JSON object like \(example)") }
    guard let rawSplits = root["splits"] else { throw bad("missing field `splits` (expected \(example))") }
    guard let splitObject = rawSplits as? [String: Any] else {
      throw bad("field `splits` must be an object of split name → list of sequence names, got \(jsonKind(rawSplits))")
    }
    var splits: [String: [String]] = [:]
    var home: [String: String] = [:]  // sequence → the split that holds it
    for name in splitObject.keys.sorted() {
      let members = try strings(splitObject[name]!, field: "splits.\(name)", bad)
      for s in members {
        if let p = DataName.problem(s) { throw bad("split \(DataName.quoted(name)) names sequence \(DataName.quoted(s)), which \(p)") }
        if let other = home[s] {
          throw bad(
            other == name
              ? "split \(DataName.quoted(name)) names sequence \(DataName.quoted(s)) twice"
              : "sequence \(DataName.quoted(s)) is in split \(DataName.quoted(other)) and in split \(DataName.quoted(name)); splits must not overlap")
        }
        home[s] = name
      }
      splits[name] = members
    }
    var m = DatasetManifest(splits: splits)
    if let f = root["format"] {
      guard let s = f as? String else { throw bad("field `format` must be a string, got \(jsonKind(f))") }
      guard s == currentFormat else { throw bad("field `format` is `\(s)`; this build reads `\(currentFormat)`") }
      m.format = s
    }
    if let a = root["appearance"] {
      guard let o = a as? [String: Any] else { throw bad("field `appearance` must be an object of sequence → integer, got \(jsonKind(a))") }
      var out: [String: Int] = [:]
      for (k, v) in o {
        guard let n = v as? Int else { throw bad("field `appearance.\(k)` must be an integer, got \(jsonKind(v))") }
        out[k] = n
      }
      m.appearance = out
    }
    if let k = root["keypoints"] { m.keypoints = try strings(k, field: "keypoints", bad) }
    if let g = root["generator"] {
      guard let o = g as? [String: Any] else { throw bad("field `generator` must be an object of strings, got \(jsonKind(g))") }
      var out: [String: String] = [:]
      for (k, v) in o {
        guard let s = v as? String else { throw bad("field `generator.\(k)` must be a string, got \(jsonKind(v))") }
        out[k] = s
      }
      m.generator = out
    }
    return m
  }

  /// The splits as sequence indices of `names` (a source's sequences, in its order).
  /// - Throws: `DatasetError.badFile` naming `path` (this manifest) and the first split member
  ///   that is not among `names` ("which has no folder" for a frame folder: `missing`).
  public func indices(of names: [String], path: String, missing: String) throws -> [String: [Int]] {
    var at: [String: Int] = [:]
    for (i, n) in names.enumerated() where at[n] == nil { at[n] = i }
    var out: [String: [Int]] = [:]
    for split in splits.keys.sorted() {
      out[split] = try splits[split]!.map { s in
        guard let i = at[s] else { throw DatasetError.badFile(path: path, detail: "split `\(split)` names sequence `\(s)`, \(missing)") }
        return i
      }
    }
    return out
  }

  public func encoded() throws -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted]
    return try enc.encode(self)
  }
}

private func strings(_ value: Any, field: String, _ bad: (String) -> DatasetError) throws -> [String] {
  guard let list = value as? [Any] else { throw bad("field `\(field)` must be a list of strings, got \(jsonKind(value))") }
  return try list.enumerated().map { i, v in
    guard let s = v as? String else { throw bad("field `\(field)[\(i)]` must be a string, got \(jsonKind(v))") }
    return s
  }
}

/// "a number", "a list", ... for messages.
func jsonKind(_ v: Any) -> String {
  switch v {
  case is String: return "a string"
  case is NSNull: return "null"
  case is [Any]: return "a list"
  case is [String: Any]: return "an object"
  case is NSNumber: return "a number"
  default: return "a value of another type"
  }
}

/// The parser's own sentence (it names the line or character), not an NSError dump.
func jsonSyntaxMessage(_ error: Error) -> String {
  let ns = error as NSError
  let text = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
  return text.split(separator: "\n").first.map(String.init) ?? "syntax error"
}
