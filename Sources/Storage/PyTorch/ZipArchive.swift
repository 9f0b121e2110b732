// ZipArchive: the minimal ZIP reader torch.save's zip format needs (torch >= 1.6 writes an
// uncompressed archive `<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/byteorder`, ...).
//
// Reads the end-of-central-directory record and the central directory, then each entry's local
// header to find its data. Only stored (uncompressed), unencrypted, single-disk entries are
// read; compressed or encrypted entries and archives that need ZIP64 fields (over 65535 entries
// or 4 GiB) are refused by name. torch also writes ZIP64 end records into small archives whose
// classic record is complete: those records are not needed and not read. Every offset and size
// is checked against the file's length, so a truncated or hostile archive is an error, never an
// out-of-bounds read. Entry data are checked against their CRC-32 when read.
import Foundation

/// Little-endian reads with bounds checks over a file's bytes (offsets from the start).
struct ByteView {
  let data: Data

  var count: Int { data.count }

  func u8(_ at: Int) -> UInt8? {
    at >= 0 && at < data.count ? data[data.startIndex + at] : nil
  }

  /// The unsigned little-endian integer of `width` bytes at `at` (nil when out of bounds).
  func uint(_ at: Int, _ width: Int) -> UInt64? {
    guard at >= 0, width <= 8, at <= data.count - width else { return nil }
    var v: UInt64 = 0
    for i in 0..<width { v |= UInt64(data[data.startIndex + at + i]) << (8 * UInt64(i)) }
    return v
  }

  func u16(_ at: Int) -> Int? { uint(at, 2).map { Int($0) } }
  func u32(_ at: Int) -> Int? { uint(at, 4).map { Int($0) } }

  /// The bytes in `range` (nil when out of bounds).
  func bytes(_ range: Range<Int>) -> Data? {
    guard range.lowerBound >= 0, range.upperBound <= data.count else { return nil }
    return data.subdata(in: (data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound))
  }
}

/// A ZIP archive opened for reading stored entries.
struct ZipArchive {
  struct Entry {
    let name: String
    let method: Int
    let flags: Int
    let crc32: UInt32
    let compressedSize: Int
    let size: Int
    let localHeaderOffset: Int
  }

  let path: String
  let bytes: ByteView
  /// Entries in central-directory order.
  let entries: [Entry]
  private let index: [String: Int]
  private let centralDirectoryOffset: Int

  static let endSignature = 0x0605_4b50
  static let centralSignature = 0x0201_4b50
  static let localSignature = 0x0403_4b50

  /// True when the first bytes are a local file header (what torch.save's archives start with).
  static func looksLikeZip(_ bytes: ByteView) -> Bool { bytes.u32(0) == localSignature }

  init(path: String, bytes: ByteView) throws {
    self.path = path
    self.bytes = bytes
    func fail(_ reason: String, entry: String = "") -> PyTorchError {
      .zip(path: path, entry: entry, reason: reason)
    }
    // End of central directory: 22 bytes plus a comment of up to 65535 bytes at the end.
    let minimum = 22
    guard bytes.count >= minimum else {
      throw fail("\(bytes.count) bytes is too short for an archive (truncated?)")
    }
    var eocd = -1
    var at = bytes.count - minimum
    let lowest = max(0, bytes.count - minimum - 65535)
    while at >= lowest {
      if bytes.u32(at) == Self.endSignature {
        eocd = at
        break
      }
      at -= 1
    }
    guard eocd >= 0 else {
      throw fail("no end-of-central-directory record: the file is truncated or not a complete ZIP archive")
    }
    let disk = bytes.u16(eocd + 4)!
    let cdDisk = bytes.u16(eocd + 6)!
    let onDisk = bytes.u16(eocd + 8)!
    let total = bytes.u16(eocd + 10)!
    let cdSize = bytes.u32(eocd + 12)!
    let cdOffset = bytes.u32(eocd + 16)!
    if total == 0xFFFF || onDisk == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
      throw fail("ZIP64 archive (more than 65535 entries or larger than 4 GiB) is not supported")
    }
    guard disk == 0, cdDisk == 0, onDisk == total else { throw fail("multi-disk archives are not supported") }
    guard cdOffset + cdSize <= eocd else {
      throw fail(
        "central directory (\(cdSize) bytes at \(cdOffset)) runs past its end record at \(eocd): truncated or damaged"
      )
    }
    centralDirectoryOffset = cdOffset
    var entries: [Entry] = []
    entries.reserveCapacity(total)
    var index: [String: Int] = [:]
    var p = cdOffset
    for i in 0..<total {
      guard p + 46 <= cdOffset + cdSize, bytes.u32(p) == Self.centralSignature else {
        throw fail("central directory record \(i) of \(total) is damaged")
      }
      let nameLength = bytes.u16(p + 28)!
      let extraLength = bytes.u16(p + 30)!
      let commentLength = bytes.u16(p + 32)!
      guard p + 46 + nameLength <= cdOffset + cdSize, let raw = bytes.bytes((p + 46)..<(p + 46 + nameLength))
      else {
        throw fail("central directory record \(i) of \(total) is damaged")
      }
      let name = String(decoding: raw, as: UTF8.self)
      let entry = Entry(
        name: name, method: bytes.u16(p + 10)!, flags: bytes.u16(p + 8)!, crc32: UInt32(bytes.u32(p + 16)!),
        compressedSize: bytes.u32(p + 20)!, size: bytes.u32(p + 24)!, localHeaderOffset: bytes.u32(p + 42)!)
      if entry.compressedSize == 0xFFFF_FFFF || entry.size == 0xFFFF_FFFF
        || entry.localHeaderOffset == 0xFFFF_FFFF
      {
        throw fail("needs ZIP64 fields (an entry of 4 GiB or more), which are not supported", entry: name)
      }
      guard index[name] == nil else { throw fail("appears twice in the central directory", entry: name) }
      index[name] = entries.count
      entries.append(entry)
      p += 46 + nameLength + extraLength + commentLength
    }
    self.entries = entries
    self.index = index
  }

  func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

  /// The byte range of a stored entry's data in the file, after checking its local header
  /// (and, with `verify`, its CRC-32).
  /// - Throws: `.zip` naming the entry when it is compressed, encrypted, truncated or corrupt.
  func dataRange(of entry: Entry, verify: Bool = true) throws -> Range<Int> {
    func fail(_ reason: String) -> PyTorchError { .zip(path: path, entry: entry.name, reason: reason) }
    if entry.flags & 1 != 0 { throw fail("is encrypted, which is not supported") }
    guard entry.method == 0 else {
      let method = entry.method == 8 ? "8 (deflate)" : String(entry.method)
      throw fail(
        "is compressed with method \(method); only stored (uncompressed) entries are read, as torch.save writes them"
      )
    }
    guard entry.compressedSize == entry.size else {
      throw fail("stored entry with compressed size \(entry.compressedSize) ≠ size \(entry.size)")
    }
    let h = entry.localHeaderOffset
    guard bytes.u32(h) == Self.localSignature, let nameLength = bytes.u16(h + 26),
      let extraLength = bytes.u16(h + 28)
    else { throw fail("local header at byte \(h) is missing or damaged") }
    let start = h + 30 + nameLength + extraLength
    let end = start + entry.size
    guard end <= centralDirectoryOffset, end <= bytes.count else {
      throw fail(
        "data (\(entry.size) bytes at \(start)) run past the central directory: truncated or damaged")
    }
    if verify {
      let crc = bytes.data.withUnsafeBytes {
        CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<end]))
      }
      guard crc == entry.crc32 else {
        throw fail(
          String(
            format: "CRC-32 %08x does not match the recorded %08x: the data are corrupt", crc, entry.crc32))
      }
    }
    return start..<end
  }

  /// A stored entry's bytes (checked as `dataRange`).
  func read(_ entry: Entry) throws -> Data {
    bytes.bytes(try dataRange(of: entry))!
  }
}

/// CRC-32 (IEEE 802.3, reflected, as ZIP uses it), slicing by 8 bytes per step.
enum CRC32 {
  /// Eight 256-entry tables, one after the other.
  static let table: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
      var c = UInt32(i)
      for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
      t[i] = c
    }
    for k in 1..<8 {
      for i in 0..<256 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xFF)] }
    }
    return t
  }()

  static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    table.withUnsafeBufferPointer { t in
      var i = 0
      let n = buffer.count
      while i + 8 <= n {
        let lo = buffer.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ crc
        let hi = buffer.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
        crc =
          t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
          ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
          ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
          ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[0 * 256 + Int(hi >> 24)]
        i += 8
      }
      while i < n {
        crc = t[Int((crc ^ UInt32(buffer[i])) & 0xFF)] ^ (crc >> 8)
        i += 1
      }
    }
    return crc ^ 0xFFFF_FFFF
  }
}
