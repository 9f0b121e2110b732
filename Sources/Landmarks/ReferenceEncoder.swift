// ReferenceEncoder: the reference-frame skip of DESIGN §2 (`decoder_skip: reference`; not in the
// report's model, whose "Limitations" name its absence). A small conv encoder turns the
// appearance frame's image into features at S, S/2, S/4, S/8 and S/16 — every size a SPADE
// block of the generator runs at — and SPADE reads them beside the target heatmaps, so the
// normalization's γ and β (the heatmaps modulating what is drawn where) can carry background and
// texture from the reference frame instead of squeezing them through K appearance vectors.
// With `reference-pose` the encoder also reads the reference frame's own landmark heatmaps: the
// features then say where the reference's parts were, which the decoder needs to draw them
// where the target's heatmaps put them instead of copying the reference's pose.
import TensorEngine

public final class ReferenceEncoder: Module {
  /// Channels at every level.
  public let channels: Int
  /// Heatmap channels read beside the image (K with `reference-pose`, else 0).
  public let poseChannels: Int
  let levels: [Conv2d]  // level 0: [r, 3 (+K), 3, 3] stride 1; then [r, r, 3, 3] stride 2 each

  public init(channels r: Int, poseChannels: Int = 0, levels count: Int = 5, rng: inout SeededRNG) {
    channels = r
    self.poseChannels = poseChannels
    var convs = [Conv2d(3 + poseChannels, r, kernel: 3, stride: 1, padding: 1, rng: &rng)]
    for _ in 1..<count { convs.append(Conv2d(r, r, kernel: 3, stride: 2, padding: 1, rng: &rng)) }
    levels = convs
    super.init()
    for (i, c) in convs.enumerated() { child("level_\(i)", c) }
  }

  /// Features of reference images [B, 3 (+K), S, S] by side length: S, S/2, ..., each [B, r, h, h]
  /// (conv · LeakyReLU(0.2) per level). No normalization: InstanceNorm took each channel's
  /// spatial mean away, and with it the frame's overall colour, which the decoder then drew grey.
  public func callAsFunction(_ images: Tensor) -> [Int: Tensor] {
    var out: [Int: Tensor] = [:]
    var h = images
    for conv in levels {
      h = conv(h).leakyRelu(0.2)
      out[h.shape[2]] = h
    }
    return out
  }
}
