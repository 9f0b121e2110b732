// Appearance (DESIGN §2): the appearance U-Net over [softmax maps, pose first-block features]
// of the appearance image, per-landmark pooling a_k,c, and the projection P_c onto heatmaps.
import TensorEngine

public enum Appearance {
  /// The appearance encoder: `Unet(K + 4f, [64, n_filters], 1, 1, naf)`.
  /// Input [B, K + 4f, S/2, S/2] → [B, n_filters, S/2, S/2].
  public static func makeEncoder(_ config: ModelConfig, rng: inout SeededRNG) -> UNet {
    UNet(
      inChannels: config.nLandmarks + config.poseFirstBlockChannels, outChannels: [64, config.nFilters],
      downsamples: 1, upsamples: 1, filters: config.naf, rng: &rng)
  }

  /// a_k,c = (1/(h·w)) Σ_l maps_k(l) · features_c(l) (report eq. 1 up to the constant).
  /// maps [B, K, h, w], features [B, C, h, w] → [B, K, C].
  public static func pool(features: Tensor, maps: Tensor) -> Tensor {
    let (b, k, h, w) = (maps.shape[0], maps.shape[1], maps.shape[2], maps.shape[3])
    let c = features.shape[1]
    precondition(features.shape == [b, c, h, w], "pool: features \(features.shape) vs maps \(maps.shape)")
    let f = features.reshaped([b, c, h * w]).transposedLast2()  // [B, hw, C]
    return maps.reshaped([b, k, h * w]).matmul(f) * (1 / Float(h * w))
  }

  /// P_c(l) = Σ_k a_k,c · s_k(l) / (1 + Σ_k s_k(l)).
  /// vectors [B, K, C], heatmaps [B, K, S, S] → [B, C, S, S].
  public static func project(vectors: Tensor, heatmaps: Tensor) -> Tensor {
    let (b, k, s) = (heatmaps.shape[0], heatmaps.shape[1], heatmaps.shape[2])
    let c = vectors.shape[2]
    precondition(
      vectors.shape == [b, k, c], "project: vectors \(vectors.shape) vs heatmaps \(heatmaps.shape)")
    let flat = heatmaps.reshaped([b, k, s * s])
    let num = vectors.transposedLast2().matmul(flat)  // [B, C, SS]
    let den = flat.sum(axes: [1], keepDims: true) + 1  // [B, 1, SS]
    return (num / den).reshaped([b, c, s, s])
  }
}
