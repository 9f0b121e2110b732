// ScoredSource: which sequences `lmlab predict` and `lmlab interpolate` read and score, and
// whether they are held out from training. The source is the run's dataset, or a separate one
// (`--test-data PATH`, else the config's `test_data_path`: BAIR ships one file per split). The
// split is `--split` (default `test`; with a separate source, every sequence of it): a split the
// source does not define is an error naming the source and its splits (Datasets' VideoSource).
// On a source without splits, `--split all` is the way to score anyway; the run then records
// `held_out: false`, prints the note, and the report repeats it.
import Datasets
import Foundation
import Registry

struct ScoredSource {
  let source: VideoSource
  /// The split read (resolved: `test`, `all`, or `--split`'s).
  let split: String
  let sequences: [Int]
  /// No scored sequence is one the model trained on.
  let heldOut: Bool
  /// Said when nothing is held out.
  let note: String?

  /// The param a frame run records whether its scores are held out in (`true` / `false`).
  static let heldOutParam = "held_out"
  static let trainingNote = "no held-out split: scores are on training sequences"

  /// Opens the source `target` and the run's config `c` name and picks the split's sequences.
  static func open(_ target: FrameRunTarget, config c: ExperimentConfig) throws -> ScoredSource {
    let split = target.resolvedSplit(c)
    // A separate source is all that is read: the training data need not be there any more.
    if let path = target.resolvedTestData(c), !sameSource(path, c.data.datasetPath) {
      let source = try DataConfig.open(path: path)
      let seqs = try sequences(source, split)
      return ScoredSource(source: source, split: split, sequences: seqs, heldOut: true, note: nil)
    }
    let training = try TrainSetup.dataset(c)
    let seqs = try sequences(training, split)
    // What the model trained on: the train split, or every sequence without splits.
    let trained = Set((try? TrainSetup.trainSequences(training)) ?? Array(0..<training.sequenceCount))
    let overlap = seqs.filter { trained.contains($0) }.count
    guard overlap > 0 else { return ScoredSource(source: training, split: split, sequences: seqs, heldOut: true, note: nil) }
    let why =
      training.splits == nil
      ? "\(training.location) defines no splits, so training read every sequence; \(training.splitHint), or score a separate source with --test-data"
      : "split '\(split)' holds \(overlap) of the \(trained.count) sequences of the `\(SplitName.train)` split"
    return ScoredSource(source: training, split: split, sequences: seqs, heldOut: false, note: "\(trainingNote) (\(why))")
  }

  /// The params a frame run adds: whether its scores are held out.
  var params: [ParamEntry] { [.string(Self.heldOutParam, heldOut ? "true" : "false")] }

  private static func sequences(_ source: VideoSource, _ split: String) throws -> [Int] {
    let s = try source.sequences(inSplit: split)
    guard !s.isEmpty else { throw DynamicsSetupError.value("--split \(split): no sequences in \(source.location)") }
    return s
  }

  /// The same file or folder (a test path naming the training data is not a separate source).
  private static func sameSource(_ a: String, _ b: String) -> Bool {
    guard !b.isEmpty else { return false }
    let ra = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
    let rb = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    return ra == rb
  }
}

extension FrameRunTarget {
  /// `testData`, else the config's `test_data_path` (nil: none).
  func resolvedTestData(_ c: ExperimentConfig) -> String? {
    testData ?? (c.data.testDataPath.isEmpty ? nil : c.data.testDataPath)
  }

  /// `split`, else `all` of a separate test source, else `test`.
  func resolvedSplit(_ c: ExperimentConfig) -> String {
    split ?? (resolvedTestData(c) != nil ? SplitName.all : SplitName.test)
  }
}
