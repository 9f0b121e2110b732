// HDF5GlobalHeap: variable-length strings (the `sequence` names of video arrays and landmark
// files, the `format` and `config` attributes) live in the file's global heap. NOTE: HDF5 1.10.8
// trusts that heap: a mutated collection made its reader loop forever, and a string that refers
// to a heap object that is not there made it copy from a null pointer (SIGSEGV in H5HG_read; the
// fuzz round found both). So before any variable-length read this file checks, in plain Swift
// over the file's bytes, what the library would otherwise trust:
//   - every global heap collection ("GCOL") in the file is well formed: version 1, a size that
//     fits the file, objects that fit the collection, no repeated index, a free-space object that
//     ends it (what H5HG's deserializer walks);
//   - for a contiguous variable-length dataset, every element's heap reference names a collection
//     found above and an object in it that is large enough.
// Attributes have no public raw-data API: their references are not checked, only the heap.
// Files over 1 GB are not scanned for collections (video arrays keep their strings in a
// contiguous dataset, whose references are checked against the collections they name).
import CHDF5
import Foundation
import SafeIO

#if canImport(Glibc)
  import Glibc
#endif

/// The global heap collections of a file: collection address → object index → object size.
struct GlobalHeapIndex {
  var collections: [UInt64: [UInt16: UInt64]] = [:]
}

extension HDF5File {
  /// Address and length sizes and the user block (addresses are relative to it).
  private func layout() -> (sizeofAddr: Int, sizeofSize: Int, base: UInt64) {
    HDF5Library.call {
      guard let fid = try? fileID() else { return (8, 8, 0) }
      let plist = H5Fget_create_plist(fid)
      defer { _ = H5Pclose(plist) }
      var a = 8, s = 8
      var block: hsize_t = 0
      _ = H5Pget_sizes(plist, &a, &s)
      _ = H5Pget_userblock(plist, &block)
      return ([2, 4, 8].contains(a) ? a : 8, [2, 4, 8].contains(s) ? s : 8, UInt64(block))
    }
  }

  /// Checks the heap (and, for a contiguous dataset, its references) before a variable-length
  /// read of `name` (a dataset, or nil for an attribute); errors name the file and the object.
  func checkVariableLengthData(dataset name: String?, count: Int, object: String) throws {
    let (sizeofAddr, sizeofSize, base) = layout()
    let index = try globalHeaps(sizeofSize: sizeofSize, base: base, object: object)
    guard let name else { return }
    let raw: [UInt8]? = try HDF5Library.call {
      let ds = try openDataset(name)
      defer { _ = H5Dclose(ds) }
      let offset = H5Dget_offset(ds)
      guard offset != haddr_t.max else { return nil }  // HADDR_UNDEF: compact or chunked, not checked
      let element = 4 + sizeofAddr + 4
      return try readBytes(at: base + UInt64(offset), count: count * element, object: object)
    }
    guard let raw else { return }
    let element = 4 + sizeofAddr + 4
    guard raw.count == count * element else {
      throw StorageError.invalidContents(
        path: path, object: object, reason: "its \(count) string references run past the end of the file: the file is corrupt")
    }
    func le(_ at: Int, _ n: Int) -> UInt64 {
      var v: UInt64 = 0
      for k in 0..<n { v |= UInt64(raw[at + k]) << (8 * UInt64(k)) }
      return v
    }
    for i in 0..<count {
      let at = i * element
      let length = le(at, 4), address = le(at + 4, sizeofAddr), idx = le(at + 4 + sizeofAddr, 4)
      if length == 0 && (address == 0 || idx == 0) { continue }  // an empty string
      var collection = index.collections[address]
      if collection == nil {
        collection = try parseCollection(at: base + address, sizeofSize: sizeofSize, object: object)
      }
      guard let objects = collection, idx <= UInt64(UInt16.max), let size = objects[UInt16(idx)], size >= length else {
        throw StorageError.invalidContents(
          path: path, object: object,
          reason: "element \(i) refers to global heap object \(idx) at \(address), which is not there: the file is corrupt")
      }
    }
  }

  /// Every collection in the file, checked (files over 1 GB: none, see the header).
  private func globalHeaps(sizeofSize: Int, base: UInt64, object: String) throws -> GlobalHeapIndex {
    if let cached = globalHeapCache { return cached }
    let index = try scanGlobalHeaps(sizeofSize: sizeofSize, base: base, object: object)
    globalHeapCache = index
    return index
  }

  private func scanGlobalHeaps(sizeofSize: Int, base: UInt64, object: String) throws -> GlobalHeapIndex {
    var index = GlobalHeapIndex()
    guard let size = FileKind.size(path), size <= 1 << 30 else { return index }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return index }
    defer { _ = Glibc.close(fd) }
    // Scan in chunks (overlapping by 3 bytes) for the signature.
    let chunk = 4 << 20
    var buffer = [UInt8](repeating: 0, count: chunk + 3)
    var offset = 0
    var candidates: [Int] = []
    while offset < size {
      let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, chunk + 3, off_t(offset)) }
      guard n > 0 else { break }
      var i = 0
      while i + 4 <= n {
        if buffer[i] == 0x47 && buffer[i + 1] == 0x43 && buffer[i + 2] == 0x4F && buffer[i + 3] == 0x4C {
          if i < chunk { candidates.append(offset + i) }  // the overlap is scanned again next time
        }
        i += 1
      }
      offset += chunk
    }
    for c in Set(candidates).sorted() where UInt64(c) >= base {
      // A "GCOL" that is not followed by version 1 is data that happens to spell it.
      let head = try readBytes(at: UInt64(c), count: 5, object: object)
      guard head.count == 5, head[4] == 1 else { continue }
      index.collections[UInt64(c) - base] = try parseCollection(at: UInt64(c), sizeofSize: sizeofSize, object: object)
    }
    return index
  }

  /// The objects of the collection at absolute offset `at` (index → size); throws when it is
  /// not a well-formed collection.
  private func parseCollection(at: UInt64, sizeofSize: Int, object: String) throws -> [UInt16: UInt64] {
    func bad(_ why: String) -> StorageError {
      .invalidContents(path: path, object: object, reason: "global heap collection at \(at): \(why): the file is corrupt")
    }
    let head = try readBytes(at: at, count: 8 + sizeofSize, object: object)
    guard head.count == 8 + sizeofSize, Array(head[0..<4]) == Array("GCOL".utf8), head[4] == 1 else {
      throw bad("no collection signature")
    }
    var size: UInt64 = 0
    for k in 0..<sizeofSize { size |= UInt64(head[8 + k]) << (8 * UInt64(k)) }
    guard let fileSize = FileKind.size(path), size >= UInt64(8 + sizeofSize), at + size <= UInt64(fileSize), size <= 1 << 30
    else { throw bad("size \(size) does not fit the file") }
    let bytes = try readBytes(at: at, count: Int(size), object: object)
    guard bytes.count == Int(size) else { throw bad("truncated") }
    let header = 8 + sizeofSize  // index, reference count, reserved, size
    var p = 8 + sizeofSize
    var objects: [UInt16: UInt64] = [:]
    while p + header <= bytes.count {
      let idx = UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
      var objSize: UInt64 = 0
      for k in 0..<sizeofSize { objSize |= UInt64(bytes[p + 8 + k]) << (8 * UInt64(k)) }
      if idx == 0 {
        // Free space: the rest of the collection, header included.
        guard objSize >= UInt64(header), UInt64(p) + objSize == UInt64(bytes.count) else {
          throw bad("its free space (\(objSize) bytes at \(p)) does not end it")
        }
        return objects
      }
      guard objects[idx] == nil else { throw bad("object \(idx) appears twice") }
      let padded = (objSize + 7) / 8 * 8
      guard objSize <= UInt64(bytes.count), UInt64(p + header) + padded <= UInt64(bytes.count) else {
        throw bad("object \(idx) (\(objSize) bytes) runs past its end")
      }
      objects[idx] = objSize
      p += header + Int(padded)
    }
    // No free-space object: the objects must fill the collection exactly.
    guard p == bytes.count || bytes.count - p < header else { throw bad("it ends inside an object header") }
    return objects
  }

  private func readBytes(at offset: UInt64, count: Int, object: String) throws -> [UInt8] {
    guard count >= 0, count <= 1 << 30, offset <= UInt64(Int64.max) else {
      throw StorageError.invalidContents(path: path, object: object, reason: "\(count) bytes at \(offset) cannot be read")
    }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw StorageError.readFailed(path: path, object: object, reason: "cannot reopen the file") }
    defer { _ = Glibc.close(fd) }
    var out = [UInt8](repeating: 0, count: count)
    let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
    return n <= 0 ? [] : Array(out.prefix(n))
  }
}
