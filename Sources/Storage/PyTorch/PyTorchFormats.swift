// PyTorchFormats: the two torch.save layouts, each read to a root pickle value whose tensor
// views point at located storages.
//
// Zip format (torch >= 1.6): an uncompressed ZIP archive `<prefix>/data.pkl` (the object,
// storages as persistent ids ('storage', torch.<T>Storage, key, location, numel)),
// `<prefix>/data/<key>` (each storage's raw little-endian bytes), `<prefix>/byteorder`
// ("little"; absent in files before it existed), `<prefix>/version` (or `.data/version`).
//
// Legacy format (torch < 1.6, or `_use_new_zipfile_serialization=False`): five pickles in one
// stream: torch's magic number, the protocol version (1001), sys_info (byte order, type sizes),
// the object (persistent ids ('storage', torch.<T>Storage, key, location, numel, view) where a
// view is (view key, offset, count) into the root storage), the list of storage keys; then for
// each key in that order an int64 element count and the raw little-endian elements.
import Foundation

/// The layout a torch.save file was written in.
public enum PyTorchFormat: String, Sendable {
  case zip
  case legacy
}

/// A file parsed to its root object; `release()` frees the pickle containers when done.
struct ParsedPyTorchFile {
  let format: PyTorchFormat
  let root: PickleValue
  let bytes: ByteView
  /// The zip format's `version` record (nil for legacy files, or when absent).
  let formatVersion: Int?
  let machines: [PickleMachine]

  func release() { machines.forEach { $0.release() } }
}

/// A storage persistent id, parsed.
private struct StorageID {
  let dtype: TorchDType
  let key: String
  let numel: Int
  /// Legacy storage views: (view key, element offset, element count).
  let view: (key: String, offset: Int, count: Int)?

  init(_ pid: PickleValue, at: Int, path: String, legacy: Bool) throws {
    func fail(_ reason: String) -> PyTorchError { .pickle(path: path, offset: at, reason: reason) }
    guard let t = pid.sequence, t.count == (legacy ? 6 : 5), t.first?.stringValue == "storage"
    else {
      if case .string(let kind)? = pid.sequence?.first {
        throw fail(
          "persistent id of kind '\(kind)' (only 'storage' is read; pickled module source is refused)")
      }
      throw fail(
        "persistent id \(pid.kind) is not ('storage', type, key, location, numel\(legacy ? ", view" : ""))")
    }
    guard case .global(let g) = t[1] else { throw fail("storage type is \(t[1].kind)") }
    let key: String
    switch t[2] {
    case .string(let s): key = s
    case .int(let i): key = String(i)
    default: throw fail("storage key is \(t[2].kind)")
    }
    switch g.role {
    case .storageType(let d): dtype = d
    case .unsupportedStorageType:
      throw PyTorchError.unsupportedType(path: path, object: "storage \(key)", type: g.name)
    default: throw fail("storage type is \(g.name), not a torch.*Storage")
    }
    guard let n = t[4].intValue, n >= 0 else { throw fail("storage \(key): element count is \(t[4].kind)") }
    self.key = key
    numel = Int(n)
    if t.count == 6, let v = t[5].sequence {
      guard v.count == 3, let vk = v[0].stringValue ?? v[0].intValue.map({ String($0) }),
        let o = v[1].intValue, o >= 0, let c = v[2].intValue, c >= 0
      else { throw fail("storage \(key): view metadata is not (key, offset, count)") }
      view = (vk, Int(o), Int(c))
    } else {
      view = nil
    }
  }
}

enum PyTorchFormats {
  /// torch's legacy magic number 0x1950a86a20f9469cfc6c as LONG1 bytes (little-endian).
  static let legacyMagic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
  static let legacyProtocolVersion: Int64 = 1001

  // MARK: Zip

  static func readZip(path: String, bytes: ByteView) throws -> ParsedPyTorchFile {
    let archive = try ZipArchive(path: path, bytes: bytes)
    // Like torch: the archive's folder is the first entry's first path component.
    guard let first = archive.entries.first, let slash = first.name.firstIndex(of: "/") else {
      throw PyTorchError.zip(
        path: path, entry: "", reason: "no '<prefix>/data.pkl': a ZIP archive, but not one torch.save wrote")
    }
    let prefix = String(first.name[..<slash])
    guard let pickle = archive.entry(prefix + "/data.pkl") else {
      throw PyTorchError.zip(
        path: path, entry: prefix + "/data.pkl",
        reason: "missing: a ZIP archive, but not one torch.save wrote")
    }
    let pickleRange = try archive.dataRange(of: pickle)
    if let order = archive.entry(prefix + "/byteorder") {
      let text = String(decoding: try archive.read(order), as: UTF8.self).trimmingCharacters(
        in: .whitespacesAndNewlines)
      guard text == "little" else {
        throw PyTorchError.invalidContents(
          path: path, object: prefix + "/byteorder",
          reason: "byte order '\(text)': only little-endian checkpoints are read")
      }
    }
    var version: Int?
    if let v = archive.entry(prefix + "/.data/version") ?? archive.entry(prefix + "/version") {
      let text = String(decoding: try archive.read(v), as: UTF8.self).trimmingCharacters(
        in: .whitespacesAndNewlines)
      guard let n = Int(text) else {
        throw PyTorchError.invalidContents(
          path: path, object: v.name, reason: "version record '\(text.prefix(20))' is not a number")
      }
      version = n
    }
    var storages: [String: TorchStorage] = [:]
    let machine = PickleMachine(path: path) { pid, at in
      let id = try StorageID(pid, at: at, path: path, legacy: false)
      if let s = storages[id.key] {
        guard s.dtype == id.dtype else {
          throw PyTorchError.pickle(
            path: path, offset: at,
            reason: "storage \(id.key) is \(s.dtype.rawValue) and \(id.dtype.rawValue)")
        }
        return .storage(s)
      }
      let name = prefix + "/data/" + id.key
      guard let entry = archive.entry(name) else {
        throw PyTorchError.zip(
          path: path, entry: name, reason: "missing: storage \(id.key) has no data in the archive")
      }
      let range = try archive.dataRange(of: entry)
      let s = TorchStorage(key: id.key, dtype: id.dtype)
      // What the storage holds is the smaller of its declared count and its bytes.
      let declared = id.numel.multipliedReportingOverflow(by: id.dtype.size)
      let length = declared.overflow ? range.count : min(range.count, declared.partialValue)
      s.byteRange = range.lowerBound..<(range.lowerBound + length)
      storages[id.key] = s
      return .storage(s)
    }
    let view = ByteView(data: bytes.data.subdata(in: pickleRange))
    do {
      let (root, _) = try machine.run(view, from: 0)
      return ParsedPyTorchFile(
        format: .zip, root: root, bytes: bytes, formatVersion: version, machines: [machine])
    } catch {
      machine.release()
      if case PyTorchError.pickle(let p, let offset, let reason) = error {
        throw PyTorchError.pickle(path: p, offset: offset, reason: "\(reason) (in \(pickle.name))")
      }
      throw error
    }
  }

  // MARK: Legacy

  static func readLegacy(path: String, bytes: ByteView) throws -> ParsedPyTorchFile {
    /// A header pickle: scalars or a dict read at once (its containers are emptied on return).
    func header(_ start: Int, _ use: (PickleValue) throws -> Void) throws -> Int {
      let m = PickleMachine(path: path)
      defer { m.release() }
      let (value, end) = try m.run(bytes, from: start)
      try use(value)
      return end
    }
    let p1 = try header(0) { magic in
      guard case .bigInt(let raw) = magic, raw == legacyMagic else {
        throw PyTorchError.notPyTorch(
          path: path, reason: "a pickle that does not start with torch.save's magic number")
      }
    }
    let p2 = try header(p1) { proto in
      guard proto.intValue == legacyProtocolVersion else {
        throw PyTorchError.invalidContents(
          path: path, object: "protocol version",
          reason: "\(proto.kind), this reader knows \(legacyProtocolVersion)")
      }
    }
    let p3 = try header(p2) { sysInfo in
      if case .dict(let d) = sysInfo,
        let little = d.entries.first(where: { $0.key.stringValue == "little_endian" })?.value,
        case .bool(false) = little
      {
        throw PyTorchError.invalidContents(
          path: path, object: "sys_info",
          reason: "written big-endian: only little-endian checkpoints are read")
      }
    }
    var roots: [String: TorchStorage] = [:]
    var views: [String: TorchStorage] = [:]
    let main = PickleMachine(path: path) { pid, at in
      let id = try StorageID(pid, at: at, path: path, legacy: true)
      let root: TorchStorage
      if let s = roots[id.key] {
        guard s.dtype == id.dtype else {
          throw PyTorchError.pickle(
            path: path, offset: at,
            reason: "storage \(id.key) is \(s.dtype.rawValue) and \(id.dtype.rawValue)")
        }
        root = s
      } else {
        root = TorchStorage(key: id.key, dtype: id.dtype)
        roots[id.key] = root
      }
      guard let view = id.view else { return .storage(root) }
      if let v = views[view.key] { return .storage(v) }
      let v = TorchStorage(key: view.key, dtype: id.dtype)
      v.base = (root, view.offset, view.count)
      views[view.key] = v
      return .storage(v)
    }
    do {
      let (root, p4) = try main.run(bytes, from: p3)
      let keysMachine = PickleMachine(path: path)
      defer { keysMachine.release() }
      let (keys, p5) = try keysMachine.run(bytes, from: p4)
      guard let keyList = keys.sequence else {
        throw PyTorchError.invalidContents(
          path: path, object: "storage keys", reason: "\(keys.kind), not a list")
      }
      // Storage records follow in key order: int64 element count, then the elements. A
      // truncated file leaves the last storages short or empty; views reaching into the
      // missing part are reported by tensor when materialised.
      var position = p5
      for k in keyList {
        guard let key = k.stringValue ?? k.intValue.map({ String($0) }), let s = roots[key] else {
          throw PyTorchError.invalidContents(
            path: path, object: "storage keys", reason: "\(k.kind) names no storage of the object")
        }
        guard let count = bytes.uint(position, 8).map({ Int64(bitPattern: $0) }) else { break }
        guard count >= 0 else {
          throw PyTorchError.invalidContents(
            path: path, object: "storage \(key)", reason: "element count \(count)")
        }
        position += 8
        let (length, overflow) = Int(count).multipliedReportingOverflow(by: s.dtype.size)
        let end = overflow ? bytes.count : min(bytes.count, position + length)
        s.byteRange = position..<end
        position = end
      }
      return ParsedPyTorchFile(
        format: .legacy, root: root, bytes: bytes, formatVersion: nil, machines: [main])
    } catch {
      main.release()
      throw error
    }
  }
}
