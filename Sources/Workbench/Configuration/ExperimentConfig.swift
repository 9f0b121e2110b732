// The experiment config: the composition of the config sections the modules declare beside the
// code that reads them (DESIGN §5). Every key — its name, type, range, default, help and reader —
// comes from those sections; YAML loading, `--set`, validation, registry params, the canonical
// JSON, sweeps and `lmlab config keys` all go through `ConfigKeys.all`, derived here.
import ConfigSchema
import Datasets
import Dynamics
import EvalMetrics
import Foundation
import Landmarks
import PixelDynamics

public struct ExperimentConfig: Equatable, Sendable {
  public var data = DataConfig()
  public var model = ModelConfig()
  public var pairs = PairSamplerConfig()
  public var trainer = TrainerConfig()
  public var run = RunConfig()
  public var dynamics = DynamicsConfig()
  public var pixel = PixelConfig()
  public var eval = EvalConfig()

  public init() {}

  /// Every broken cross-key rule of the sections `sections` names (nil: all of them;
  /// RunKindRules gives a run kind's).
  public func problems(in sections: Set<String>? = nil) -> [String] {
    let bySection: [(String, () -> [String])] = [
      (DataConfig.sectionName, data.problems), (ModelConfig.sectionName, model.problems),
      (PairSamplerConfig.sectionName, pairs.problems), (TrainerConfig.sectionName, trainer.problems),
      (RunConfig.sectionName, run.problems), (DynamicsConfig.sectionName, dynamics.problems),
      (PixelConfig.sectionName, pixel.problems), (EvalConfig.sectionName, eval.problems),
    ]
    return bySection.filter { sections?.contains($0.0) ?? true }.flatMap { $0.1() }
  }
}

/// A key of the experiment config.
public typealias ConfigKey = ConfigField<ExperimentConfig>

public enum ConfigKeys {
  /// Every key, section by section.
  public static let all: [ConfigKey] =
    DataConfig.fields(at: \.data) + ModelConfig.fields(at: \.model) + PairSamplerConfig.fields(at: \.pairs)
    + TrainerConfig.fields(at: \.trainer) + RunConfig.fields(at: \.run) + DynamicsConfig.fields(at: \.dynamics)
    + PixelConfig.fields(at: \.pixel)
    + EvalConfig.fields(at: \.eval)

  /// Section names in order; YAML files may group keys under them (flat files work too), and
  /// under the group names earlier versions used.
  public static let sections: [String] = {
    var seen: [String] = []
    for k in all where !seen.contains(k.section) { seen.append(k.section) }
    return seen
  }()
  static let legacyGroups: Set<String> = ["loss", "optim"]
  static func isGroup(_ name: String) -> Bool { sections.contains(name) || legacyGroups.contains(name) }

  /// Other spellings accepted for a key.
  public static let aliases: [String: String] = ["lr": "learning_rate", "K": "n_landmarks"]

  /// Keys that were removed, and what replaced each: a config naming one is refused with this.
  public static let removed: [String: String] = [
    "resume_ckpt": "`lmlab runs resume ID` (a run continues from its own latest checkpoint)",
    "val_frac": "probe_frames (frames per split the keypoint probe encodes)",
    "save_freq": "checkpoint_every (in steps)",
    "val_freq": "probe_every (landmark runs) or dyn_checkpoint_every (dynamics runs), in steps",
  ]

  /// Keys of the reference's config files that have no meaning here; accepted and ignored.
  public static let ignoredReferenceKeys: Set<String> = [
    "model", "use_DDP", "local_rank", "num_workers", "torch_home", "resume_ckpt_D", "resume_ckpt_opt_G",
    "resume_ckpt_opt_D", "use_fg_bg_mask", "low_res_mask", "color_jitter_targets",
  ]

  static let byName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

  public static func key(_ name: String) -> ConfigKey? { byName[aliases[name] ?? name] }
}
