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

  /// Appearance vectors of images [N, 3, S, S] in [-1, 1]: [N, K, C].
  public func appearance(of images: Tensor) -> Tensor {
    withNoGrad { model.appearance(of: images).vectors }
  }

  /// Frames [N, 3, S, S] (the generator's output range, nominally [-1, 1]) of states [N, D],
  /// each with appearance row `appearanceIndex[i]` of `appearance` [A, K, C].
  public func decode(_ states: Tensor, appearance: Tensor, appearanceIndex: [Int]) -> Tensor {
    let (n, d) = (states.shape[0], states.shape[1])
    precondition(states.rank == 2 && d == stateSize, "decode: states \(states.shape), need [N, \(stateSize)]")
    precondition(appearanceIndex.count == n, "decode: \(appearanceIndex.count) appearance indices for \(n) states")
    let (k, c) = (appearance.shape[1], appearance.shape[2])
    let s = imageSize
    let out = Tensor(zeros: [n, 3, s, s])
    var i = 0
    while i < n {
      let j = Swift.min(n, i + batch)
      let chunk = states.slice(axis: 0, start: i, end: j)
      let vectors = Tensor(zeros: [j - i, k, c])
      for r in i..<j {
        (vectors.data + (r - i) * k * c).update(from: appearance.data + appearanceIndex[r] * k * c, count: k * c)
      }
      let (mu, cov) = PoseState.decode(chunk, floor: floor)
      let image = withNoGrad { model.decode(mu: mu, covariance: cov, appearance: vectors).image }
      (out.data + i * 3 * s * s).update(from: image.data, count: image.count)
      i = j
    }
    return out
  }
}
