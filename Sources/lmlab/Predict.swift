// `lmlab predict` and `lmlab interpolate`: predicted or interpolated frames of a split's
// sequences, written as frame folders, scored and registered (Workbench/Dynamics).
import ArgumentParser
import Foundation
import Workbench

extension PredictionMethod: ExpressibleByArgument {}

/// Options both commands share: the split read, the output folder, LPIPS weights, experiment.
struct FrameRunOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Split whose sequences are used (default: test; with --test-data, every sequence of it). A split the data does not define is an error; 'all' is every sequence.",
      valueName: "name"))
  var split: String?
  @Option(help: "Score on this frame folder or videos .h5 instead of the run's data (default: its config's test_data_path).")
  var testData: String?
  @Option(help: "Output folder (frames/, truth/, unscored/, scores.csv): a new or empty folder.") var out: String
  @Flag(help: "Replace --out even when it holds files (a run that recorded them loses its frames).") var force = false
  @Option(help: "LPIPS weights file or folder (default: $LMLAB_LPIPS_WEIGHTS, else weights/ in the working folder; none found: LPIPS is not scored, a note says so; a path given must hold them; none: not scored).") var lpipsWeights: String?
  @Option(help: "Experiment to file the run under.") var experiment: String?

  var target: FrameRunTarget {
    var t = FrameRunTarget(out: out)
    t.split = split
    t.testData = testData
    t.lpipsWeights = lpipsWeights
    t.experiment = experiment
    t.force = force
    return t
  }
}

struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Predict future frames from context frames (LSTM, a baseline or the pixel predictor), score and register them.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var threadOptions: ThreadOptions

  @Option(name: .customLong("run"), help: "A finished dynamics run (any method but pixel), landmarks run (baselines only) or pixel run (--method pixel).")
  var runID: String
  @Option(help: "lstm, copy-last, hold-state, constant-velocity, reconstruction or pixel.") var method: PredictionMethod = .lstm
  @Option(help: "Context frames (default: the run's n_context).") var context: Int?
  @Option(help: "Frames to predict (default: the run's n_rollout); frames past a sequence's end go to unscored/.")
  var horizon: Int?
  @Option(help: "First context frame in each sequence.") var start = 0
  @OptionGroup var output: FrameRunOptions

  func run() throws {
    try threadOptions.apply()
    let registry = try global.openRegistry()
    var r = PredictRequest(runId: try parseRunID(runID), out: output.out)
    r.target = output.target
    r.method = method
    r.context = context
    r.horizon = horizon
    r.start = start
    let s = try Prediction.run(r, registry: registry)
    printSummary(s, what: "predict \(method.rawValue)", out: output.out)
  }
}

struct Interpolate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Interpolate between two frames of each sequence in landmark space (or cross-fade pixels), score and register.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var threadOptions: ThreadOptions

  @Option(name: .customLong("run"), help: "A finished landmarks run (or a dynamics run: its landmarks model is used).")
  var runID: String
  @Option(help: "cholesky, covariance, axes, wasserstein or crossfade.") var scheme = "cholesky"
  @Option(help: "First frame (position in the sequence; default 0).") var from: Int?
  @Option(help: "Last frame (default: the sequence's last).") var to: Int?
  @Option(help: "Frames to continue past --to at α > 1 (cholesky, axes, wasserstein).") var extrapolate = 0
  @OptionGroup var output: FrameRunOptions

  func validate() throws {
    guard InterpolationMethod(name: scheme) != nil else {
      throw ValidationError("--scheme \(scheme): expected one of \(InterpolationMethod.allNames.joined(separator: ", "))")
    }
  }

  func run() throws {
    try threadOptions.apply()
    let registry = try global.openRegistry()
    var r = InterpolateRequest(runId: try parseRunID(runID), out: output.out)
    r.target = output.target
    r.method = InterpolationMethod(name: scheme)!
    r.from = from
    r.to = to
    r.extrapolate = extrapolate
    let s = try InterpolationRun.run(r, registry: registry)
    printSummary(s, what: "interpolate \(scheme)", out: output.out)
  }
}

func printSummary(_ s: PredictSummary, what: String, out: String) {
  for line in s.lines(what: what, out: out) { print(line) }
}
