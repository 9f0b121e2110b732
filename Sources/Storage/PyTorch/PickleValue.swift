// PickleValue: the values the restricted unpickler builds, and the allow-list of globals it
// accepts. A global is a name only: it is never imported or called. Pickle's own callables
// (REDUCE, NEWOBJ) are interpreted for the allow-listed names alone, as data constructors:
// collections.OrderedDict builds a dict, torch._utils._rebuild_tensor_v2 records a tensor view
// of a storage (materialised later, once its name and the storage bytes are known).
import Foundation

/// A value on the pickle stack. Containers are reference types because pickle's memo shares
/// them (a list taken from the memo and appended to changes every reference to it).
enum PickleValue {
  case none
  case bool(Bool)
  case int(Int64)
  /// LONG1/LONG4 wider than 64 bits: little-endian two's-complement bytes.
  case bigInt([UInt8])
  case float(Double)
  case string(String)
  case bytes(Data)
  case list(PickleList)
  case tuple(PickleList)
  case dict(PickleDict)
  case global(TorchGlobal)
  case storage(TorchStorage)
  case tensor(TorchTensorView)

  /// A short description for error messages ("a tuple", "the string 'abc'").
  var kind: String {
    switch self {
    case .none: return "None"
    case .bool: return "a bool"
    case .int(let v): return "the int \(v)"
    case .bigInt: return "a long int"
    case .float(let v): return "the float \(v)"
    case .string(let s): return "the string '\(s.prefix(40))'"
    case .bytes: return "bytes"
    case .list: return "a list"
    case .tuple: return "a tuple"
    case .dict: return "a dict"
    case .global(let g): return "the global \(g.name)"
    case .storage: return "a storage"
    case .tensor: return "a tensor"
    }
  }

  var intValue: Int64? {
    switch self {
    case .int(let v): return v
    case .bool(let b): return b ? 1 : 0
    default: return nil
    }
  }

  var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The items of a tuple or list.
  var sequence: [PickleValue]? {
    switch self {
    case .tuple(let l), .list(let l): return l.items
    default: return nil
    }
  }
}

/// Base of the mutable containers, so that the machine can empty every container it made
/// once the result is used: deep or cyclic structures are then freed without recursion.
class PickleContainer {
  func clear() {}
}

/// A list or a tuple.
final class PickleList: PickleContainer {
  var items: [PickleValue]
  init(_ items: [PickleValue] = []) { self.items = items }
  override func clear() { items = [] }
}

/// A dict in insertion order; setting an existing key replaces its value in place (as Python).
final class PickleDict: PickleContainer {
  /// The keys that can be compared (strings, ints, bools, None, floats).
  enum Key: Hashable {
    case string(String)
    case int(Int64)
    case none
    case float(UInt64)

    init?(_ v: PickleValue) {
      switch v {
      case .string(let s): self = .string(s)
      case .int(let i): self = .int(i)
      case .bool(let b): self = .int(b ? 1 : 0)  // Python: True == 1
      case .none: self = .none
      case .float(let d): self = d == d.rounded() && abs(d) < 9e18 ? .int(Int64(d)) : .float(d.bitPattern)
      default: return nil
      }
    }
  }

  private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
  private var index: [Key: Int] = [:]

  func set(_ key: PickleValue, _ value: PickleValue) {
    if let k = Key(key) {
      if let i = index[k] {
        entries[i].value = value
        return
      }
      index[k] = entries.count
    }
    entries.append((key, value))
  }

  override func clear() {
    entries = []
    index = [:]
  }
}

/// An allow-listed global: what it is, and its full name (module.name) for messages.
struct TorchGlobal {
  enum Role: Equatable {
    /// collections.OrderedDict.
    case orderedDict
    /// A dict subclass that holds only data (Lightning's AttributeDict): built as a dict.
    case dictClass
    case rebuildTensor, rebuildTensorV2, rebuildParameter, rebuildParameterWithState
    /// torch._tensor._rebuild_from_type_v2(func, type, args, state), with type a tensor class.
    case rebuildFromType
    /// torch.FloatStorage and friends: the storage type in a persistent id.
    case storageType(TorchDType)
    /// A torch.*Storage type this reader does not convert (ComplexFloatStorage, ...).
    case unsupportedStorageType
    /// torch.Tensor, torch.nn.parameter.Parameter: only as the type of _rebuild_from_type_v2.
    case tensorClass
  }

  let role: Role
  let name: String

  /// The allow-list. Anything else (os.system, builtins.eval, torch.storage._load_from_bytes,
  /// a model class) is refused by the caller, naming it.
  static func allowed(module: String, name: String) -> TorchGlobal? {
    let full = module + "." + name
    let role: Role?
    switch (module, name) {
    case ("collections", "OrderedDict"): role = .orderedDict
    case ("lightning.fabric.utilities.data", "AttributeDict"),
      ("lightning_fabric.utilities.data", "AttributeDict"),
      ("pytorch_lightning.utilities.parsing", "AttributeDict"):
      role = .dictClass
    case ("torch._utils", "_rebuild_tensor"): role = .rebuildTensor
    case ("torch._utils", "_rebuild_tensor_v2"): role = .rebuildTensorV2
    case ("torch._utils", "_rebuild_parameter"): role = .rebuildParameter
    case ("torch._utils", "_rebuild_parameter_with_state"): role = .rebuildParameterWithState
    case ("torch._tensor", "_rebuild_from_type_v2"): role = .rebuildFromType
    case ("torch", "Tensor"), ("torch._tensor", "Tensor"), ("torch.nn.parameter", "Parameter"):
      role = .tensorClass
    case ("torch", _) where name.hasSuffix("Storage"):
      role = TorchDType(storageType: name).map { .storageType($0) } ?? .unsupportedStorageType
    default: role = nil
    }
    return role.map { TorchGlobal(role: $0, name: full) }
  }
}
