// Tensor: contiguous row-major float32 N-d arrays with owned storage and an optional autograd node.
//
// Dimension letters used across the engine: N batch, C channels, H/W height/width,
// O output channels, K landmarks or reduction size, T time, B batch (sequence models).
import CKernels
import Foundation

/// Owned float32 memory. A reference type so that backward closures can keep a tensor's
/// values alive without keeping its graph node (which would form a retain cycle).
public final class TensorStorage {
  public let pointer: UnsafeMutablePointer<Float>
  public let count: Int
  /// The op that made it, while the memory census records (nil: not counted by the census).
  var origin: String?

  public init(count: Int) {
    precondition(count >= 0, "negative element count \(count)")
    _ = TensorStorage.mallocConfigured
    pointer = .allocate(capacity: Swift.max(count, 1))
    self.count = count
    origin = MemoryStats.allocated(count)
  }

  public convenience init(zeros count: Int) {
    self.init(count: count)
    pointer.initialize(repeating: 0, count: count)
  }

  /// NOTE: glibc serves large blocks with mmap and returns them on free, so every training
  /// step would page-fault its activations in afresh (expensive in a VM: 30-90 ms for a few
  /// 8 MB tensors). Keeping freed memory in the heap makes steady-state steps reuse it.
  static let mallocConfigured: Void = lm_keep_freed_memory()

  deinit {
    MemoryStats.freed(count, origin: origin)
    pointer.deallocate()
  }

  public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
}

/// A float32 tensor. Values are immutable once an op has produced them, except through
/// `withMutableData` (initializers, optimizers, loading), which never records a graph.
public final class Tensor {
  public let shape: [Int]
  public let storage: TensorStorage
  /// Accumulated gradient of a leaf that requires grad (same shape).
  public var grad: Tensor?
  public var requiresGrad: Bool
  /// The op that produced this tensor, when it was recorded.
  var node: GradNode?

  public init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    precondition(
      Tensor.elementCount(shape) == storage.count,
      "shape \(shape) holds \(Tensor.elementCount(shape)) elements, storage has \(storage.count)")
    self.shape = shape
    self.storage = storage
    self.requiresGrad = requiresGrad
  }

  /// A tensor filled with zeros.
  public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
    self.init(shape: shape, storage: TensorStorage(zeros: Tensor.elementCount(shape)), requiresGrad: requiresGrad)
  }

  /// A tensor whose elements the caller writes before anyone reads them (kernels that
  /// overwrite their output skip the zero fill).
  convenience init(uninitialized shape: [Int]) {
    self.init(shape: shape, storage: TensorStorage(count: Tensor.elementCount(shape)))
  }

  /// A tensor filled with one value.
  public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
    let s = TensorStorage(count: Tensor.elementCount(shape))
    s.pointer.initialize(repeating: value, count: s.count)
    self.init(shape: shape, storage: s, requiresGrad: requiresGrad)
  }

  /// A tensor holding a copy of `values` (row-major).
  public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
    precondition(
      values.count == Tensor.elementCount(shape),
      "Tensor(_:shape:) got \(values.count) values for shape \(shape)")
    let s = TensorStorage(count: values.count)
    values.withUnsafeBufferPointer { src in
      if let base = src.baseAddress { s.pointer.initialize(from: base, count: values.count) }
    }
    self.init(shape: shape, storage: s, requiresGrad: requiresGrad)
  }

  /// A scalar (shape []).
  public convenience init(scalar: Float) { self.init([scalar], shape: []) }

  public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

  public var count: Int { storage.count }
  public var rank: Int { shape.count }
  public var data: UnsafeMutablePointer<Float> { storage.pointer }
  public var isLeaf: Bool { node == nil }

  /// The values as an array (a copy).
  public var values: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

  /// The single value of a one-element tensor.
  public var item: Float {
    precondition(count == 1, "item needs a one-element tensor, shape is \(shape)")
    return storage.pointer[0]
  }

  public subscript(flat index: Int) -> Float { storage.pointer[index] }

  /// Mutates the values in place. Only for leaves (initializers, optimizers, loading): an op
  /// that saved these values for backward would see the change.
  public func withMutableData<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(storage.buffer)
  }

  /// The same values, cut from the graph.
  public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

  /// A deep copy (new storage), cut from the graph.
  public func copy() -> Tensor {
    let s = TensorStorage(count: count)
    s.pointer.initialize(from: storage.pointer, count: count)
    return Tensor(shape: shape, storage: s)
  }

  /// Row-major strides of `shape`.
  public static func strides(of shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      s[i] = acc
      acc *= shape[i]
    }
    return s
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let head = values.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
    return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
  }
}
