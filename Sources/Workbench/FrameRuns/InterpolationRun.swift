// InterpolationRun: `lmlab interpolate`. For each sequence of a split, the landmark model
// encodes frames F and G; the frames between are the states of one interpolation scheme
// (Dynamics' InterpolationScheme) decoded with the appearance of frame F, or the pixel
// cross-fade of F and G. With `extrapolate` E > 0, E more frames continue past G at α > 1
// (frames G + 1 ... G + E; schemes that extrapolate only). Frames strictly between F and G (and
// past G; never G itself) are written,
// scored against the true frames and registered (FrameRunOutput), with the landmark error
// against the encoding of the true frames for the state schemes. Default: first to last frame
// of each sequence, as the report's Fig. 6.
import Datasets
import Dynamics
import Foundation
import Landmarks
import Registry
import TensorEngine

public enum InterpolationMethod: Sendable, Equatable {
  case scheme(InterpolationScheme)
  case crossfade

  public init?(name: String) {
    if name == "crossfade" {
      self = .crossfade
    } else if let s = InterpolationScheme(rawValue: name) {
      self = .scheme(s)
    } else {
      return nil
    }
  }

  public var name: String {
    switch self {
    case .crossfade: return "crossfade"
    case .scheme(let s): return s.rawValue
    }
  }

  public static var allNames: [String] { InterpolationScheme.allCases.map(\.rawValue) + ["crossfade"] }
}

public struct InterpolateRequest: Sendable {
  public var runId: Int64
  public var method: InterpolationMethod = .scheme(.cholesky)
  /// Frame positions in each sequence; nil: first and last.
  public var from: Int?
  public var to: Int?
  public var extrapolate = 0
  public var target: FrameRunTarget

  public init(runId: Int64, out: String) {
    self.runId = runId
    target = FrameRunTarget(out: out)
  }
}

public enum InterpolationRun {
  public static let runKind = "interpolate"

  /// The registry run an interpolation of `r` records (also how the demo finds one already made).
  static func runSpec(_ r: InterpolateRequest, config c: ExperimentConfig) -> RunSpec {
    outputRunSpec(
      name: "interpolate-\(r.method.name)", kind: runKind, parent: r.runId, config: c,
      extra: [("interpolate_method", r.method.name), ("interpolate_from", r.from.map(String.init) ?? "first"),
        ("interpolate_to", r.to.map(String.init) ?? "last"), ("interpolate_extrapolate", "\(r.extrapolate)"),
        ("interpolate_split", r.target.resolvedSplit(c))] + (r.target.resolvedTestData(c).map { [("interpolate_data", $0)] } ?? []),
      experiment: r.target.experiment)
  }

  public static func run(_ r: InterpolateRequest, registry: Registry, print out: (String) -> Void = { Swift.print($0) }) throws
    -> PredictSummary
  {
    let models = try DynamicsModels.resolve(r.runId, registry: registry)
    let c = models.config
    if let f = r.from, f < 0 { throw DynamicsSetupError.value("--from must be ≥ 0, got \(f)") }
    if let f = r.from, let g = r.to, f >= g { throw DynamicsSetupError.value("--from \(f) is not before --to \(g)") }
    guard r.extrapolate >= 0 else { throw DynamicsSetupError.value("--extrapolate must be ≥ 0, got \(r.extrapolate)") }
    if r.extrapolate > 0, case .scheme(let s) = r.method, !s.extrapolates {
      throw DynamicsSetupError.value("--extrapolate \(r.extrapolate): the \(s.rawValue) scheme does not extrapolate past α = 1")
    }
    if r.extrapolate > 0 && r.method == .crossfade {
      throw DynamicsSetupError.value("--extrapolate \(r.extrapolate): a pixel cross-fade does not extrapolate")
    }
    let scored = try ScoredSource.open(r.target, config: c)
    let (source, sequences) = (scored.source, scored.sequences)
    for q in sequences {
      let t = source.frameCount(sequence: q), f = r.from ?? 0, g = r.to ?? t - 1
      guard g < t else {
        throw DynamicsSetupError.value("--to \(g) is past the end of sequence \(source.sequenceNames[q]) (\(t) frames)")
      }
      guard f < g - 1 else {
        throw DynamicsSetupError.value("--from \(f) --to \(g) in sequence \(source.sequenceNames[q]): no frame lies between them")
      }
    }
    try FrameRunOutput.checkFree(r.target, command: "interpolate")
    let (metrics, lpipsNote) = try dynamicsMetrics(c.eval, lpipsWeights: r.target.lpipsWeights)
    let decoder = try models.decoder()

    var spec = runSpec(r, config: c)
    spec.params += scored.params
    let s = decoder.imageSize
    return try FrameRunOutput.record(
      spec, registry: registry, target: r.target, command: "interpolate", method: r.method.name, metrics: metrics,
      notes: [scored.note, lpipsNote].compactMap { $0 },
      print: out
    ) { output in
      let progress = ProgressReporter(label: "interpolate \(r.method.name)", total: sequences.count)
      progress.unit = "sequence"
      for (done, q) in sequences.enumerated() {
        let name = source.sequenceNames[q], t = source.frameCount(sequence: q)
        let f = r.from ?? 0, g = r.to ?? t - 1
        let span = g - f
        let extra = Swift.min(r.extrapolate, t - 1 - g)  // frames past G that have ground truth
        if extra < r.extrapolate { output.notes.append("\(name): extrapolated \(extra) of \(r.extrapolate) frames (the sequence ends)") }
        // Offsets from F: the frames strictly between F and G, then G + 1 ... G + extra (α > 1);
        // G itself (α = 1, its own encoding) is neither written nor scored.
        let offsets = Array(1..<span) + Array((span + 1)..<(span + 1 + extra))
        let alphas = offsets.map { Double($0) / Double(span) }
        let between = try source.frames(sequence: q, from: f + 1, count: span - 1, size: s)
        let truth =
          extra == 0
          ? between
          : Tensor(
            between.values + (try source.frames(sequence: q, from: g + 1, count: extra, size: s)).values,
            shape: [alphas.count, 3, s, s])  // truth[j] is frame f + offsets[j]
        let first = try source.frames(sequence: q, from: f, count: 1, size: s)
        let last = try source.frames(sequence: q, from: g, count: 1, size: s)
        let frames: Tensor
        var errors: [Double]?
        switch r.method {
        case .crossfade:
          frames = PixelCrossfade.frames(from: first, to: last, alphas: alphas).reshaped([alphas.count, 3, s, s])
        case .scheme(let scheme):
          let a = decoder.encode(first), b = decoder.encode(last)
          let states = try scheme.states(from: a.reshaped([a.count]), to: b.reshaped([b.count]), alphas: alphas, floor: c.dynamics.choleskyFloor)
          output.check(states, floor: c.dynamics.choleskyFloor)
          frames = decoder.decode(
            states, appearance: decoder.appearance(of: first), appearanceIndex: Array(repeating: 0, count: alphas.count))
          output.observeRange(frames)
          errors = PoseState.meanErrorPixels(states, decoder.encode(truth), imageSize: s)
        }
        for j in 0..<alphas.count {
          let frame = source.frameNumber(sequence: q, index: f + offsets[j])
          try output.write(frames, j, kind: "frames", sequence: name, frame: frame)
          try output.write(truth, j, kind: "truth", sequence: name, frame: frame)
          output.scored(sequence: name, frame: frame, index: offsets[j], landmarkError: errors?[j])
        }
        progress.update(step: done + 1)
      }
      progress.finish()
    }
  }
}
