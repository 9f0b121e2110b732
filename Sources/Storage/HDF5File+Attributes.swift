// HDF5File+Attributes: attributes on the root group, a group or a dataset: int64 scalars and
// arrays, float64 scalars, and strings (written variable-length UTF-8 as h5py writes
// `attrs['config'] = json`; read from variable- or fixed-length strings).
import CHDF5
import Foundation

extension HDF5File {
  /// The attribute names on `object` ("/" is the root), in name order.
  public func attributeNames(on object: String = "/") throws -> [String] {
    try withObject(object) { oid in
      final class Box { var names: [String] = [] }
      let box = Box()
      var idx: hsize_t = 0
      let op: H5A_operator2_t = { _, name, _, data in
        guard let name, let data else { return 0 }
        Unmanaged<Box>.fromOpaque(data).takeUnretainedValue().names.append(String(cString: name))
        return 0
      }
      guard
        H5Aiterate2(oid, H5_INDEX_NAME, H5_ITER_INC, &idx, op, Unmanaged.passUnretained(box).toOpaque()) >= 0
      else {
        throw StorageError.readFailed(
          path: path, object: normalizedPath(object), reason: HDF5Library.failure("cannot list attributes"))
      }
      return box.names
    }
  }

  /// Whether `object` exists and has attribute `name`.
  public func hasAttribute(_ name: String, on object: String = "/") -> Bool {
    guard contains(object) || normalizedPath(object) == "/" else { return false }
    return (try? withObject(object) { H5Aexists($0, name) > 0 }) ?? false
  }

  /// Reads an integer attribute holding one value (scalar or shape [1]).
  public func readInt64Attribute(_ name: String, on object: String = "/") throws -> Int64 {
    let values = try readInt64ArrayAttribute(name, on: object)
    guard values.count == 1 else {
      throw StorageError.shapeMismatch(
        path: path, object: "\(normalizedPath(object))@\(name)", expected: [], found: [values.count])
    }
    return values[0]
  }

  /// Reads an integer attribute of any shape, flattened.
  public func readInt64ArrayAttribute(_ name: String, on object: String = "/") throws -> [Int64] {
    try readNumericAttribute(
      name, on: object, memType: HDF5Library.nativeInt64, integerOnly: true, zero: Int64(0))
  }

  /// Reads a numeric attribute holding one value as float64.
  public func readDoubleAttribute(_ name: String, on object: String = "/") throws -> Double {
    let values: [Double] = try readNumericAttribute(
      name, on: object, memType: HDF5Library.nativeDouble, integerOnly: false, zero: 0.0)
    guard values.count == 1 else {
      throw StorageError.shapeMismatch(
        path: path, object: "\(normalizedPath(object))@\(name)", expected: [], found: [values.count])
    }
    return values[0]
  }

  /// Reads a string attribute (variable- or fixed-length; a one-element array is accepted).
  public func readStringAttribute(_ name: String, on object: String = "/") throws -> String {
    let label = "\(normalizedPath(object))@\(name)"
    return try withAttribute(name, on: object) { aid, type, count in
      if H5Tis_variable_str(type) > 0 { try checkVariableLengthData(dataset: nil, count: count, object: label) }
      let result = HDF5Strings.read(fileType: type, count: count) { mem, buf in H5Aread(aid, mem, buf) }
      switch result {
      case nil:
        throw StorageError.wrongType(
          path: path, object: label, expected: "a string", found: HDF5Library.describe(type: type))
      case .failure(let e)?:
        throw StorageError.readFailed(path: path, object: label, reason: e.reason)
      case .success(let s)?:
        guard s.count == 1 else {
          throw StorageError.shapeMismatch(path: path, object: label, expected: [], found: [s.count])
        }
        return s[0]
      }
    }
  }

  /// Writes (or replaces) an int64 scalar attribute.
  public func writeAttribute(_ name: String, int64 value: Int64, on object: String = "/") throws {
    try [value].withUnsafeBytes {
      try writeAttribute(
        name, on: object, shape: [], fileType: HDF5Library.fileInt64, memType: HDF5Library.nativeInt64,
        data: $0.baseAddress!)
    }
  }

  /// Writes (or replaces) an int64 array attribute of shape [values.count].
  public func writeAttribute(_ name: String, int64s values: [Int64], on object: String = "/") throws {
    try values.withUnsafeBytes {
      try writeAttribute(
        name, on: object, shape: [values.count], fileType: HDF5Library.fileInt64,
        memType: HDF5Library.nativeInt64,
        data: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!)
    }
  }

  /// Writes (or replaces) a float64 scalar attribute.
  public func writeAttribute(_ name: String, double value: Double, on object: String = "/") throws {
    try [value].withUnsafeBytes {
      try writeAttribute(
        name, on: object, shape: [], fileType: HDF5Library.fileFloat64, memType: HDF5Library.nativeDouble,
        data: $0.baseAddress!)
    }
  }

  /// Writes (or replaces) a scalar variable-length UTF-8 string attribute.
  public func writeAttribute(_ name: String, string value: String, on object: String = "/") throws {
    let type = HDF5Library.call { HDF5Library.vlenUTF8StringType() }
    defer { HDF5Library.call { _ = H5Tclose(type) } }
    try HDF5Strings.withCStrings([value]) {
      try writeAttribute(name, on: object, shape: [], fileType: type, memType: type, data: $0!)
    }
  }

  // MARK: Internals

  /// Opens `object` (root, group or dataset) and calls `body` with its id.
  private func withObject<R>(_ object: String, _ body: (hid_t) throws -> R) throws -> R {
    try HDF5Library.call {
      let fid = try fileID()
      let p = normalizedPath(object)
      guard p == "/" || contains(p) else { throw StorageError.missingDataset(path: path, dataset: p) }
      let oid = H5Oopen(fid, p, HDF5Library.defaultPlist)
      guard oid >= 0 else {
        throw StorageError.readFailed(path: path, object: p, reason: HDF5Library.failure("cannot open"))
      }
      defer { _ = H5Oclose(oid) }
      return try body(oid)
    }
  }

  /// Opens attribute `name` on `object`; `body` gets (attribute, file type, element count).
  private func withAttribute<R>(_ name: String, on object: String, _ body: (hid_t, hid_t, Int) throws -> R)
    throws -> R
  {
    try withObject(object) { oid in
      guard H5Aexists(oid, name) > 0 else {
        throw StorageError.missingAttribute(path: path, object: normalizedPath(object), name: name)
      }
      let aid = H5Aopen(oid, name, HDF5Library.defaultPlist)
      guard aid >= 0 else {
        throw StorageError.readFailed(
          path: path, object: "\(normalizedPath(object))@\(name)", reason: HDF5Library.failure("cannot open"))
      }
      defer { _ = H5Aclose(aid) }
      let type = H5Aget_type(aid)
      defer { _ = H5Tclose(type) }
      let space = H5Aget_space(aid)
      defer { _ = H5Sclose(space) }
      // A crafted shape must not overflow (nor ask for more than memory holds).
      let count = try checkAllocation(HDF5Library.shape(of: space), elementBytes: 16, object: "\(normalizedPath(object))@\(name)")
      return try body(aid, type, count)
    }
  }

  private func readNumericAttribute<T>(
    _ name: String, on object: String, memType: @autoclosure () -> hid_t, integerOnly: Bool, zero: T
  ) throws -> [T] {
    let label = "\(normalizedPath(object))@\(name)"
    return try withAttribute(name, on: object) { aid, type, count in
      let cls = H5Tget_class(type)
      guard cls == H5T_INTEGER || (!integerOnly && cls == H5T_FLOAT) else {
        throw StorageError.wrongType(
          path: path, object: label, expected: integerOnly ? "an integer" : "a number",
          found: HDF5Library.describe(type: type))
      }
      var values = [T](repeating: zero, count: count)
      guard count > 0 else { return values }
      let status = values.withUnsafeMutableBytes { H5Aread(aid, memType(), $0.baseAddress) }
      guard status >= 0 else {
        throw StorageError.readFailed(
          path: path, object: label, reason: HDF5Library.failure("H5Aread failed"))
      }
      return values
    }
  }

  private func writeAttribute(
    _ name: String, on object: String, shape: [Int], fileType: @autoclosure () -> hid_t,
    memType: @autoclosure () -> hid_t, data: UnsafeRawPointer
  ) throws {
    let label = "\(normalizedPath(object))@\(name)"
    try withObject(object) { oid in
      if H5Aexists(oid, name) > 0 && H5Adelete(oid, name) < 0 {
        throw StorageError.writeFailed(
          path: path, object: label, reason: HDF5Library.failure("cannot replace"))
      }
      let space = HDF5Library.makeSpace(shape)
      defer { _ = H5Sclose(space) }
      let aid = H5Acreate2(oid, name, fileType(), space, HDF5Library.defaultPlist, HDF5Library.defaultPlist)
      guard aid >= 0 else {
        let reason =
          mode == .readOnly ? "the file is open read-only" : HDF5Library.failure("H5Acreate2 failed")
        throw StorageError.writeFailed(path: path, object: label, reason: reason)
      }
      defer { _ = H5Aclose(aid) }
      guard H5Awrite(aid, memType(), data) >= 0 else {
        throw StorageError.writeFailed(
          path: path, object: label, reason: HDF5Library.failure("H5Awrite failed"))
      }
    }
  }
}
