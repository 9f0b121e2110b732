// PyTorchError: why a PyTorch checkpoint (torch.save, zip or legacy format) cannot be read.
// Every case names the file and, where one is at fault, the ZIP entry, pickle global, storage
// or tensor, in one line a user can act on. Nothing in a refused file is ever executed.
import Foundation

/// An error reading a `.pth` / `.pt` / `.ckpt` file written by `torch.save`.
public enum PyTorchError: Error, Equatable {
  /// `path` does not exist or cannot be read.
  case unreadable(path: String, reason: String)
  /// `path` is neither a torch.save ZIP archive nor a legacy torch.save pickle stream.
  case notPyTorch(path: String, reason: String)
  /// The ZIP container is damaged or uses a feature this reader does not support
  /// (compression, encryption, ZIP64); `entry` is "" when the archive as a whole is at fault.
  case zip(path: String, entry: String, reason: String)
  /// The pickle names a global that is not on the allow-list (e.g. `os.system`). Nothing is
  /// ever imported or called.
  case forbiddenGlobal(path: String, global: String)
  /// The pickle stream is malformed or uses an opcode this restricted reader does not run.
  case pickle(path: String, offset: Int, reason: String)
  /// A tensor's view (offset, size, stride) reaches beyond the bytes its storage holds.
  case storageTooShort(path: String, tensor: String, storage: String, needed: Int, available: Int)
  /// A size cap was exceeded (declared element counts, nesting depth, memo or stack size).
  case limitExceeded(path: String, what: String, value: Int, limit: Int)
  /// A storage type (dtype) this reader does not convert.
  case unsupportedType(path: String, object: String, type: String)
  /// The file's structure is valid but its contents are not what a checkpoint holds
  /// (a missing storage, a malformed tensor, two tensors flattening to one name).
  case invalidContents(path: String, object: String, reason: String)
}

extension PyTorchError: CustomStringConvertible, LocalizedError {
  public var description: String {
    switch self {
    case .unreadable(let p, let r):
      return "\(p): cannot read: \(r)"
    case .notPyTorch(let p, let r):
      return "\(p): not a PyTorch checkpoint (torch.save zip or legacy format): \(r)"
    case .zip(let p, let e, let r):
      return e.isEmpty ? "\(p): ZIP archive: \(r)" : "\(p): ZIP entry '\(e)': \(r)"
    case .forbiddenGlobal(let p, let g):
      return "\(p): refuses pickle global '\(g)': only tensor-rebuilding globals "
        + "(collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.*Storage, ...) are allowed; "
        + "nothing was executed"
    case .pickle(let p, let o, let r):
      return "\(p): pickle at byte \(o): \(r)"
    case .storageTooShort(let p, let t, let s, let n, let a):
      return "\(p): tensor '\(t)' needs \(n) elements of storage '\(s)', which holds \(a)"
    case .limitExceeded(let p, let w, let v, let l):
      return "\(p): \(w) is \(v), above the limit of \(l)"
    case .unsupportedType(let p, let o, let t):
      return "\(p): '\(o)' has storage type \(t), which this reader does not convert "
        + "(float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool are read)"
    case .invalidContents(let p, let o, let r):
      return "\(p): '\(o)': \(r)"
    }
  }

  public var errorDescription: String? { description }
}
