// LandmarkModel: the whole landmark model of DESIGN §2 — pose encoder → Gaussian landmarks →
// heatmaps; appearance encoder → per-landmark vectors → projection; SPADE generator. Keys are
// the reference's `PartFactorizedModel` state-dict names (shape_encoder.*,
// appearance_encoder.*, image_decoder.*), so reference checkpoints load without renaming.
import TensorEngine

/// What one training forward returns. B batch, K landmarks, C appearance channels, S size.
public struct LandmarkOutput {
  /// The decoded image, [B, 3, S, S] (no tanh; target range [-1, 1]).
  public let reconstruction: Tensor
  /// Landmarks of the pose (color-jittered) input: μ [B, K, 2], Σ [B, K, 2, 2], maps [B, K, S/2, S/2].
  public let pose: GaussianLandmarks
  /// Eq. 5 heatmaps of `pose` at full resolution, [B, K, S, S] (the generator's conditioning).
  public let heatmaps: Tensor
  /// Landmarks of the appearance (warped / temporal) input.
  public let appearancePose: GaussianLandmarks
  /// Appearance vectors a_k,c of the appearance input, [B, K, C].
  public let appearance: Tensor
}

public final class LandmarkModel: Module {
  public let config: ModelConfig
  /// `Unet(3, pose_decoder_channels + [K], 4, 3, nsf)`: [B, 3, S, S] → logits [B, K, S/2, S/2].
  public let poseEncoder: UNet
  /// `Unet(K + 4f, [64, n_filters], 1, 1, naf)`.
  public let appearanceEncoder: UNet
  public let generator: SPADEGenerator

  /// Builds the model with DESIGN §2 initialization (Xavier-uniform conv weights, biases 0.1).
  /// - Throws: `ModelConfigError` naming the bad key.
  public init(config: ModelConfig, rng: inout SeededRNG) throws {
    try config.validate()
    self.config = config
    poseEncoder = UNet(
      inChannels: 3, outChannels: config.poseDecoderChannels + [config.nLandmarks], downsamples: 4,
      upsamples: 3,
      filters: config.nsf, rng: &rng)
    appearanceEncoder = Appearance.makeEncoder(config, rng: &rng)
    generator = SPADEGenerator(config, rng: &rng)
    super.init()
    child("shape_encoder", poseEncoder)
    child("appearance_encoder", appearanceEncoder)
    child("image_decoder", generator)
  }

  private var fixedCovariance: Float? { config.useIdentityCovariance ? Float(config.fixedCovar) : nil }

  private func checkImages(_ x: Tensor, _ what: String) {
    let s = config.imgSize
    precondition(
      x.rank == 4 && Array(x.shape.dropFirst()) == [3, s, s],
      "\(what): images \(x.shape), need [B, 3, \(s), \(s)]")
  }

  /// Landmarks of images [B, 3, S, S] in [-1, 1]. The encode-only path: wrap in `withNoGrad`
  /// for inference.
  public func encode(_ images: Tensor) -> GaussianLandmarks {
    checkImages(images, "encode")
    return LandmarkGeometry.fit(logits: poseEncoder(images), fixedCovariance: fixedCovariance)
  }

  /// Appearance vectors a_k,c of images [B, 3, S, S] → [B, K, C], with the landmarks found in them.
  public func appearance(of images: Tensor) -> (vectors: Tensor, landmarks: GaussianLandmarks) {
    checkImages(images, "appearance")
    let (logits, first) = poseEncoder.forwardWithFirstBlock(images)
    let g = LandmarkGeometry.fit(logits: logits, fixedCovariance: fixedCovariance)
    guard let maps = g.maps else { preconditionFailure("fit always returns maps") }
    let features = appearanceEncoder(Tensor.concat([maps, first], axis: 1))  // [B, C, S/2, S/2]
    return (Appearance.pool(features: features, maps: maps), g)
  }

  /// Decodes landmarks (μ [B, K, 2], Σ [B, K, 2, 2]) with appearance vectors [B, K, C]:
  /// heatmaps (eq. 5) → projection → generator. `reference` is the frame the appearance came
  /// from ([B, 3, S, S]), read by the reference-frame skip (`decoder_skip: reference`) and
  /// needed only then. Returns (image [B, 3, S, S], heatmaps).
  /// `referencePose` (its landmarks μ, Σ) is read by `decoder_skip: reference-pose`.
  public func decode(
    mu: Tensor, covariance: Tensor, appearance: Tensor, reference: Tensor? = nil,
    referencePose: (mu: Tensor, covariance: Tensor)? = nil
  ) -> (image: Tensor, heatmaps: Tensor) {
    let heat = LandmarkGeometry.heatmaps(mu: mu, covariance: covariance, size: config.imgSize)
    let projected = Appearance.project(vectors: appearance, heatmaps: heat)
    let referenceHeat = generator.needsReferencePose
      ? referencePose.map { LandmarkGeometry.heatmaps(mu: $0.mu, covariance: $0.covariance, size: config.imgSize) }
      : nil
    let image = generator(
      heatmaps: heat, projected: projected, reference: generator.needsReference ? reference : nil,
      referenceHeatmaps: referenceHeat)
    return (image, heat)
  }

  /// Whether `decode` needs the reference frame (`decoder_skip: reference`, `reference-pose`).
  public var decodesWithReference: Bool { generator.needsReference }
  /// Whether `decode` also needs the reference frame's landmarks (`decoder_skip: reference-pose`).
  public var decodesWithReferencePose: Bool { generator.needsReferencePose }

  /// One training pair: the pose branch sees `pose` (T_cj(x)), the appearance branch sees
  /// `appearance` (T_tps(x) or another frame); the target is x.
  public func callAsFunction(pose: Tensor, appearance images: Tensor) -> LandmarkOutput {
    precondition(
      pose.shape == images.shape, "forward: pose input \(pose.shape) vs appearance input \(images.shape)")
    let g = encode(pose)
    let (vectors, gw) = appearance(of: images)
    let (image, heat) = decode(
      mu: g.mu, covariance: g.covariance, appearance: vectors, reference: images,
      referencePose: (gw.mu, gw.covariance))
    return LandmarkOutput(
      reconstruction: image, pose: g, heatmaps: heat, appearancePose: gw, appearance: vectors)
  }
}
