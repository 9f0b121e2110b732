// The tiny landmarks run the pipeline tests build on (3 steps, a few seconds), in one place.
import Foundation
import Registry
import XCTest

@testable import Workbench

enum TinyRuns {
  /// Training options that print nothing.
  static func quiet() -> TrainOptions {
    var o = TrainOptions()
    o.progressStyle = .silent
    o.print = { _ in }
    return o
  }

  /// 32 px, K 3, slim widths, 10 synthetic sequences of 12 frames, 3 steps, seed 2; run folders
  /// under `savePath` (nil: the registry's default).
  static func landmarkSets(savePath: String? = nil) -> [String] {
    [
      "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]", "spade_hidden=4",
      "batch_size=2", "use_vgg=false", "mse_lambda=1", "synth_sequences=10", "synth_frames=12", "temporal_min_gap=1",
      "temporal_max_gap=4", "max_steps=3", "checkpoint_every=3", "sample_every=3", "probe_every=0", "probe_frames=16",
      "seed=2",
    ] + (savePath.map { ["save_path=\($0)"] } ?? [])
  }

  /// A finished landmarks run of `landmarkSets(savePath:)`.
  static func landmarksRun(_ registry: Registry, savePath: String? = nil, file: StaticString = #filePath, line: UInt = #line)
    throws -> Int64
  {
    let s = try LandmarkTraining.start(
      try ConfigLoader.load(file: nil, overrides: landmarkSets(savePath: savePath)), registry: registry, options: quiet())
    XCTAssertEqual(s.status, .finished, file: file, line: line)
    return s.runId
  }
}
