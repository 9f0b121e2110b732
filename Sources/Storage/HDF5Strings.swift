// HDF5Strings: decoding and encoding HDF5 string data, shared by string datasets and string
// attributes. Reads accept variable-length and fixed-length strings (ASCII or UTF-8, any
// padding); writes produce variable-length UTF-8, as h5py does for `str`.
import CHDF5
import Foundation

enum HDF5Strings {
  /// Reads `count` strings stored with file type `fileType`.
  /// - Parameter read: performs the H5Dread/H5Aread with the given memory type into the buffer;
  ///   returns its status.
  /// - Returns: nil when `fileType` is not a string type; throws when the read fails.
  static func read(
    fileType: hid_t, count: Int, read: (hid_t, UnsafeMutableRawPointer) -> herr_t
  ) -> Result<[String], ReadError>? {
    guard H5Tget_class(fileType) == H5T_STRING else { return nil }
    guard count > 0 else { return .success([]) }
    if H5Tis_variable_str(fileType) > 0 {
      let mem = H5Tcopy(H5T_C_S1_g)
      defer { _ = H5Tclose(mem) }
      _ = H5Tset_size(mem, HDF5Library.variableSize)
      _ = H5Tset_cset(mem, H5Tget_cset(fileType))
      _ = H5Tset_strpad(mem, H5T_STR_NULLTERM)
      var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
      let status = pointers.withUnsafeMutableBytes { read(mem, $0.baseAddress!) }
      guard status >= 0 else { return .failure(ReadError(HDF5Library.failure("H5Dread/H5Aread failed"))) }
      defer { for p in pointers where p != nil { _ = H5free_memory(p) } }
      return .success(pointers.map { $0.map { String(cString: $0) } ?? "" })
    }
    let size = H5Tget_size(fileType)
    guard size > 0 else { return .success([String](repeating: "", count: count)) }
    let mem = H5Tcopy(fileType)
    defer { _ = H5Tclose(mem) }
    let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
    var bytes = [UInt8](repeating: 0, count: size * count)
    let status = bytes.withUnsafeMutableBytes { read(mem, $0.baseAddress!) }
    guard status >= 0 else { return .failure(ReadError(HDF5Library.failure("H5Dread/H5Aread failed"))) }
    var out: [String] = []
    out.reserveCapacity(count)
    for i in 0..<count {
      var slice = bytes[(i * size)..<((i + 1) * size)]
      if let nul = slice.firstIndex(of: 0) { slice = slice[..<nul] }
      if spacePadded { while slice.last == 0x20 { slice = slice.dropLast() } }
      out.append(String(decoding: slice, as: UTF8.self))
    }
    return .success(out)
  }

  struct ReadError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
  }

  /// Calls `body` with an array of C strings for `strings` (valid only during the call).
  /// The pointer is nil for an empty array.
  static func withCStrings<R>(_ strings: [String], _ body: (UnsafeRawPointer?) throws -> R) rethrows -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { for p in pointers { free(p) } }
    return try pointers.withUnsafeBytes { try body($0.baseAddress) }
  }
}
