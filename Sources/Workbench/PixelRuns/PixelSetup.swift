// PixelSetup: what every pixel-predictor command checks and builds before any work starts — the
// predictor of a config (seeded by the run's seed), the checks a config must pass before a run
// is created (a frame size the two stride-2 stages divide, windows that fit the training
// sequences), and a finished pixel run with its checkpoint and recorded config.
import Datasets
import Foundation
import Landmarks
import PixelDynamics
import Registry
import TensorEngine

public enum PixelSetup {
  public static let runKind = "train-pixel"

  /// The pixel predictor of a config (seeded by `seed`).
  public static func makePredictor(_ c: ExperimentConfig) -> PixelPredictor {
    var rng = SeededRNG(seed: UInt64(c.run.seed) ^ 0x7069_7865_6c73)
    let p = c.pixel
    return PixelPredictor(
      imageSize: c.model.imgSize, channels: p.pixelChannels, kernels: p.pixelKernels, kernelSize: p.pixelKernelSize, rng: &rng)
  }

  /// The trainer of a config: its predictor and, when `pixel_perceptual_weight` > 0, the perceptual
  /// term over `perceptual_net` (`warn` hears a loud random-weights fallback).
  static func makeTrainer(_ c: ExperimentConfig, warn: (String) -> Void) throws -> PixelTrainer {
    var term: PixelTrainer.PerceptualTerm?
    if c.pixel.pixelPerceptualWeight > 0 {
      let t = c.trainer
      let loss = try PerceptualLoss.named(
        t.perceptualNet, vggWeights: t.vggWeights, reducedWeights: t.reducedW, seed: c.run.seed, warn: warn)
      term = PixelTrainer.PerceptualTerm(series: loss.seriesName) { loss($0, $1) }
    }
    return try PixelTrainer(
      model: makePredictor(c), config: c.pixel, nInputs: c.dynamics.nInputs, nFuture: c.dynamics.nFuture, perceptual: term)
  }

  /// Checks a loaded pixel config against the training data: nothing is written when this throws.
  static func check(_ loaded: LoadedConfig) throws {
    let c = loaded.config
    let at = loaded.sources.last ?? "config"
    // img_size's own rule (a multiple of 16) implies this today; kept so a looser rule there
    // ends in this line, not in the predictor's precondition.
    guard c.model.imgSize % 4 == 0 else {
      throw DynamicsSetupError.value(
        "\(at): img_size is \(c.model.imgSize); the pixel predictor's two stride-2 stages need a multiple of 4")
    }
    if c.pixel.pixelPerceptualWeight > 0 && c.trainer.perceptualNet == "none" {
      throw DynamicsSetupError.value(
        "\(at): pixel_perceptual_weight is \(c.pixel.pixelPerceptualWeight) but perceptual_net is none; "
          + "name the network (effnet-lite0 or vgg19) or set pixel_perceptual_weight: 0")
    }
    try DynamicsSetup.checkWindowsFit(c)
  }

  /// A finished pixel run: its latest checkpoint and recorded config. Any other kind is refused,
  /// naming it and what to give instead.
  static func finishedRun(_ id: Int64, registry: Registry) throws -> (checkpoint: String, config: ExperimentConfig) {
    let run: Run
    do { run = try registry.run(id) } catch { throw DynamicsSetupError.run("--run \(id): \(error)") }
    guard run.kind == runKind else {
      throw DynamicsSetupError.run(
        "--method pixel needs a '\(runKind)' run (`lmlab train pixel`); run \(id) is a '\(run.kind)' run")
    }
    let (_, ckpt, c) = try DynamicsSetup.finishedRun(id, kind: runKind, registry: registry, role: "pixel run")
    return (ckpt, c)
  }

  /// The trained predictor of a checkpoint, in eval mode.
  static func loadPredictor(_ c: ExperimentConfig, checkpoint: String) throws -> PixelPredictor {
    let m = makePredictor(c)
    try m.load(from: checkpoint)
    m.eval()
    return m
  }
}
