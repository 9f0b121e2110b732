// SPADE normalization and the SPADE ResNet block with spectral norm (DESIGN §2), keys as the
// reference's: norm_{0,1,s}.mlp_shared.0.*, mlp_gamma.*, mlp_beta.*; conv_{0,1}.{bias,
// weight_orig,weight_u,weight_v}; conv_s.{weight_orig,weight_u,weight_v} (no bias).
import TensorEngine

/// Per-forward cache of the segmentation map resized to each activation size, so the blocks
/// of one generator pass share one resize per size (the gradient still reaches `seg`). With a
/// reference-frame skip, each size's map is followed by the reference features of that size.
final class SegmentationPyramid {
  let seg: Tensor  // [B, K, S, S]
  let reference: [Int: Tensor]?  // side → [B, r, h, h]
  private var bySize: [Int: Tensor] = [:]

  init(_ seg: Tensor, reference: [Int: Tensor]? = nil) {
    self.seg = seg
    self.reference = reference
  }

  /// seg resized bilinearly (align_corners=false) to h×h, then the reference features at h.
  func at(_ h: Int) -> Tensor {
    if let t = bySize[h] { return t }
    var t = h == seg.shape[2] ? seg : seg.resizedBilinear(height: h, width: h, alignCorners: false)
    if let reference {
      guard let r = reference[h] else { preconditionFailure("reference features have no level of size \(h)") }
      t = Tensor.concat([t, r], axis: 1)
    }
    bySize[h] = t
    return t
  }
}

/// SPADE(x, seg) = IN(x) · (1 + γ) + β with a = ReLU(conv3×3(seg → hidden)), γ, β = conv3×3(a → C).
public final class SPADE: Module {
  let shared: Conv2d  // mlp_shared.0: [hidden, K, 3, 3]
  let gamma: Conv2d  // mlp_gamma: [C, hidden, 3, 3]
  let beta: Conv2d  // mlp_beta: [C, hidden, 3, 3]

  public init(channels: Int, labelChannels: Int, hidden: Int, rng: inout SeededRNG) {
    shared = Conv2d(labelChannels, hidden, kernel: 3, padding: 1, rng: &rng)
    gamma = Conv2d(hidden, channels, kernel: 3, padding: 1, rng: &rng)
    beta = Conv2d(hidden, channels, kernel: 3, padding: 1, rng: &rng)
    super.init()
    child("mlp_shared", Module()).child("0", shared)
    child("mlp_gamma", gamma)
    child("mlp_beta", beta)
  }

  /// x [B, C, h, w], seg [B, K, h, w] (already resized); `activation` follows the modulation
  /// in the same fused op (Tensor.spadeModulation: the unfused composition's numbers).
  public func callAsFunction(_ x: Tensor, _ seg: Tensor, activation: NormActivation = .none) -> Tensor {
    let a = shared(seg).relu()
    return Tensor.spadeModulation(x, gamma: gamma(a), beta: beta(a), eps: 1e-5, activation: activation)
  }
}

/// ResNet block: shortcut = conv_s(norm_s(x)) if fin ≠ fout else x;
/// dx = conv_1(LReLU(norm_1(conv_0(LReLU(norm_0(x)))))), out = shortcut + dx.
/// norm = SPADE, or plain InstanceNorm when `spade` is false (the "Lorenz" variant).
public final class SPADEResnetBlock: Module {
  let conv0: SpectralNormConv2d  // [mid, fin, 3, 3]
  let conv1: SpectralNormConv2d  // [fout, mid, 3, 3]
  let convS: SpectralNormConv2d?  // [fout, fin, 1, 1], no bias
  let norm0: SPADE?
  let norm1: SPADE?
  let normS: SPADE?

  public init(_ fin: Int, _ fout: Int, labelChannels: Int, hidden: Int, spade: Bool, rng: inout SeededRNG) {
    let mid = Swift.min(fin, fout)
    let learned = fin != fout
    conv0 = SpectralNormConv2d(fin, mid, kernel: 3, padding: 1, rng: &rng)
    conv1 = SpectralNormConv2d(mid, fout, kernel: 3, padding: 1, rng: &rng)
    convS = learned ? SpectralNormConv2d(fin, fout, kernel: 1, bias: false, rng: &rng) : nil
    norm0 = spade ? SPADE(channels: fin, labelChannels: labelChannels, hidden: hidden, rng: &rng) : nil
    norm1 = spade ? SPADE(channels: mid, labelChannels: labelChannels, hidden: hidden, rng: &rng) : nil
    normS =
      spade && learned ? SPADE(channels: fin, labelChannels: labelChannels, hidden: hidden, rng: &rng) : nil
    super.init()
    child("conv_0", conv0)
    child("conv_1", conv1)
    if let c = convS { child("conv_s", c) }
    if let n = norm0 { child("norm_0", n) }
    if let n = norm1 { child("norm_1", n) }
    if let n = normS { child("norm_s", n) }
  }

  /// The norm (SPADE, or plain IN without it) and the activation after it, as one fused op.
  private func normalize(
    _ norm: SPADE?, _ x: Tensor, _ seg: SegmentationPyramid?, _ activation: NormActivation = .none
  ) -> Tensor {
    guard let norm, let seg else { return x.instanceNorm(eps: 1e-5, activation: activation) }
    return norm(x, seg.at(x.shape[2]), activation: activation)
  }

  func callAsFunction(_ x: Tensor, _ seg: SegmentationPyramid?) -> Tensor {
    let shortcut = convS.map { $0(normalize(normS, x, seg)) } ?? x
    let dx = conv0(normalize(norm0, x, seg, .leakyRelu(0.2)))
    return shortcut + conv1(normalize(norm1, dx, seg, .leakyRelu(0.2)))
  }
}
