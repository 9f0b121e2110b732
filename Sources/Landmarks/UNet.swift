// UNet: the reference's parameterized U-Net (DESIGN §2), the body of both the pose encoder and
// the appearance encoder. Keys follow the reference's state dict:
//   encoder_layers.0.{0,1}.0.*   conv3×3 · IN · ReLU at the input resolution (f, 2f)
//   encoder_layers.0.2.{0,1}.0.* the first stride-2 block (4f)
//   encoder_layers.i.{0,1}.0.*   further stride-2 blocks, doubling channels
//   decoder_layers.0.0.*         conv1×1 · IN · ReLU on the deepest output
//   skip_convs.i.0.*             conv1×1 · ReLU from an encoder output to the decoder width
//   decoder_layers.i.{0,2}.0.*   conv3×3 · IN · ReLU, bilinear ×2 (align_corners), conv3×3 · IN · ReLU
//   decoder_layers.last.1.*      the final conv1×1 (last step's block is decoder_layers.last.0)
import TensorEngine

/// conv (with bias) · InstanceNorm (optional, no affine, eps 1e-5) · ReLU; the conv is key `0`.
/// Norm and ReLU run as one fused op (FusedNorm.swift: same numbers, one tensor kept).
final class ConvNormReLU: Module {
  let conv: Conv2d
  let norm: Bool

  init(
    _ cin: Int, _ cout: Int, kernel: Int, stride: Int = 1, padding: Int = 0, norm: Bool = true,
    rng: inout SeededRNG
  ) {
    conv = Conv2d(cin, cout, kernel: kernel, stride: stride, padding: padding, rng: &rng)
    self.norm = norm
    super.init()
    child("0", conv)
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    let y = conv(x)
    return norm ? y.instanceNorm(eps: 1e-5, activation: .relu) : y.relu()
  }
}

/// Encoder block: conv3×3 stride 2 (→ c) · IN · ReLU, conv3×3 (c → c) · IN · ReLU. Keys `0`, `1`.
final class DownBlock: Module {
  let c0: ConvNormReLU
  let c1: ConvNormReLU

  init(_ cin: Int, _ cout: Int, rng: inout SeededRNG) {
    c0 = ConvNormReLU(cin, cout, kernel: 3, stride: 2, padding: 1, rng: &rng)
    c1 = ConvNormReLU(cout, cout, kernel: 3, padding: 1, rng: &rng)
    super.init()
    child("0", c0)
    child("1", c1)
  }

  func callAsFunction(_ x: Tensor) -> Tensor { c1(c0(x)) }
}

/// Decoder block: conv3×3 · IN · ReLU, bilinear ×2 (align_corners=true), conv3×3 · IN · ReLU.
/// Keys `0` and `2` (the reference's `1` is the parameter-free upsample).
final class UpBlock: Module {
  let c0: ConvNormReLU
  let c2: ConvNormReLU

  init(_ cin: Int, _ cout: Int, rng: inout SeededRNG) {
    c0 = ConvNormReLU(cin, cout, kernel: 3, padding: 1, rng: &rng)
    c2 = ConvNormReLU(cout, cout, kernel: 3, padding: 1, rng: &rng)
    super.init()
    child("0", c0)
    child("2", c2)
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    let y = c0(x)
    return c2(y.resizedBilinear(height: 2 * y.shape[2], width: 2 * y.shape[3], alignCorners: true))
  }
}

/// The U-Net. Input [N, cin, H, W] → output [N, outChannels.last, H/2, W/2] when
/// `downsamples = upsamples + 1` (the pose encoder: 4 and 3; the appearance encoder: 1 and 1
/// gives H/2 too because its first block already halves).
public final class UNet: Module {
  let firstConvs: [ConvNormReLU]  // encoder_layers.0.0, .0.1
  let downBlocks: [DownBlock]  // encoder_layers.0.2, encoder_layers.1, ...
  let bottleneck: ConvNormReLU  // decoder_layers.0
  let skips: [ConvNormReLU]  // skip_convs.i
  let ups: [UpBlock]  // decoder_layers.i (the last one as decoder_layers.last.0)
  let finalConv: Conv2d  // decoder_layers.last.1: [out.last, out[-2], 1, 1]
  /// Channels of the first block's output (4f).
  public let firstBlockChannels: Int

  /// - Parameters: `filters` f (0: twice `inChannels`); `outChannels` the decoder widths, the
  ///   last entry the output channels (count `upsamples + 1`).
  public init(
    inChannels: Int, outChannels: [Int], downsamples: Int, upsamples: Int, filters: Int, rng: inout SeededRNG
  ) {
    precondition(
      outChannels.count == upsamples + 1, "UNet: \(outChannels.count) widths for \(upsamples) upsamples")
    precondition(downsamples >= 1 && upsamples <= downsamples, "UNet: \(downsamples) down, \(upsamples) up")
    let f = filters == 0 ? 2 * inChannels : filters
    firstConvs = [
      ConvNormReLU(inChannels, f, kernel: 3, padding: 1, rng: &rng),
      ConvNormReLU(f, 2 * f, kernel: 3, padding: 1, rng: &rng),
    ]
    var widths = [4 * f]
    var downs = [DownBlock(2 * f, 4 * f, rng: &rng)]
    for _ in 1..<downsamples {
      downs.append(DownBlock(widths.last!, 2 * widths.last!, rng: &rng))
      widths.append(2 * widths.last!)
    }
    downBlocks = downs
    firstBlockChannels = 4 * f
    let rev = Array(widths.reversed())
    var c = rev[0]
    bottleneck = ConvNormReLU(c, c, kernel: 1, rng: &rng)
    var skipList: [ConvNormReLU] = []
    var upList: [UpBlock] = []
    for i in 1...upsamples {
      skipList.append(ConvNormReLU(rev[i - 1], c, kernel: 1, norm: false, rng: &rng))
      upList.append(UpBlock(c, outChannels[i - 1], rng: &rng))
      c = outChannels[i - 1]
    }
    skips = skipList
    ups = upList
    finalConv = Conv2d(c, outChannels.last!, kernel: 1, rng: &rng)
    super.init()

    let encoder = child("encoder_layers", Module())
    let first = encoder.child("0", Module())
    first.child("0", firstConvs[0])
    first.child("1", firstConvs[1])
    first.child("2", downBlocks[0])
    for i in 1..<downBlocks.count { encoder.child("\(i)", downBlocks[i]) }
    let decoder = child("decoder_layers", Module())
    decoder.child("0", bottleneck)
    for i in 0..<(ups.count - 1) { decoder.child("\(i + 1)", ups[i]) }
    let last = decoder.child("\(ups.count)", Module())
    last.child("0", ups[ups.count - 1])
    last.child("1", finalConv)
    let skipModules = child("skip_convs", Module())
    for (i, s) in skips.enumerated() { skipModules.child("\(i)", s) }
  }

  /// Returns the output and the first block's output ([N, 4f, H/2, W/2]).
  public func forwardWithFirstBlock(_ x: Tensor) -> (output: Tensor, firstBlock: Tensor) {
    var outs: [Tensor] = []
    var h = downBlocks[0](firstConvs[1](firstConvs[0](x)))
    outs.append(h)
    for block in downBlocks.dropFirst() {
      h = block(h)
      outs.append(h)
    }
    var y = bottleneck(outs[outs.count - 1])
    for i in 1...ups.count {
      y = ups[i - 1](y + skips[i - 1](outs[outs.count - i]))
    }
    return (finalConv(y), outs[0])
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { forwardWithFirstBlock(x).output }
}
