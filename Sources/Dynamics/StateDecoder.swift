// StateDecoder: pose states back to frames with the landmark model's decoder (DESIGN §2:
// heatmaps of eq. 5 → appearance projection → SPADE generator), using the appearance vectors
// of a chosen real frame. Batched, in eval mode, recording no graph.
import Landmarks
import TensorEngine

public struct StateDecoder {
  public let model: LandmarkModel
  /// Floor on L's diagonal when states become covariances (`cholesky_floor`).
  public let floor: Double
  /// Frames decoded per generator call.
  public let batch: Int

  public init(model: LandmarkModel, floor: Double, batch: Int = 32) {
    precondition(batch >= 1, "StateDecoder: batch \(batch)")
    model.eval()
    self.model = model
    self.floor = floor
    self.batch = batch
  }

  public var imageSize: Int { model.config.imgSize }
  public var stateSize: Int { model.config.nLandmarks * PoseState.width }

  /// The states of images [N, 3, S, S] in [-1, 1]: [N, D].
  public func encode(_ images: Tensor) -> Tensor {
    withNoGrad { PoseState.encode(model.encode(images)) }
  }

  /// What frames are decoded with: appearance vectors [A, K, C] of source frames, the frames
  /// themselves [A, 3, S, S] when the model decodes with the reference-frame skip, and their
  /// landmarks (μ [A, K, 2], Σ [A, K, 2, 2]) with `decoder_skip: reference-pose`.
  public struct AppearanceSource {
    public var vectors: Tensor
    public var references: Tensor?
    public var referencePose: (mu: Tensor, covariance: Tensor)?
  }

  /// The appearance of images [N, 3, S, S] in [-1, 1].
  public func appearance(of images: Tensor) -> AppearanceSource {
    let (vectors, landmarks) = withNoGrad { model.appearance(of: images) }
    return AppearanceSource(
      vectors: vectors,
      references: model.decodesWithReference ? images : nil,
      referencePose: model.decodesWithReferencePose ? (landmarks.mu, landmarks.covariance) : nil)
  }

  /// Rows `index[r]` of a [A, ...] tensor, as [index.count, ...].
  private static func gather(_ all: Tensor, _ index: ArraySlice<Int>) -> Tensor {
    let row = all.count / all.shape[0]
    let out = Tensor(zeros: [index.count] + Array(all.shape.dropFirst()))
    for (r, a) in index.enumerated() { (out.data + r * row).update(from: all.data + a * row, count: row) }
    return out
  }

  /// Frames [N, 3, S, S] (the generator's output range, nominally [-1, 1]) of states [N, D],
  /// each with source `appearanceIndex[i]` of `source`.
  public func decode(_ states: Tensor, appearance source: AppearanceSource, appearanceIndex: [Int]) -> Tensor {
    let (n, d) = (states.shape[0], states.shape[1])
    precondition(states.rank == 2 && d == stateSize, "decode: states \(states.shape), need [N, \(stateSize)]")
    precondition(appearanceIndex.count == n, "decode: \(appearanceIndex.count) appearance indices for \(n) states")
    let s = imageSize
    let out = Tensor(zeros: [n, 3, s, s])
    var i = 0
    while i < n {
      let j = Swift.min(n, i + batch)
      let chunk = states.slice(axis: 0, start: i, end: j)
      let chosen = appearanceIndex[i..<j]
      let vectors = Self.gather(source.vectors, chosen)
      let references = source.references.map { Self.gather($0, chosen) }
      let referencePose = source.referencePose.map { (Self.gather($0.mu, chosen), Self.gather($0.covariance, chosen)) }
      let (mu, cov) = PoseState.decode(chunk, floor: floor)
      let image = withNoGrad {
        model.decode(mu: mu, covariance: cov, appearance: vectors, reference: references, referencePose: referencePose).image
      }
      (out.data + i * 3 * s * s).update(from: image.data, count: image.count)
      i = j
    }
    return out
  }
}
