// PyTorchCheckpoint: reads a torch.save file (`.pth`, `.pt`, `.ckpt`; zip or legacy format)
// natively, without Python and without executing anything, into float32 tensors named by their
// dotted path.
//
// Flattening rule: dicts (OrderedDict, dict, Lightning's AttributeDict) contribute their keys
// (strings as they are; ints, bools, None and floats as Python prints them), lists and tuples
// their indices, so {'state_dict': {'conv.weight': t}, 'optimizer_states': [{'state': {0:
// {'exp_avg': u}}}]} gives `state_dict.conv.weight` and `optimizer_states.0.state.0.exp_avg`.
// Tensor leaves become `PyTorchTensor`s in file order (the order the pickle lists them);
// int, float, bool, None and string leaves go to `metadata`; empty containers give nothing. A
// bare tensor saved on its own is named "tensor". Two tensors with one dotted name, a dict key
// that is not a string or number, or nesting deeper than `maxDepth` are errors.
import Foundation
import SafeIO
import TensorEngine

/// A tensor of a PyTorch checkpoint, converted to float32.
public struct PyTorchTensor {
  /// Dotted path in the saved object ("state_dict.encoder.conv1.weight").
  public let name: String
  /// The dtype it was saved with: "float32", "float16", "bfloat16", "float64", "int64",
  /// "int32", "int16", "int8", "uint8" or "bool".
  public let dtype: String
  /// Contiguous row-major float32 copy, shape as saved.
  public let tensor: Tensor

  public init(name: String, dtype: String, tensor: Tensor) {
    self.name = name
    self.dtype = dtype
    self.tensor = tensor
  }
}

/// A non-tensor leaf of a checkpoint (an epoch, a learning rate, a hyperparameter).
public enum PyTorchValue: Equatable, CustomStringConvertible, Sendable {
  case none
  case bool(Bool)
  case int(Int64)
  case float(Double)
  case string(String)
  /// Anything else that is data (a long int, bytes, a bare storage), described.
  case other(String)

  public var description: String {
    switch self {
    case .none: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return String(i)
    case .float(let d): return String(d)
    case .string(let s): return s
    case .other(let s): return "<\(s)>"
    }
  }
}

/// Everything read from one checkpoint.
public struct PyTorchContents {
  public let path: String
  public let format: PyTorchFormat
  /// The zip format's `version` record, when present.
  public let formatVersion: Int?
  /// Tensors in file order.
  public let tensors: [PyTorchTensor]
  /// Non-tensor leaves in file order, by dotted path.
  public let metadata: [(name: String, value: PyTorchValue)]
}

/// Reads PyTorch checkpoints. See the file header for the flattening rule.
public enum PyTorchCheckpoint {
  /// Containers nested deeper than this are refused.
  public static let maxDepth = 64

  /// The tensors of the checkpoint at `path`, in file order.
  /// - Throws: `PyTorchError` naming the file and the cause.
  public static func read(path: String) throws -> [PyTorchTensor] {
    try contents(path: path).tensors
  }

  /// The tensors of the checkpoint at `path` by dotted name.
  /// - Throws: `PyTorchError` naming the file and the cause.
  public static func stateDict(path: String) throws -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: try read(path: path).map { ($0.name, $0.tensor) })
  }

  /// Tensors, metadata and format of the checkpoint at `path`.
  /// - Parameter include: which tensors (by dotted name) to convert; the others are skipped
  ///   (neither copied nor checked against their storages).
  /// - Throws: `PyTorchError` naming the file and the cause.
  public static func contents(path: String, include: (String) -> Bool = { _ in true }) throws
    -> PyTorchContents
  {
    let bytes = try mapFile(path)
    let parsed: ParsedPyTorchFile
    switch detect(bytes) {
    case .zip?: parsed = try PyTorchFormats.readZip(path: path, bytes: bytes)
    case .legacy?: parsed = try PyTorchFormats.readLegacy(path: path, bytes: bytes)
    case nil: throw PyTorchError.notPyTorch(path: path, reason: describeStart(bytes))
    }
    defer { parsed.release() }
    var flat = Flattener(path: path)
    try flat.visit(parsed.root, name: "", depth: 0)
    let tensors = try flat.tensors.filter { include($0.0) }.map { name, view in
      PyTorchTensor(
        name: name, dtype: view.storage.dtype.rawValue,
        tensor: try view.materialize(name: name, bytes: bytes, path: path))
    }
    return PyTorchContents(
      path: path, format: parsed.format, formatVersion: parsed.formatVersion, tensors: tensors,
      metadata: flat.metadata)
  }

  /// The torch.save layout the file's first bytes announce, or nil when it is neither (read
  /// errors also give nil).
  public static func format(ofFileAt path: String) -> PyTorchFormat? {
    guard FileKind.of(path) == .regular, let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 4)) ?? Data()
    return detect(ByteView(data: head))
  }

  static func detect(_ bytes: ByteView) -> PyTorchFormat? {
    if ZipArchive.looksLikeZip(bytes) { return .zip }
    if bytes.u8(0) == 0x80 { return .legacy }  // a pickle: PROTO opcode
    return nil
  }

  /// The file's bytes, memory-mapped.
  static func mapFile(_ path: String) throws -> ByteView {
    // By kind first, as every reader of a user's file: mapping a FIFO would block.
    switch FileKind.of(path) {
    case .regular: break
    case .missing: throw PyTorchError.unreadable(path: path, reason: "file not found")
    case .directory: throw PyTorchError.unreadable(path: path, reason: "is a folder")
    case .special(let k): throw PyTorchError.unreadable(path: path, reason: "\(k), not a regular file")
    }
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
      return ByteView(data: data.startIndex == 0 ? data : Data(data))
    } catch {
      throw PyTorchError.unreadable(path: path, reason: error.localizedDescription)
    }
  }

  /// Why the first bytes are not a torch.save file, for messages.
  static func describeStart(_ bytes: ByteView) -> String {
    if bytes.count == 0 { return "the file is empty" }
    if bytes.count > 262, bytes.bytes(257..<262) == Data("ustar".utf8) {
      return "a tar archive (torch.save's format before torch 0.1.10 is not read)"
    }
    let head = (0..<min(8, bytes.count)).map { String(format: "%02x", bytes.u8($0)!) }.joined(separator: " ")
    return "starts with bytes \(head) (expected 'PK' for the zip format or 0x80 for the legacy pickle)"
  }
}

/// Walks the root object, collecting tensor views and metadata by dotted name.
private struct Flattener {
  let path: String
  var tensors: [(String, TorchTensorView)] = []
  var metadata: [(name: String, value: PyTorchValue)] = []
  private var seen = Set<String>()

  init(path: String) { self.path = path }

  mutating func visit(_ value: PickleValue, name: String, depth: Int) throws {
    guard depth <= PyTorchCheckpoint.maxDepth else {
      throw PyTorchError.limitExceeded(
        path: path, what: "nesting depth at '\(name.prefix(200))'", value: depth,
        limit: PyTorchCheckpoint.maxDepth)
    }
    func child(_ component: String) -> String { name.isEmpty ? component : name + "." + component }
    switch value {
    case .dict(let d):
      for (k, v) in d.entries { try visit(v, name: child(try keyText(k, in: name)), depth: depth + 1) }
    case .list(let l), .tuple(let l):
      for (i, v) in l.items.enumerated() { try visit(v, name: child(String(i)), depth: depth + 1) }
    case .tensor(let view):
      let n = name.isEmpty ? "tensor" : name
      guard seen.insert(n).inserted else {
        throw PyTorchError.invalidContents(
          path: path, object: n, reason: "two tensors flatten to this dotted name")
      }
      tensors.append((n, view))
    case .none: metadata.append((name, .none))
    case .bool(let b): metadata.append((name, .bool(b)))
    case .int(let i): metadata.append((name, .int(i)))
    case .float(let d): metadata.append((name, .float(d)))
    case .string(let s): metadata.append((name, .string(s)))
    case .bigInt(let raw): metadata.append((name, .other("\(raw.count)-byte int")))
    case .bytes(let b): metadata.append((name, .other("\(b.count) bytes")))
    case .storage(let s): metadata.append((name, .other("\(s.dtype.rawValue) storage \(s.key)")))
    case .global(let g): metadata.append((name, .other(g.name)))
    }
  }

  private func keyText(_ key: PickleValue, in name: String) throws -> String {
    switch key {
    case .string(let s): return s
    case .int(let i): return String(i)
    case .bool(let b): return b ? "True" : "False"
    case .none: return "None"
    case .float(let d): return String(d)
    default:
      throw PyTorchError.invalidContents(
        path: path, object: name.isEmpty ? "<root>" : name,
        reason: "has a dict key that is \(key.kind), not a string or number")
    }
  }
}
