// HDF5File+Write: writing float32 / float64 / int64 / uint8 / string datasets of a given
// shape, creating intermediate groups; optional chunking + gzip (meant for large uint8 video
// arrays, not checkpoints); and row-wise writes into a pre-created dataset.
import CHDF5
import Foundation
import TensorEngine

/// Chunked gzip storage for a dataset.
public struct Compression: Sendable, Equatable {
  /// Chunk shape (same rank as the dataset); nil picks leading axes of 1 and whole trailing
  /// axes, about 1 MiB per chunk (one frame of a video array [N, T, H, W, C]).
  public var chunkShape: [Int]?
  /// Deflate level 0...9.
  public var gzipLevel: Int

  public init(chunkShape: [Int]? = nil, gzipLevel: Int = 4) {
    precondition((0...9).contains(gzipLevel), "gzip level \(gzipLevel) outside 0...9")
    self.chunkShape = chunkShape
    self.gzipLevel = gzipLevel
  }

  public static func gzip(level: Int = 4, chunkShape: [Int]? = nil) -> Compression {
    Compression(chunkShape: chunkShape, gzipLevel: level)
  }

  /// The chunk shape used for a dataset of `shape` (clamped to the dataset's extent).
  func chunk(for shape: [Int], elementSize: Int) -> [Int] {
    if let c = chunkShape {
      precondition(c.count == shape.count, "chunk shape \(c) does not match the rank of \(shape)")
      return zip(c, shape).map { Swift.max(1, Swift.min($0, $1)) }
    }
    var chunk = shape.map { Swift.max(1, $0) }
    var axis = 0
    while axis < chunk.count - 1, Tensor.elementCount(chunk) * elementSize > 1 << 20 {
      chunk[axis] = 1
      axis += 1
    }
    return chunk
  }
}

extension HDF5File {
  /// Writes a float32 tensor as dataset `name` with the tensor's shape (bit-exact).
  /// Replaces an existing dataset of that name; creates missing groups.
  public func write(_ name: String, tensor: Tensor) throws {
    try writeRaw(
      name, shape: tensor.shape, count: tensor.count, fileType: HDF5Library.fileFloat32,
      memType: HDF5Library.nativeFloat, compression: nil, elementSize: 4, data: UnsafeRawPointer(tensor.data))
  }

  /// Writes float32 values (row-major, `shape.product` of them) as dataset `name`.
  public func write(_ name: String, floats: [Float], shape: [Int]) throws {
    try floats.withUnsafeBytes {
      try writeRaw(
        name, shape: shape, count: floats.count, fileType: HDF5Library.fileFloat32,
        memType: HDF5Library.nativeFloat, compression: nil, elementSize: 4, data: $0.baseAddress)
    }
  }

  /// Writes float64 values as dataset `name`.
  public func write(_ name: String, doubles: [Double], shape: [Int]) throws {
    try doubles.withUnsafeBytes {
      try writeRaw(
        name, shape: shape, count: doubles.count, fileType: HDF5Library.fileFloat64,
        memType: HDF5Library.nativeDouble, compression: nil, elementSize: 8, data: $0.baseAddress)
    }
  }

  /// Writes int64 values as dataset `name`.
  public func write(_ name: String, int64s: [Int64], shape: [Int]) throws {
    try int64s.withUnsafeBytes {
      try writeRaw(
        name, shape: shape, count: int64s.count, fileType: HDF5Library.fileInt64,
        memType: HDF5Library.nativeInt64, compression: nil, elementSize: 8, data: $0.baseAddress)
    }
  }

  /// Writes uint8 values as dataset `name` (video arrays [N, T, H, W, C]), optionally chunked
  /// and gzip-compressed.
  public func write(_ name: String, uint8s: [UInt8], shape: [Int], compression: Compression? = nil) throws {
    try uint8s.withUnsafeBytes {
      try writeRaw(
        name, shape: shape, count: uint8s.count, fileType: HDF5Library.fileUInt8,
        memType: HDF5Library.nativeUInt8, compression: compression, elementSize: 1, data: $0.baseAddress)
    }
  }

  /// Writes strings as a variable-length UTF-8 string dataset of `shape` (default [count]).
  public func write(_ name: String, strings: [String], shape: [Int]? = nil) throws {
    let shape = shape ?? [strings.count]
    let type = HDF5Library.call { HDF5Library.vlenUTF8StringType() }
    defer { HDF5Library.call { _ = H5Tclose(type) } }
    try HDF5Strings.withCStrings(strings) {
      try writeRaw(
        name, shape: shape, count: strings.count, fileType: type, memType: type, compression: nil,
        elementSize: 8, data: $0)
    }
  }

  /// Creates an uninitialised uint8 dataset of `shape` to be filled with `writeRows`
  /// (e.g. a video array written one video at a time). Replaces an existing one.
  public func createUInt8Dataset(_ name: String, shape: [Int], compression: Compression? = nil) throws {
    try HDF5Library.call {
      let ds = try createDataset(
        name, shape: shape, fileType: HDF5Library.fileUInt8, compression: compression, elementSize: 1)
      _ = H5Dclose(ds)
    }
  }

  /// Writes `uint8s` into rows `start ..< start + n` along the first axis of dataset `name`,
  /// where n = uint8s.count / (elements per row).
  /// - Throws: `.shapeMismatch` when the values are not whole rows or overrun the dataset.
  public func writeRows(_ name: String, uint8s: [UInt8], at start: Int) throws {
    try HDF5Library.call {
      let object = normalizedPath(name)
      let ds = try openDataset(name)
      defer { _ = H5Dclose(ds) }
      let fileSpace = H5Dget_space(ds)
      defer { _ = H5Sclose(fileSpace) }
      let full = HDF5Library.shape(of: fileSpace)
      let rowSize = Tensor.elementCount(Array(full.dropFirst()))
      guard let first = full.first, rowSize > 0, uint8s.count % rowSize == 0,
        start >= 0, start + uint8s.count / rowSize <= first
      else {
        let rows = rowSize > 0 ? uint8s.count / rowSize : 0
        throw StorageError.shapeMismatch(
          path: path, object: object, expected: full, found: [start + rows] + Array(full.dropFirst()))
      }
      var shape = full
      shape[0] = uint8s.count / rowSize
      guard shape[0] > 0 else { return }
      var offset = [hsize_t](repeating: 0, count: full.count)
      offset[0] = hsize_t(start)
      _ = H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, offset, nil, shape.map { hsize_t($0) }, nil)
      let memSpace = HDF5Library.makeSpace(shape)
      defer { _ = H5Sclose(memSpace) }
      let status = uint8s.withUnsafeBytes {
        H5Dwrite(ds, HDF5Library.nativeUInt8, memSpace, fileSpace, HDF5Library.defaultPlist, $0.baseAddress)
      }
      guard status >= 0 else {
        throw StorageError.writeFailed(
          path: path, object: object, reason: HDF5Library.failure("H5Dwrite failed"))
      }
    }
  }

  // MARK: Internals

  private func writeRaw(
    _ name: String, shape: [Int], count: Int, fileType: @autoclosure () -> hid_t,
    memType: @autoclosure () -> hid_t,
    compression: Compression?, elementSize: Int, data: UnsafeRawPointer?
  ) throws {
    let object = normalizedPath(name)
    guard Tensor.elementCount(shape) == count, shape.allSatisfy({ $0 >= 0 }) else {
      throw StorageError.shapeMismatch(path: path, object: object, expected: shape, found: [count])
    }
    try HDF5Library.call {
      let ds = try createDataset(
        name, shape: shape, fileType: fileType(), compression: compression, elementSize: elementSize)
      defer { _ = H5Dclose(ds) }
      guard count > 0, let data else { return }
      let status = H5Dwrite(
        ds, memType(), HDF5Library.allSelection, HDF5Library.allSelection, HDF5Library.defaultPlist, data)
      guard status >= 0 else {
        throw StorageError.writeFailed(
          path: path, object: object, reason: HDF5Library.failure("H5Dwrite failed"))
      }
    }
  }

  /// Creates dataset `name` (replacing an existing dataset, creating parent groups) and
  /// returns it open. Call inside `HDF5Library.call`.
  private func createDataset(
    _ name: String, shape: [Int], fileType: hid_t, compression: Compression?, elementSize: Int
  ) throws -> hid_t {
    let fid = try fileID()
    let object = normalizedPath(name)
    guard object != "/" else {
      throw StorageError.writeFailed(path: path, object: object, reason: "empty dataset name")
    }
    if contains(object) {
      guard isDataset(object) else {
        throw StorageError.writeFailed(path: path, object: object, reason: "a group of that name exists")
      }
      guard H5Ldelete(fid, object, HDF5Library.defaultPlist) >= 0 else {
        throw StorageError.writeFailed(
          path: path, object: object, reason: HDF5Library.failure("cannot replace the existing dataset"))
      }
    }
    let space = HDF5Library.makeSpace(shape)
    defer { _ = H5Sclose(space) }
    let lcpl = H5Pcreate(HDF5Library.linkCreateClass)
    defer { _ = H5Pclose(lcpl) }
    _ = H5Pset_create_intermediate_group(lcpl, 1)
    let dcpl = H5Pcreate(HDF5Library.datasetCreateClass)
    defer { _ = H5Pclose(dcpl) }
    if let compression, !shape.isEmpty, Tensor.elementCount(shape) > 0 {
      let chunk = compression.chunk(for: shape, elementSize: elementSize).map { hsize_t($0) }
      guard H5Pset_chunk(dcpl, Int32(chunk.count), chunk) >= 0,
        H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0,
        H5Pset_deflate(dcpl, UInt32(compression.gzipLevel)) >= 0
      else {
        throw StorageError.writeFailed(
          path: path, object: object, reason: HDF5Library.failure("cannot set up chunked gzip storage"))
      }
    }
    let ds = H5Dcreate2(fid, object, fileType, space, lcpl, dcpl, HDF5Library.defaultPlist)
    guard ds >= 0 else {
      let reason = mode == .readOnly ? "the file is open read-only" : HDF5Library.failure("H5Dcreate2 failed")
      throw StorageError.writeFailed(path: path, object: object, reason: reason)
    }
    return ds
  }
}
