// The image decoder (DESIGN §2): the SPADE generator and its no-SPADE ("Ours (Lorenz)")
// variant. Keys as the reference's `image_decoder.*`: fc, head_0, G_middle_0, G_middle_1, up_0,
// up_1, up_4, conv_img.
import TensorEngine

/// Generator with nf = ngc. From the projected appearance map P [B, C, S, S] and heatmaps
/// seg [B, K, S, S]:
///   x₀ = head_0(fc(nearest(P, S/16))), x₁ = head_0(fc(nearest(P, S/8)))
///   x = G_middle_1(G_middle_0(0.5·up(x₀) + 0.5·x₁));  x = up_4(up(up_1(up(up_0(up(x))))))
///   image = conv_img(LReLU₀.₂(x))  (no tanh), "up" bilinear ×2, align_corners=false.
/// Without SPADE, fc reads [P, seg] (C + K channels) and the blocks use plain InstanceNorm.
public final class SPADEGenerator: Module {
  public let useSpade: Bool
  let fc: Conv2d  // [4nf, C (+K), 3, 3]
  let head0: SPADEResnetBlock  // 4nf → 4nf
  let middle0: SPADEResnetBlock  // 4nf → 4nf
  let middle1: SPADEResnetBlock  // 4nf → 4nf
  let up0: SPADEResnetBlock  // 4nf → 2nf
  let up1: SPADEResnetBlock  // 2nf → nf
  let up4: SPADEResnetBlock  // nf → nf/2
  let convImg: Conv2d  // [3, nf/2, 3, 3]
  /// The reference-frame skip (`decoder_skip: reference`); its features widen SPADE's input.
  let reference: ReferenceEncoder?

  public init(_ config: ModelConfig, rng: inout SeededRNG) {
    let nf = config.ngc
    let k = config.nLandmarks
    useSpade = !config.disableSpade
    fc = Conv2d(config.nFilters + (useSpade ? 0 : k), 4 * nf, kernel: 3, padding: 1, rng: &rng)
    let skip = config.decoderSkip == "none" ? 0 : config.skipChannels
    func block(_ a: Int, _ b: Int, _ rng: inout SeededRNG) -> SPADEResnetBlock {
      SPADEResnetBlock(
        a, b, labelChannels: k + skip, hidden: config.spadeHidden, spade: !config.disableSpade, rng: &rng)
    }
    head0 = block(4 * nf, 4 * nf, &rng)
    middle0 = block(4 * nf, 4 * nf, &rng)
    middle1 = block(4 * nf, 4 * nf, &rng)
    up0 = block(4 * nf, 2 * nf, &rng)
    up1 = block(2 * nf, nf, &rng)
    up4 = block(nf, nf / 2, &rng)
    convImg = Conv2d(nf / 2, 3, kernel: 3, padding: 1, rng: &rng)
    reference =
      skip > 0
      ? ReferenceEncoder(channels: skip, poseChannels: config.decoderSkip == "reference-pose" ? k : 0, rng: &rng) : nil
    super.init()
    child("fc", fc)
    child("head_0", head0)
    child("G_middle_0", middle0)
    child("G_middle_1", middle1)
    child("up_0", up0)
    child("up_1", up1)
    child("up_4", up4)
    child("conv_img", convImg)
    if let r = reference { child("reference_encoder", r) }
  }

  /// Whether decoding needs the reference (appearance) frame's image.
  public var needsReference: Bool { reference != nil }
  /// Whether decoding also needs the reference frame's own landmark heatmaps (`reference-pose`).
  public var needsReferencePose: Bool { (reference?.poseChannels ?? 0) > 0 }

  private func up(_ x: Tensor) -> Tensor {
    x.resizedBilinear(height: 2 * x.shape[2], width: 2 * x.shape[3], alignCorners: false)
  }

  /// heatmaps [B, K, S, S], projected [B, C, S, S] (and, with the skip, the reference frames
  /// [B, 3, S, S], with `reference-pose` also their own heatmaps [B, K, S, S]) → image [B, 3, S, S].
  public func callAsFunction(
    heatmaps: Tensor, projected: Tensor, reference images: Tensor? = nil, referenceHeatmaps: Tensor? = nil
  ) -> Tensor {
    let s = heatmaps.shape[2]
    precondition(
      (reference == nil) || images?.shape == [heatmaps.shape[0], 3, s, s],
      "generator: decoder_skip reference needs the reference frames [B, 3, \(s), \(s)], got \(images?.shape ?? [])")
    precondition(
      !needsReferencePose || referenceHeatmaps?.shape == heatmaps.shape,
      "generator: decoder_skip reference-pose needs the reference heatmaps \(heatmaps.shape), got \(referenceHeatmaps?.shape ?? [])")
    let input = useSpade ? projected : Tensor.concat([projected, heatmaps], axis: 1)
    let features = reference.map { $0(needsReferencePose ? Tensor.concat([images!, referenceHeatmaps!], axis: 1) : images!) }
    let seg = useSpade ? SegmentationPyramid(heatmaps, reference: features) : nil
    let x0 = head0(fc(input.resizedNearest(height: s / 16, width: s / 16)), seg)
    let x1 = head0(fc(input.resizedNearest(height: s / 8, width: s / 8)), seg)
    var x = up(x0) * 0.5 + x1 * 0.5
    x = middle1(middle0(x, seg), seg)
    x = up0(up(x), seg)
    x = up1(up(x), seg)
    x = up4(up(x), seg)
    return convImg(x.leakyRelu(0.2))
  }
}
