// WeightsImport: `lmlab weights import` in library form: a PyTorch checkpoint (.pth / .pt /
// .ckpt, either torch.save format, read natively by Storage) converted to LandmarkLab's HDF5
// layout: one float32 dataset per tensor named by its dotted path (DESIGN §4), each with a
// `torch_dtype` attribute (the dtype it was saved with); root attributes `source`,
// `source_format` ("pytorch-zip" / "pytorch-legacy"), `prefix` when one was given, and
// `pytorch_metadata`: a JSON object of the checkpoint's non-tensor leaves (epoch,
// hyper_parameters.lr, ...) by dotted path. The file is written beside --out and renamed into
// place; an existing --out is refused unless forced.
import Foundation
import Storage
import TensorEngine

/// Why `weights import` refuses its inputs; one line naming the file or option at fault.
public enum WeightsImportError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// --out exists and --force was not given.
  case outputExists(path: String)
  /// The input is not a PyTorch checkpoint (an HDF5 file needs no import).
  case notPyTorch(path: String, kind: String)
  /// --prefix selects no tensor; `available` lists the first path components that exist.
  case prefixMatchesNothing(path: String, prefix: String, available: [String])
  /// The input and --out are the same file.
  case sameFile(path: String)

  public var description: String {
    switch self {
    case .outputExists(let p): return "--out \(p): exists; pass --force to replace it"
    case .notPyTorch(let p, let k): return "\(p): is \(k), not a PyTorch checkpoint: nothing to import"
    case .prefixMatchesNothing(let p, let prefix, let available):
      return
        "--prefix \(prefix): no tensor of \(p) is under it (top-level names: \(available.joined(separator: ", ")))"
    case .sameFile(let p): return "--out \(p): is the input file"
    }
  }

  public var errorDescription: String? { description }
}

/// Converts PyTorch checkpoints to HDF5 weights files.
public enum WeightsImport {
  /// What an import wrote.
  public struct Summary {
    public let output: String
    public let format: PyTorchFormat
    /// Tensors written, in file order.
    public let tensors: Int
    /// Elements of all tensors written (parameters and buffers).
    public let parameters: Int
    /// Tensors per saved dtype.
    public let dtypes: [(dtype: String, count: Int)]
    /// Non-tensor leaves kept in `pytorch_metadata`.
    public let metadata: Int
    /// Tensors left out by --prefix.
    public let skipped: Int
    public let seconds: Double

    /// The lines `lmlab weights import` prints.
    public var lines: [String] {
      var out = [
        String(
          format: "wrote %d tensors (%@ parameters) to %@ in %.2f s", tensors, Self.grouped(parameters),
          output, seconds),
        "dtypes as saved: " + dtypes.map { "\($0.dtype) \($0.count)" }.joined(separator: ", ")
          + " (all stored as float32)",
      ]
      var notes = ["read from the \(format.rawValue) torch.save format"]
      if skipped > 0 { notes.append("\(skipped) tensors outside --prefix left out") }
      if metadata > 0 { notes.append("\(metadata) non-tensor values kept in the pytorch_metadata attribute") }
      out.append(notes.joined(separator: "; "))
      return out
    }

    static func grouped(_ n: Int) -> String {
      let digits = String(n)
      var out = ""
      for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
      }
      return out
    }
  }

  /// Converts `input` to the HDF5 file `output`.
  /// - Parameters:
  ///   - prefix: keep only tensors whose dotted name starts with `prefix.`, named without it
  ///     (`state_dict` for a PyTorch Lightning checkpoint).
  ///   - force: replace an existing `output`.
  /// - Throws: `WeightsImportError`, `PyTorchError` (the input), `StorageError` (writing).
  public static func run(input: String, output: String, prefix: String? = nil, force: Bool = false) throws
    -> Summary
  {
    let start = Date()
    let fm = FileManager.default
    guard fm.fileExists(atPath: input) else {
      throw PyTorchError.unreadable(path: input, reason: "file not found")
    }
    if PyTorchCheckpoint.format(ofFileAt: input) == nil {
      let kind =
        (try? WeightsFile.kind(ofFileAt: input)) == .hdf5 ? "an HDF5 file" : "neither HDF5 nor torch.save"
      throw WeightsImportError.notPyTorch(path: input, kind: kind)
    }
    if fm.fileExists(atPath: output) {
      let a = URL(fileURLWithPath: input).resolvingSymlinksInPath().path
      let b = URL(fileURLWithPath: output).resolvingSymlinksInPath().path
      guard a != b else { throw WeightsImportError.sameFile(path: output) }
      guard force else { throw WeightsImportError.outputExists(path: output) }
    }
    let contents = try PyTorchCheckpoint.contents(path: input)
    var selected = contents.tensors.map { (name: $0.name, dtype: $0.dtype, tensor: $0.tensor) }
    if let raw = prefix {
      let p = raw.hasSuffix(".") ? String(raw.dropLast()) : raw
      selected = selected.compactMap { t in
        t.name.hasPrefix(p + ".") ? (String(t.name.dropFirst(p.count + 1)), t.dtype, t.tensor) : nil
      }
      guard !selected.isEmpty else {
        var seen = Set<String>()
        let tops = contents.tensors.compactMap { t -> String? in
          let top = String(t.name.split(separator: ".", maxSplits: 1).first ?? "")
          return seen.insert(top).inserted ? top : nil
        }
        throw WeightsImportError.prefixMatchesNothing(
          path: input, prefix: raw, available: Array(tops.prefix(10)))
      }
    }
    var attributes = [("source", input), ("source_format", "pytorch-" + contents.format.rawValue)]
    if let prefix { attributes.append(("prefix", prefix)) }
    if !contents.metadata.isEmpty { attributes.append(("pytorch_metadata", metadataJSON(contents.metadata))) }
    try WeightsFile.writeHDF5(
      selected.map { ($0.name, $0.tensor) }, attributes: attributes,
      datasetAttributes: Dictionary(
        selected.map { ($0.name, [("torch_dtype", $0.dtype)]) }, uniquingKeysWith: { a, _ in a }),
      to: output)
    var counts: [String: Int] = [:]
    var order: [String] = []
    for t in selected {
      if counts[t.dtype] == nil { order.append(t.dtype) }
      counts[t.dtype, default: 0] += 1
    }
    return Summary(
      output: output, format: contents.format, tensors: selected.count,
      parameters: selected.reduce(0) { $0 + $1.tensor.count }, dtypes: order.map { ($0, counts[$0]!) },
      metadata: contents.metadata.count, skipped: contents.tensors.count - selected.count,
      seconds: Date().timeIntervalSince(start))
  }

  /// The metadata leaves as one JSON object (keys sorted).
  static func metadataJSON(_ metadata: [(name: String, value: PyTorchValue)]) -> String {
    var object: [String: Any] = [:]
    for (name, value) in metadata {
      switch value {
      case .none: object[name] = NSNull()
      case .bool(let b): object[name] = b
      case .int(let i): object[name] = i
      case .float(let d): object[name] = d.isFinite ? d as Any : String(d) as Any
      case .string(let s): object[name] = s
      case .other(let s): object[name] = "<\(s)>"
      }
    }
    let data =
      (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}
