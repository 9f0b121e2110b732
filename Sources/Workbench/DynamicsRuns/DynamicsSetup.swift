// DynamicsSetup: what every dynamics command checks and loads before any work starts — the
// landmark run it builds on (finished, with a checkpoint), the config over that run's config
// (K must agree), the landmark model, the residual LSTM, and per-frame pose states of a
// source's sequences (encoded by the landmark model, cached as a DESIGN §4 landmark file).
import Datasets
import Dynamics
import Foundation
import Landmarks
import Registry
import Storage
import TensorEngine

/// A dynamics command that cannot start, with what to do about it.
public enum DynamicsSetupError: Error, CustomStringConvertible, LocalizedError, Equatable {
  case run(String)
  case value(String)

  public var description: String {
    switch self {
    case .run(let m), .value(let m): return m
    }
  }
  public var errorDescription: String? { description }
}

public enum DynamicsSetup {
  public static let landmarkKind = LandmarkTraining.runKind
  public static let dynamicsKind = "train-dynamics"

  /// A finished run of `kind` with its latest checkpoint and recorded config.
  public static func finishedRun(_ id: Int64, kind: String, registry: Registry, role: String) throws
    -> (run: Run, checkpoint: String, config: ExperimentConfig)
  {
    let run: Run
    do { run = try registry.run(id) } catch { throw DynamicsSetupError.run("\(role) \(id): \(error)") }
    guard run.kind == kind else {
      throw DynamicsSetupError.run("run \(id) is a '\(run.kind)' run; \(role) must be a '\(kind)' run")
    }
    guard run.status == .finished else {
      let hint = run.kind == landmarkKind ? " (continue it with `lmlab runs resume \(id)`)" : ""
      throw DynamicsSetupError.run("\(role) \(id) is \(run.status.rawValue), not finished\(hint)")
    }
    let ckpt = try LandmarkEncoding.latestCheckpoint(runId: id, registry: registry)
    guard FileManager.default.fileExists(atPath: ckpt) else {
      throw DynamicsSetupError.run("\(role) \(id): its checkpoint \(ckpt) is missing")
    }
    return (run, ckpt, try ConfigLoader.recorded(run, registry: registry))
  }

  /// The dynamics config: the landmark run's config ← `file` ← `overrides`. The landmark keys
  /// must still describe the landmark model (K, image size).
  public static func loadConfig(file: String?, overrides: [String], landmarkRun id: Int64, landmarkConfig: ExperimentConfig)
    throws -> LoadedConfig
  {
    let loaded = try ConfigLoader.load(
      file: file, overrides: overrides, base: landmarkConfig, baseName: "landmarks run \(id) config")
    try check(loaded, landmarkRun: id, landmarkConfig: landmarkConfig)
    return loaded
  }

  /// The landmark keys of a dynamics config must still describe the landmark model (K, image size).
  static func check(_ loaded: LoadedConfig, landmarkRun id: Int64, landmarkConfig: ExperimentConfig) throws {
    let c = loaded.config
    let at = loaded.sources.last ?? "config"
    if c.model.nLandmarks != landmarkConfig.model.nLandmarks {
      throw DynamicsSetupError.value(
        "\(at): n_landmarks is \(c.model.nLandmarks), but landmarks run \(id) has K = \(landmarkConfig.model.nLandmarks) "
          + "(leave n_landmarks out of a dynamics config, or train landmarks with K = \(c.model.nLandmarks))")
    }
    if c.model.imgSize != landmarkConfig.model.imgSize {
      throw DynamicsSetupError.value(
        "\(at): img_size is \(c.model.imgSize), but landmarks run \(id) was trained at \(landmarkConfig.model.imgSize)")
    }
  }

  /// Windows of `n_inputs + n_future` frames must fit in some training sequence (the LSTM's and
  /// the pixel predictor's schedule alike).
  static func checkWindowsFit(_ c: ExperimentConfig) throws {
    let length = c.dynamics.windowLength
    let source = try TrainSetup.dataset(c)
    let train = try TrainSetup.trainSequences(source)
    let longest = train.map { source.frameCount(sequence: $0) }.max() ?? 0
    guard longest >= length else {
      throw DynamicsSetupError.value(
        "n_inputs + n_future = \(length) frames, but the longest training sequence of \(source.location) has \(longest)")
    }
  }

  /// The residual LSTM of a config (seeded by `seed`).
  public static func makeLSTM(_ c: ExperimentConfig) -> ResidualLSTM {
    var rng = SeededRNG(seed: UInt64(c.run.seed) ^ 0x6479_6e61_6d69_6373)
    let d = c.dynamics
    return ResidualLSTM(
      stateSize: c.model.nLandmarks * PoseState.width, hidden: d.lstmHidden, layers: d.lstmLayers,
      residualScale: Float(d.dynResidualScale), zeroOutput: d.zeroOutputInit, rng: &rng)
  }
}

/// Pose states of every frame of some sequences: `states[i]` is [T_i, D] for `sequences[i]`.
public struct StateSequences {
  public var sequences: [Int]
  public var names: [String]
  public var states: [Tensor]

  public var stateSize: Int { states.first?.shape[1] ?? 0 }

  public func states(ofSequence q: Int) -> Tensor? { sequences.firstIndex(of: q).map { states[$0] } }

  /// Encodes every frame of `sequences` in batches without autograd; `progress` gets frames done.
  public static func encode(
    _ decoder: StateDecoder, source: VideoSource, sequences: [Int], batch: Int = 64, progress: ((Int) -> Void)? = nil
  ) throws -> StateSequences {
    var done = 0
    var out: [Tensor] = []
    for q in sequences {
      let t = source.frameCount(sequence: q)
      var parts: [Tensor] = []
      var i = 0
      while i < t {
        let n = Swift.min(batch, t - i)
        parts.append(decoder.encode(try source.frames(sequence: q, from: i, count: n, size: decoder.imageSize)))
        i += n
        done += n
        progress?(done)
      }
      out.append(Tensor.concat(parts, axis: 0))
    }
    return StateSequences(sequences: sequences, names: sequences.map { source.sequenceNames[$0] }, states: out)
  }

  /// As a DESIGN §4 landmark file (μ, Σ = L·Lᵀ with the floor, sequence names, frame positions).
  public func write(to path: String, floor: Double) throws {
    let all = Tensor.concat(states, axis: 0)
    let (mu, cov) = PoseState.decode(all, floor: floor)
    var seq: [String] = [], frame: [Int64] = []
    for (i, s) in states.enumerated() {
      for t in 0..<s.shape[0] {
        seq.append(names[i])
        frame.append(Int64(t))
      }
    }
    try LandmarkFile(mu: mu, covariance: cov, sequence: seq, frame: frame).write(to: path)
  }

  /// Reads a file written by `write` for the same `sequences` of `source`.
  public static func read(from path: String, source: VideoSource, sequences: [Int]) throws -> StateSequences {
    let file = try LandmarkFile.read(from: path)
    let all = PoseState.encode(mu: file.mu, covariance: file.covariance)
    let d = all.shape[1]
    var out: [Tensor] = []
    var row = 0
    for q in sequences {
      let t = source.frameCount(sequence: q)
      guard row + t <= file.count, file.sequence[row] == source.sequenceNames[q] else {
        throw DynamicsSetupError.value("\(path): does not hold the states of sequence \(source.sequenceNames[q]) at row \(row)")
      }
      out.append(all.slice(axis: 0, start: row, end: row + t).reshaped([t, d]))
      row += t
    }
    return StateSequences(sequences: sequences, names: sequences.map { source.sequenceNames[$0] }, states: out)
  }
}
