// HDF5Library: the thin layer over the C library that the rest of Storage uses: one-time
// initialisation, a process-wide lock (the Debian serial build is not thread-safe), the
// constants Swift cannot import from HDF5's function-like macros, error-stack text, and
// type descriptions for error messages.
import CHDF5
import Foundation

/// Process-wide entry point for every HDF5 call.
enum HDF5Library {
  /// Serialises all HDF5 calls: the serial library keeps global state. Recursive so that
  /// helpers can nest.
  static let lock = NSRecursiveLock()

  private static let initialized: Bool = {
    _ = H5open()
    return true
  }()

  /// Runs `body` holding the HDF5 lock with automatic error printing switched off (errors
  /// come back as negative return codes and are turned into `StorageError`s).
  static func call<R>(_ body: () throws -> R) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    _ = initialized
    // Per-thread in thread-safe builds, so set on every entry; it is a cheap call.
    _ = H5Eset_auto2(defaultErrorStack, nil, nil)
    return try body()
  }

  /// The text of the current HDF5 error stack, outermost call first ("" when empty).
  /// Call right after a failing HDF5 function: the next call clears the stack.
  static func errorStackText() -> String {
    final class Box { var messages: [String] = [] }
    let box = Box()
    let walk: H5E_walk2_t = { _, err, data in
      guard let err, let data else { return 0 }
      let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
      if let desc = err.pointee.desc {
        let text = String(cString: desc)
        if !text.isEmpty && box.messages.last != text { box.messages.append(text) }
      }
      return 0
    }
    _ = H5Ewalk2(defaultErrorStack, H5E_WALK_DOWNWARD, walk, Unmanaged.passUnretained(box).toOpaque())
    // The outermost and innermost messages say what failed and why; the middle is plumbing.
    let m = box.messages
    if m.count <= 2 { return m.joined(separator: ": ") }
    return "\(m[0]): \(m[m.count - 1])"
  }

  /// `reason` plus the HDF5 error stack, for error messages.
  static func failure(_ reason: String) -> String {
    let stack = errorStackText()
    return stack.isEmpty ? reason : "\(reason) (HDF5: \(stack))"
  }

  // MARK: Constants that are function-like macros in the C headers.

  static let accReadOnly: UInt32 = 0x0000
  static let accReadWrite: UInt32 = 0x0001
  static let accTruncate: UInt32 = 0x0002
  static let defaultPlist: hid_t = 0  // H5P_DEFAULT
  static let defaultErrorStack: hid_t = 0  // H5E_DEFAULT
  static let allSelection: hid_t = 0  // H5S_ALL
  static let variableSize: Int = -1  // H5T_VARIABLE, (size_t)-1 as Swift's Int

  static var nativeFloat: hid_t { H5T_NATIVE_FLOAT_g }
  static var nativeDouble: hid_t { H5T_NATIVE_DOUBLE_g }
  static var nativeInt64: hid_t { H5T_NATIVE_INT64_g }
  static var nativeUInt64: hid_t { H5T_NATIVE_UINT64_g }
  static var nativeUInt8: hid_t { H5T_NATIVE_UINT8_g }
  static var fileFloat32: hid_t { H5T_IEEE_F32LE_g }
  static var fileFloat64: hid_t { H5T_IEEE_F64LE_g }
  static var fileInt64: hid_t { H5T_STD_I64LE_g }
  static var fileUInt8: hid_t { H5T_STD_U8LE_g }
  static var datasetCreateClass: hid_t { H5P_CLS_DATASET_CREATE_ID_g }
  static var linkCreateClass: hid_t { H5P_CLS_LINK_CREATE_ID_g }

  /// A new variable-length, null-terminated UTF-8 string type (caller closes it).
  static func vlenUTF8StringType() -> hid_t {
    let t = H5Tcopy(H5T_C_S1_g)
    _ = H5Tset_size(t, variableSize)
    _ = H5Tset_cset(t, H5T_CSET_UTF8)
    _ = H5Tset_strpad(t, H5T_STR_NULLTERM)
    return t
  }

  // MARK: Describing types and shapes.

  /// A short name for an HDF5 type, as numpy would call it ("float32", "uint8", "string").
  static func describe(type t: hid_t) -> String {
    let size = H5Tget_size(t)
    switch H5Tget_class(t) {
    case H5T_FLOAT: return "float\(size * 8)"
    case H5T_INTEGER: return (H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
    case H5T_STRING:
      return H5Tis_variable_str(t) > 0 ? "variable-length string" : "fixed-length string[\(size)]"
    case H5T_COMPOUND: return "compound"
    case H5T_ENUM: return "enum"
    case H5T_ARRAY: return "array"
    case H5T_VLEN: return "variable-length sequence"
    case H5T_OPAQUE: return "opaque"
    case H5T_BITFIELD: return "bitfield"
    case H5T_REFERENCE: return "reference"
    default: return "unknown type"
    }
  }

  /// The shape of a dataspace: [] for a scalar, [0] for a null dataspace.
  static func shape(of space: hid_t) -> [Int] {
    switch H5Sget_simple_extent_type(space) {
    case H5S_SCALAR: return []
    case H5S_NULL: return [0]
    default:
      let rank = Int(H5Sget_simple_extent_ndims(space))
      guard rank > 0 else { return [] }
      var dims = [hsize_t](repeating: 0, count: rank)
      _ = H5Sget_simple_extent_dims(space, &dims, nil)
      return dims.map { Int(clamping: $0) }
    }
  }

  /// A new dataspace for `shape` ([] → scalar). Caller closes it.
  static func makeSpace(_ shape: [Int]) -> hid_t {
    if shape.isEmpty { return H5Screate(H5S_SCALAR) }
    let dims = shape.map { hsize_t($0) }
    return H5Screate_simple(Int32(dims.count), dims, nil)
  }
}

/// Splits "a/b/c" into its non-empty components.
func pathComponents(_ path: String) -> [String] {
  path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
}

/// "/" for the root, otherwise the path without leading or trailing slashes.
func normalizedPath(_ path: String) -> String {
  let c = pathComponents(path)
  return c.isEmpty ? "/" : c.joined(separator: "/")
}
