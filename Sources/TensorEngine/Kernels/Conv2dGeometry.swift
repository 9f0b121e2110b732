// conv2d geometry and kernel choice.
//
// Layouts: x [N, C, H, W], weight [O, C, kh, kw] (viewed as [O, Kc] with Kc = C·kh·kw),
// out [N, O, Ho, Wo]. Output pixels are indexed globally as P = n·Ho·Wo + p.
import CKernels
import Foundation

/// Worker threads for the engine's parallel kernels: $LMLAB_THREADS, else the cores this
/// process may use (`EngineThreads.defaultCount`); `--threads N` sets it (`EngineThreads.apply`).
nonisolated(unsafe) public var engineThreads = EngineThreads.defaultCount

/// Which kernel paths 3×3 stride-1 "same" convs may take.
public enum Conv2dKernelChoice: String, CaseIterable {
  /// Direct kernel where measured faster (see `Conv2dGeometry.usesDirectForward`), else im2col + sgemm.
  case auto
  /// Always the direct kernel (where the CPU has AVX2/FMA).
  case direct
  /// Always im2col + sgemm.
  case gemm
}

/// The engine-wide kernel choice; LMLAB_CONV_KERNEL=auto|direct|gemm sets it at start-up.
nonisolated(unsafe) public var conv2dKernelChoice =
  Conv2dKernelChoice(rawValue: ProcessInfo.processInfo.environment["LMLAB_CONV_KERNEL"] ?? "") ?? .auto

/// Whether this CPU runs the direct kernels (AVX2 + FMA).
public let directConvAvailable = lm_direct_conv_available() != 0

/// In `.auto`, the direct weight gradient is used up to this smaller channel count
/// (`LMLAB_CONV_KERNEL=direct|gemm lmlab bench train --profile` shows the crossover).
let directConvMaxWgradChannels = 64

/// Column-buffer target of the im2col path: tiles of about 1 MB, at least 256 columns.
let tileTargetFloats = 1 << 18
let tileMinColumns = 256

/// Sizes of one conv2d call.
public struct Conv2dGeometry: Hashable {
  public var n, c, h, w: Int
  public var o, kh, kw: Int
  public var stride, pad: Int

  public init(n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, stride: Int, pad: Int) {
    (self.n, self.c, self.h, self.w, self.o, self.kh, self.kw, self.stride, self.pad) = (n, c, h, w, o, kh, kw, stride, pad)
  }
  public var ho: Int { (h + 2 * pad - kh) / stride + 1 }
  public var wo: Int { (w + 2 * pad - kw) / stride + 1 }
  /// Rows of the column matrix: C·kh·kw.
  public var kc: Int { c * kh * kw }
  public var outPixels: Int { ho * wo }
  var isPointwise: Bool { kh == 1 && kw == 1 && stride == 1 && pad == 0 }

  /// 3×3 stride-1 "same" convs may use the direct C kernel. Measured per shape
  /// (`LMLAB_CONV_KERNEL=direct|gemm lmlab bench train --profile`, `bench dynamics --profile`):
  /// its forward needs rows at least 16 pixels wide (it works in 16-pixel blocks, so narrower
  /// rows waste lanes) and beats im2col + sgemm only for few channels (O ≤ 64 and C·O ≤ 4096);
  /// wider convs run 1.2-1.8× faster through sgemm on OpenBLAS's AVX-512 kernels (under its
  /// generic SSE3 kernels, direct had won there too). Its backward (weight gradient) wins
  /// while the smaller channel count is at most 64 and rows are at least 32 pixels wide.
  var directEligible: Bool { kh == 3 && kw == 3 && stride == 1 && pad == 1 && directConvAvailable }

  var usesDirectForward: Bool {
    guard directEligible && !usesWinogradForward else { return false }
    switch conv2dKernelChoice {
    case .direct: return true
    case .gemm: return false
    case .auto: return directWinsForward
    }
  }

  /// `.auto`'s rule for the direct forward kernel (the Winograd rule reads it too).
  var directWinsForward: Bool { w >= 16 && o <= 64 && c * o <= 4096 }

  var usesDirectBackward: Bool {
    guard directEligible && !usesWinogradWeightGradient else { return false }
    switch conv2dKernelChoice {
    case .direct: return true
    case .gemm: return false
    case .auto: return Swift.min(c, o) <= directConvMaxWgradChannels && w >= 32
    }
  }

  /// Stride-1 square kernels get the input gradient as a forward conv of the output gradient
  /// with the flipped, transposed kernel (one product, no scatter-add).
  var hasTransposedInputGradient: Bool { stride == 1 && !isPointwise && kh == kw && pad <= kh - 1 }

  /// The forward conv whose output is this (stride-1) conv's input gradient: gout in, flipped,
  /// transposed kernel.
  var transposed: Conv2dGeometry {
    Conv2dGeometry(n: n, c: o, h: ho, w: wo, o: c, kh: kh, kw: kw, stride: 1, pad: kh - 1 - pad)
  }

  /// The input gradient comes from the direct kernel, which reads the weights flipped itself.
  var usesDirectInputGradient: Bool { directEligible && transposed.usesDirectForward }

  /// Multiply-adds ×2 of the forward pass.
  public var forwardFLOPs: Double { 2 * Double(n * o * kc * outPixels) }

  /// Columns per tile: the column buffer stays near 1 MB, but never under 256 columns.
  var tileColumns: Int {
    let total = n * outPixels
    let target = Swift.max(tileMinColumns, tileTargetFloats / Swift.max(kc, 1))
    return Swift.min(total, target)
  }
}
