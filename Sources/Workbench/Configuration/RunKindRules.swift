// Which config sections' cross-key rules a run kind obeys. Every key is range-checked for every
// run (a value out of range is wrong anywhere), but a rule spanning keys guards the component that
// reads them: the landmark trainer's "something must train the decoder" means nothing to a pixel
// predictor, which reads only `perceptual_net`, `vgg_weights` and `reduced_w` of that section.
import Datasets
import EvalMetrics
import PixelDynamics

public enum RunKindRules {
  /// The sections whose rules `kind` obeys; nil: every section's (landmark runs, queued runs of
  /// any kind, sweeps, a config merely listed).
  public static func sections(for kind: String?) -> Set<String>? {
    switch kind {
    case PixelSetup.runKind?:
      return [DataConfig.sectionName, RunConfig.sectionName, PixelConfig.sectionName, EvalConfig.sectionName]
    default: return nil
    }
  }
}
