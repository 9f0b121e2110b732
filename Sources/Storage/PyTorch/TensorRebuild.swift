// TensorRebuild: storages and the tensor views `_rebuild_tensor_v2` describes, and their
// materialisation as contiguous row-major float32 `Tensor`s.
//
// A storage is a typed run of little-endian elements in the file (a ZIP entry, or a record of
// the legacy stream). A view is (storage, storage_offset, size, stride) in elements, as torch
// defines it; any non-negative strides are allowed (transposes, slices, expanded dimensions),
// and a view is always copied out, so two tensors sharing a storage become independent
// tensors. Before anything is allocated, the largest element a view reaches is checked
// against what its storage really holds, and the element count against a cap, so a hostile
// file cannot make the reader read out of bounds or allocate more than it holds.
//
// Conversions to float32 are exact for float16, bfloat16 and float32 (bit patterns kept; a
// float16 signalling NaN is quieted as the x86 conversion torch uses does); float64 and
// integers round to nearest even, as torch's `.float()` does.
import Foundation
import TensorEngine

/// Element types of torch storages this reader converts.
enum TorchDType: String, CaseIterable {
  case float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool

  /// Bytes per element.
  var size: Int {
    switch self {
    case .float64, .int64: return 8
    case .float32, .int32: return 4
    case .float16, .bfloat16, .int16: return 2
    case .int8, .uint8, .bool: return 1
    }
  }

  /// The dtype of a legacy storage class name ("FloatStorage" → float32).
  init?(storageType name: String) {
    switch name {
    case "FloatStorage": self = .float32
    case "HalfStorage": self = .float16
    case "BFloat16Storage": self = .bfloat16
    case "DoubleStorage": self = .float64
    case "LongStorage": self = .int64
    case "IntStorage": self = .int32
    case "ShortStorage": self = .int16
    case "CharStorage": self = .int8
    case "ByteStorage": self = .uint8
    case "BoolStorage": self = .bool
    default: return nil
    }
  }
}

/// One storage of the file. Its bytes are located after the pickle has been read (the legacy
/// format stores them after it); a legacy storage view points into a root storage instead.
final class TorchStorage {
  let key: String
  let dtype: TorchDType
  /// Byte range in the file, once located (a prefix of it when the file is truncated).
  var byteRange: Range<Int>?
  /// For a legacy storage view: (root, element offset, element count).
  var base: (root: TorchStorage, offset: Int, count: Int)?

  init(key: String, dtype: TorchDType) {
    self.key = key
    self.dtype = dtype
  }

  /// The bytes this storage holds in the file, or nil when none were located.
  func resolvedRange() -> Range<Int>? {
    guard let (root, offset, count) = base else { return byteRange }
    guard let r = root.byteRange else { return nil }
    let start = r.lowerBound + min(offset * dtype.size, r.count)
    let end = start + min(count * dtype.size, r.upperBound - start)
    return start..<end
  }
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage, in elements.
struct TorchTensorView {
  let storage: TorchStorage
  let offset: Int
  let size: [Int]
  let stride: [Int]

  /// A view may have more elements than its storage (expanded dimensions) up to this many.
  static let expandedElementLimit = 1 << 24
  /// Ranks above this are refused.
  static let maxRank = 32

  /// Copies the view out of `bytes` as a contiguous row-major float32 tensor.
  /// - Throws: `.invalidContents` when the storage has no data, `.storageTooShort` naming the
  ///   tensor and both sizes when the view reaches past its storage, `.limitExceeded` when it
  ///   would allocate far more elements than the storage holds.
  func materialize(name: String, bytes: ByteView, path: String) throws -> Tensor {
    guard let range = storage.resolvedRange() else {
      throw PyTorchError.invalidContents(
        path: path, object: name, reason: "its storage '\(storage.key)' has no data in the file")
    }
    let available = range.count / storage.dtype.size
    var count = 1
    var last = offset  // largest element index the view reaches
    for (n, s) in zip(size, stride) {
      let (c, o1) = count.multipliedReportingOverflow(by: n)
      let (reach, o2) = max(n - 1, 0).multipliedReportingOverflow(by: s)
      let (l, o3) = last.addingReportingOverflow(reach)
      guard !o1, !o2, !o3 else {
        throw PyTorchError.limitExceeded(
          path: path, what: "tensor '\(name)' size \(size)", value: Int.max, limit: available)
      }
      count = c
      last = l
    }
    if count == 0 { return Tensor(zeros: size) }
    guard last < available else {
      throw PyTorchError.storageTooShort(
        path: path, tensor: name, storage: storage.key, needed: last + 1, available: available)
    }
    let limit = max(available, Self.expandedElementLimit)
    guard count <= limit else {
      throw PyTorchError.limitExceeded(
        path: path,
        what:
          "element count of tensor '\(name)' (a view of storage '\(storage.key)' of \(available) elements)",
        value: count, limit: limit)
    }
    let out = TensorStorage(count: count)
    bytes.data.withUnsafeBytes { (file: UnsafeRawBufferPointer) in
      let src = file.baseAddress! + range.lowerBound
      switch storage.dtype {
      case .float32: gather(Float32Element.self, src, out.pointer)
      case .float16: gather(Float16Element.self, src, out.pointer)
      case .bfloat16: gather(BFloat16Element.self, src, out.pointer)
      case .float64: gather(Float64Element.self, src, out.pointer)
      case .int64: gather(IntElement<Int64>.self, src, out.pointer)
      case .int32: gather(IntElement<Int32>.self, src, out.pointer)
      case .int16: gather(IntElement<Int16>.self, src, out.pointer)
      case .int8: gather(IntElement<Int8>.self, src, out.pointer)
      case .uint8, .bool: gather(IntElement<UInt8>.self, src, out.pointer)
      }
    }
    return Tensor(shape: size, storage: out)
  }

  /// Whether the view walks its storage in row-major order without gaps.
  var isContiguous: Bool {
    var expected = 1
    for d in stride.indices.reversed() where size[d] != 1 {
      guard stride[d] == expected else { return false }
      expected *= size[d]
    }
    return true
  }

  /// Copies the view's elements in row-major order of `size` into `dst`, converting each.
  private func gather<E: TorchElement>(_: E.Type, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>)
  {
    let count = size.reduce(1, *)
    if isContiguous {
      E.convert(src + offset * E.size, count: count, into: dst)
      return
    }
    // Odometer over all dimensions but the last; the last is a strided run.
    let rank = size.count
    let inner = size[rank - 1]
    let innerStride = stride[rank - 1]
    var index = [Int](repeating: 0, count: max(rank - 1, 0))
    var position = offset
    var written = 0
    while written < count {
      for j in 0..<inner { dst[written + j] = E.load(src, position + j * innerStride) }
      written += inner
      var d = rank - 2
      while d >= 0 {
        index[d] += 1
        position += stride[d]
        if index[d] < size[d] { break }
        position -= stride[d] * size[d]
        index[d] = 0
        d -= 1
      }
    }
  }
}

/// One storage element type: its size and its conversion to float32.
protocol TorchElement {
  static var size: Int { get }
  /// Element `i` (in elements from `base`), read unaligned little-endian.
  static func load(_ base: UnsafeRawPointer, _ i: Int) -> Float
  /// Elements 0..<count from `base`, converted into `dst`.
  static func convert(_ base: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>)
}

extension TorchElement {
  static func convert(_ base: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
    for i in 0..<count { dst[i] = load(base, i) }
  }
}

enum Float32Element: TorchElement {
  static let size = 4
  static func load(_ base: UnsafeRawPointer, _ i: Int) -> Float {
    Float(bitPattern: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian)
  }
  /// Bit-exact copy (little-endian hosts).
  static func convert(_ base: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(dst).copyMemory(from: base, byteCount: count * 4)
  }
}

enum Float16Element: TorchElement {
  static let size = 2
  static func load(_ base: UnsafeRawPointer, _ i: Int) -> Float {
    halfToFloat(base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian)
  }

  /// IEEE binary16 → binary32, exact (subnormals normalised; NaN payload kept, quiet bit set).
  static func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F {
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13) | (mantissa != 0 ? 0x0040_0000 : 0))
    }
    if exponent == 0 {
      let magnitude = Float(mantissa) * 0x1p-24  // exact: at most 10 significant bits
      return Float(bitPattern: sign | magnitude.bitPattern)
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
  }
}

enum BFloat16Element: TorchElement {
  static let size = 2
  static func load(_ base: UnsafeRawPointer, _ i: Int) -> Float {
    Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian) << 16)
  }
}

enum Float64Element: TorchElement {
  static let size = 8
  static func load(_ base: UnsafeRawPointer, _ i: Int) -> Float {
    Float(Double(bitPattern: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian))
  }
}

enum IntElement<I: FixedWidthInteger>: TorchElement {
  static var size: Int { MemoryLayout<I>.size }
  static func load(_ base: UnsafeRawPointer, _ i: Int) -> Float {
    Float(I(littleEndian: base.loadUnaligned(fromByteOffset: i * MemoryLayout<I>.size, as: I.self)))
  }
}
