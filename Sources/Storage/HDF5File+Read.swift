// HDF5File+Read: reading datasets as float32 tensors, [Float], [Double], [Int64], [UInt64],
// [UInt8], [String] and names (strings or integers as text), whole or as a range of rows along the first axis (a hyperslab).
// Numeric reads go straight into the destination buffer through HDF5's type conversion
// (float64/float16/integers → float32 and so on), with no per-element Swift loop.
// A shape is a claim of the file (a 1 kB chunked file may declare 10 GB): every read checks the
// bytes it is about to allocate against the memory available (SafeIO's MemoryBudget) first.
import CHDF5
import Foundation
import SafeIO
import TensorEngine

extension HDF5File {
  /// The shape of dataset `name` ([] for a scalar dataspace).
  /// - Throws: `.missingDataset`.
  public func shape(of name: String) throws -> [Int] {
    try HDF5Library.call {
      let ds = try openDataset(name)
      defer { _ = H5Dclose(ds) }
      let space = H5Dget_space(ds)
      defer { _ = H5Sclose(space) }
      return HDF5Library.shape(of: space)
    }
  }

  /// The element type of dataset `name` as numpy names it ("float32", "int64", "uint8",
  /// "variable-length string", ...).
  public func elementType(of name: String) throws -> String {
    try HDF5Library.call {
      let ds = try openDataset(name)
      defer { _ = H5Dclose(ds) }
      let t = H5Dget_type(ds)
      defer { _ = H5Tclose(t) }
      return HDF5Library.describe(type: t)
    }
  }

  /// Reads a numeric dataset as a float32 tensor of its shape.
  /// - Parameter rows: a range along the first axis to read instead of the whole dataset.
  /// - Returns: a tensor of shape `shape(of: name)` (first axis `rows.count` when given).
  /// - Throws: `.missingDataset`, `.wrongType` (strings, compounds), `.readFailed`.
  public func readTensor(_ name: String, rows: Range<Int>? = nil) throws -> Tensor {
    try withNumericRead(
      name, memType: HDF5Library.nativeFloat, expected: "a numeric type", integerOnly: false, rows: rows
    ) {
      shape, read in
      let storage = TensorStorage(count: Tensor.elementCount(shape))
      try read(UnsafeMutableRawPointer(storage.pointer))
      return Tensor(shape: shape, storage: storage)
    }
  }

  /// Reads a numeric dataset converted to float32, row-major.
  public func readFloats(_ name: String, rows: Range<Int>? = nil) throws -> (values: [Float], shape: [Int]) {
    try readArray(
      name, memType: HDF5Library.nativeFloat, expected: "a numeric type", integerOnly: false, rows: rows)
  }

  /// Reads a numeric dataset converted to float64, row-major.
  public func readDoubles(_ name: String, rows: Range<Int>? = nil) throws -> (values: [Double], shape: [Int])
  {
    try readArray(
      name, memType: HDF5Library.nativeDouble, expected: "a numeric type", integerOnly: false, rows: rows)
  }

  /// Reads an integer dataset converted to int64 (unsigned values above Int64.max clamp;
  /// use `readUInt64s` for bit patterns).
  public func readInt64s(_ name: String, rows: Range<Int>? = nil) throws -> (values: [Int64], shape: [Int]) {
    try readArray(
      name, memType: HDF5Library.nativeInt64, expected: "an integer type", integerOnly: true, rows: rows)
  }

  /// Reads an integer dataset converted to uint64 (negative values clamp to 0).
  public func readUInt64s(_ name: String, rows: Range<Int>? = nil) throws -> (values: [UInt64], shape: [Int])
  {
    try readArray(
      name, memType: HDF5Library.nativeUInt64, expected: "an integer type", integerOnly: true, rows: rows)
  }

  /// Reads an integer dataset as uint8 (video arrays: [N, T, H, W, C]). Out-of-range values clamp.
  public func readUInt8s(_ name: String, rows: Range<Int>? = nil) throws -> (values: [UInt8], shape: [Int]) {
    try readArray(
      name, memType: HDF5Library.nativeUInt8, expected: "an integer type", integerOnly: true, rows: rows)
  }

  /// Whether dataset `name` holds unsigned integers.
  public func isUnsignedInteger(_ name: String) throws -> Bool {
    try HDF5Library.call {
      let ds = try openDataset(name)
      defer { _ = H5Dclose(ds) }
      let t = H5Dget_type(ds)
      defer { _ = H5Tclose(t) }
      return H5Tget_class(t) == H5T_INTEGER && H5Tget_sign(t) == H5T_SGN_NONE
    }
  }

  /// Reads a string dataset (fixed- or variable-length, any shape) flattened row-major.
  /// - Throws: `.wrongType` for non-string datasets.
  public func readStrings(_ name: String) throws -> [String] {
    try HDF5Library.call {
      let ds = try openDataset(name)
      defer { _ = H5Dclose(ds) }
      let t = H5Dget_type(ds)
      defer { _ = H5Tclose(t) }
      let space = H5Dget_space(ds)
      defer { _ = H5Sclose(space) }
      let count = try checkAllocation(HDF5Library.shape(of: space), elementBytes: 64, object: normalizedPath(name))
      if H5Tis_variable_str(t) > 0 { try checkVariableLengthData(dataset: name, count: count, object: normalizedPath(name)) }
      let result = HDF5Strings.read(fileType: t, count: count) { mem, buf in
        H5Dread(ds, mem, HDF5Library.allSelection, HDF5Library.allSelection, HDF5Library.defaultPlist, buf)
      }
      switch result {
      case nil:
        throw StorageError.wrongType(
          path: path, object: normalizedPath(name), expected: "strings", found: HDF5Library.describe(type: t))
      case .failure(let e)?:
        throw StorageError.readFailed(path: path, object: normalizedPath(name), reason: e.reason)
      case .success(let s)?:
        return s
      }
    }
  }

  /// Reads a dataset of per-row names: strings as stored, integers as their decimal text
  /// (other tools label sequences by number). Any shape, flattened row-major.
  /// - Throws: `.wrongType` (expected "strings or integers") for floats and compounds.
  public func readNames(_ name: String) throws -> [String] {
    let type = try elementType(of: name)
    if type.contains("string") { return try readStrings(name) }
    if type.hasPrefix("uint") { return try readUInt64s(name).values.map { String($0) } }
    if type.hasPrefix("int") { return try readInt64s(name).values.map { String($0) } }
    throw StorageError.wrongType(
      path: path, object: normalizedPath(name), expected: "strings or integers", found: type)
  }

  // MARK: Internals

  /// The element count of `shape`, after checking that `elementBytes` each fit in the memory
  /// available; a shape whose product overflows is refused too. Errors name the file and dataset.
  func checkAllocation(_ shape: [Int], elementBytes: Int, object: String) throws -> Int {
    guard let n = MemoryBudget.product(shape), let bytes = MemoryBudget.product([n, Swift.max(elementBytes, 1)]) else {
      throw StorageError.invalidContents(path: path, object: object, reason: "shape \(shape) is too large to hold")
    }
    if bytes > 64 << 20 {
      do { try MemoryBudget.check(bytes, "shape \(shape)") } catch let e as InputRefused {
        throw StorageError.invalidContents(path: path, object: object, reason: e.message)
      }
    }
    return n
  }

  /// Opens dataset `name` (caller closes it). Call inside `HDF5Library.call`.
  func openDataset(_ name: String) throws -> hid_t {
    let fid = try fileID()
    guard isDataset(name) else {
      throw StorageError.missingDataset(path: path, dataset: normalizedPath(name))
    }
    let ds = H5Dopen2(fid, normalizedPath(name), HDF5Library.defaultPlist)
    guard ds >= 0 else {
      throw StorageError.readFailed(
        path: path, object: normalizedPath(name), reason: HDF5Library.failure("cannot open"))
    }
    return ds
  }

  private func readArray<T>(
    _ name: String, memType: @autoclosure () -> hid_t, expected: String, integerOnly: Bool, rows: Range<Int>?
  ) throws -> (values: [T], shape: [Int]) {
    try withNumericRead(name, memType: memType(), expected: expected, integerOnly: integerOnly, rows: rows) {
      shape, read in
      let n = Tensor.elementCount(shape)
      var failure: Error?
      let values = [T](unsafeUninitializedCapacity: n) { buf, initialized in
        do {
          if let base = buf.baseAddress, n > 0 { try read(UnsafeMutableRawPointer(base)) }
          initialized = n
        } catch {
          failure = error
          initialized = 0
        }
      }
      if let failure { throw failure }
      return (values, shape)
    }
  }

  /// Opens `name`, checks its type class, selects `rows` and calls `body` with the shape of
  /// the selection and a function that reads it into a buffer of that many `memType` elements.
  private func withNumericRead<R>(
    _ name: String, memType: @autoclosure () -> hid_t, expected: String, integerOnly: Bool, rows: Range<Int>?,
    _ body: (_ shape: [Int], _ read: (UnsafeMutableRawPointer) throws -> Void) throws -> R
  ) throws -> R {
    try HDF5Library.call {
      let object = normalizedPath(name)
      let ds = try openDataset(name)
      defer { _ = H5Dclose(ds) }
      let t = H5Dget_type(ds)
      defer { _ = H5Tclose(t) }
      let cls = H5Tget_class(t)
      guard cls == H5T_INTEGER || (!integerOnly && cls == H5T_FLOAT) else {
        throw StorageError.wrongType(
          path: path, object: object, expected: expected, found: HDF5Library.describe(type: t))
      }
      let fileSpace = H5Dget_space(ds)
      defer { _ = H5Sclose(fileSpace) }
      let fullShape = HDF5Library.shape(of: fileSpace)
      var shape = fullShape
      var memSpace = HDF5Library.allSelection
      if let rows {
        guard let first = fullShape.first, rows.lowerBound >= 0, rows.upperBound <= first else {
          throw StorageError.readFailed(
            path: path, object: object,
            reason: "rows \(rows) are outside the first axis of shape \(fullShape)")
        }
        shape[0] = rows.count
        var start = [hsize_t](repeating: 0, count: shape.count)
        start[0] = hsize_t(rows.lowerBound)
        let count = shape.map { hsize_t($0) }
        if rows.count > 0 {
          guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, count, nil) >= 0 else {
            throw StorageError.readFailed(
              path: path, object: object, reason: HDF5Library.failure("bad selection"))
          }
        }
        memSpace = HDF5Library.makeSpace(shape)
      }
      defer { if memSpace != HDF5Library.allSelection { _ = H5Sclose(memSpace) } }
      let mem = memType()
      let selection = memSpace == HDF5Library.allSelection ? HDF5Library.allSelection : fileSpace
      let n = try checkAllocation(shape, elementBytes: Int(H5Tget_size(mem)), object: object)
      return try body(shape) { buffer in
        guard n > 0 else { return }
        guard H5Dread(ds, mem, memSpace, selection, HDF5Library.defaultPlist, buffer) >= 0 else {
          throw StorageError.readFailed(
            path: path, object: object, reason: HDF5Library.failure("H5Dread failed"))
        }
      }
    }
  }
}
