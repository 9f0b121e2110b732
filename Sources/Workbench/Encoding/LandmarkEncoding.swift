// LandmarkEncoding: `lmlab encode` — a trained model (from a checkpoint file or a run's latest
// checkpoint) encodes every frame of a dataset — a frame folder or an HDF5 video array, as
// wherever a dataset is read — or of one split of it, in batches without autograd, and writes
// the DESIGN §4 landmark file (mu [N,K,2], covariance [N,K,2,2], sequence, frame).
import ConfigSchema
import Datasets
import Foundation
import Landmarks
import Registry
import SafeIO
import Storage
import TensorEngine

public enum LandmarkEncoding {
  /// The model of a checkpoint, built from its `config` attribute and loaded strictly. The config
  /// is held to the ranges a YAML config is (a crafted `n_landmarks: 1000000` would otherwise ask
  /// for terabytes), and a tensor holding NaN or infinite values is refused.
  public static func loadModel(checkpoint path: String) throws -> LandmarkModel {
    let ckpt = try Storage.Checkpoint.read(from: path)
    let config: ModelConfig
    do { config = try ModelConfig(json: ckpt.config) } catch let e as ConfigJSONError {
      throw InputRefused("\(path): attribute `config`: \(e.detail)")
    }
    // Strict loading needs every tensor of the model, of its shape: a config describing a model
    // far larger than the tensors could fill is refused before the model is built (a small
    // mismatch is left to the strict loader, which names the tensor).
    let held = ckpt.tensors.reduce(0) { $0 + $1.1.count }
    guard config.stateValueCount <= Swift.max(held, 16 << 20) else {
      throw InputRefused(
        "\(path): attribute `config` describes a model of \(config.stateValueCount) values, the checkpoint's tensors hold \(held): config and tensors do not match")
    }
    var rng = SeededRNG(seed: 0)
    let model = try LandmarkModel(config: config, rng: &rng)
    try model.load(ckpt)
    model.eval()
    return model
  }

  /// The latest checkpoint recorded for run `id`.
  public static func latestCheckpoint(runId id: Int64, registry: Registry) throws -> String {
    guard let path = try registry.detail(id).checkpoints.max(by: { $0.step < $1.step })?.path else {
      throw TrainError.noCheckpoint(runId: id)
    }
    return path
  }

  public struct Summary {
    public var frames: Int
    public var landmarks: Int
    public var seconds: Double
  }

  /// Encodes all frames of `framesDir` (a frame folder or video array; of split `split` when
  /// given) with `model` (frames resized to its img_size) and writes `out`. `progress` gets
  /// (frames done, total).
  public static func encode(
    model: LandmarkModel, framesDir: String, split: String? = nil, out: String, batch: Int = 32,
    progress: ((Int, Int) -> Void)? = nil
  ) throws -> Summary {
    let start = Date()
    let data = try DataConfig.open(path: framesDir)
    let s = model.config.imgSize
    var items: [(Int, Int)] = []
    for q in try data.sequences(inSplit: split) { for t in 0..<data.frameCount(sequence: q) { items.append((q, t)) } }
    guard !items.isEmpty else { throw TrainError.setup("\(framesDir): no frames to encode") }
    let k = model.config.nLandmarks
    var mu: [Float] = []
    var cov: [Float] = []
    mu.reserveCapacity(items.count * k * 2)
    cov.reserveCapacity(items.count * k * 4)
    var i = 0
    while i < items.count {
      let j = min(items.count, i + batch)
      let images = Tensor(zeros: [j - i, 3, s, s])
      for (b, (q, t)) in items[i..<j].enumerated() {
        try data.frame(sequence: q, index: t, size: s).writeNormalized(into: images.data + b * 3 * s * s)
      }
      let g = withNoGrad { model.encode(images) }
      mu += g.mu.values
      cov += g.covariance.values
      i = j
      progress?(i, items.count)
    }
    let n = items.count
    let file = try LandmarkFile(
      mu: Tensor(mu, shape: [n, k, 2]), covariance: Tensor(cov, shape: [n, k, 2, 2]),
      sequence: items.map { data.sequenceNames[$0.0] },
      frame: items.map { Int64(data.frameNumber(sequence: $0.0, index: $0.1)) })
    try file.write(to: out)
    return Summary(frames: n, landmarks: k, seconds: Date().timeIntervalSince(start))
  }
}
