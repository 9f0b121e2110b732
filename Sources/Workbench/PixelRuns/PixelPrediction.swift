// PixelPrediction: `lmlab predict --method pixel --run ID`. The pixel run's config gives the
// data, the split and the context / horizon defaults (n_context / n_rollout); the predictor
// conditions on the context frames of each sequence and rolls out `horizon` frames, which are
// written, scored and registered as every other method's (FrameRunOutput: frames/, truth/,
// unscored/, scores.csv, frame scores, per-index series; no landmark error: there are no states).
import Datasets
import Foundation
import PixelDynamics
import Registry
import TensorEngine

enum PixelPrediction {
  static func run(_ r: PredictRequest, registry: Registry, print out: (String) -> Void) throws -> PredictSummary {
    // Everything is checked before anything is written.
    let (checkpoint, c) = try PixelSetup.finishedRun(r.runId, registry: registry)
    let n = r.context ?? c.dynamics.nContext, m = r.horizon ?? c.dynamics.nRollout
    try Prediction.checkCounts(context: n, horizon: m, start: r.start)
    let scored = try ScoredSource.open(r.target, config: c)
    let (source, sequences) = (scored.source, scored.sequences)
    try Prediction.checkContextFits(scored, context: n, start: r.start)
    try FrameRunOutput.checkFree(r.target, command: "predict")
    let (metrics, lpipsNote) = try dynamicsMetrics(c.eval, lpipsWeights: r.target.lpipsWeights)
    let model = try PixelSetup.loadPredictor(c, checkpoint: checkpoint)

    var spec = Prediction.runSpec(r, config: c, context: n, horizon: m)
    spec.params += scored.params
    let s = model.imageSize
    return try FrameRunOutput.record(
      spec, registry: registry, target: r.target, command: "predict", method: r.method.rawValue, metrics: metrics,
      notes: [scored.note, lpipsNote].compactMap { $0 }, print: out
    ) { output in
      let progress = ProgressReporter(label: "predict pixel", total: sequences.count)
      progress.unit = "sequence"
      for (done, q) in sequences.enumerated() {
        let known = Swift.max(0, Swift.min(m, source.frameCount(sequence: q) - r.start - n))  // future frames with ground truth
        let context = try source.frames(sequence: q, from: r.start, count: n, size: s).reshaped([1, n, 3, s, s])
        let truth = known > 0 ? try source.frames(sequence: q, from: r.start + n, count: known, size: s) : nil
        let frames = model.rollout(context: context, horizon: m).reshaped([m, 3, s, s])
        output.observeRange(frames)
        try Prediction.writeSteps(&output, frames, truth: truth, known: known, source: source, sequence: q, from: r.start + n, errors: nil)
        progress.update(step: done + 1)
      }
      progress.finish()
    }
  }
}
