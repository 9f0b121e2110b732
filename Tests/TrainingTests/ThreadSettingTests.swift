// The thread count (issue 28 item 3): `--threads` over $LMLAB_THREADS over the cores, an
// invalid value named; a run records it as the param `engine_threads`, outside its config (same
// config hash at any count), and a tiny landmarks run gives the same losses at 1 and 3 threads
// (batch 2: split within samples) within the tolerance of sums in another order; the Slurm
// script gives a worker the cores it asked for.
import Foundation
import Registry
import TensorEngine
import TestSupport
import XCTest

@testable import Workbench

final class ThreadSettingTests: XCTestCase {
  var dir = ""
  var saved = 1

  override func setUpWithError() throws {
    saved = engineThreads
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("threads-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    EngineThreads.apply(saved)
    try? FileManager.default.removeItem(atPath: dir)
  }

  func message(_ body: () throws -> Any) -> String {
    do {
      _ = try body()
      return "no error"
    } catch { return "\(error)" }
  }

  func testFlagThenEnvironmentThenCores() throws {
    let v = ThreadSetting.environmentVariable
    XCTAssertEqual(v, "LMLAB_THREADS")
    XCTAssertEqual(try EngineThreads.resolve(flag: 3, environment: [v: "5"]), 3)
    XCTAssertEqual(try EngineThreads.resolve(flag: nil, environment: [v: "5"]), 5)
    XCTAssertEqual(try EngineThreads.resolve(flag: nil, environment: [v: ""]), EngineThreads.cores)
    XCTAssertEqual(try EngineThreads.resolve(flag: nil, environment: [:]), EngineThreads.cores)
    XCTAssertEqual(
      message { try EngineThreads.resolve(flag: nil, environment: [v: "0"]) },
      "LMLAB_THREADS=0: the thread count must be a whole number ≥ 1")
    XCTAssertEqual(
      message { try EngineThreads.resolve(flag: nil, environment: [v: "two"]) },
      "LMLAB_THREADS=two: the thread count must be a whole number ≥ 1")
    XCTAssertEqual(message { try EngineThreads.resolve(flag: 0, environment: [:]) }, "--threads=0: the thread count must be a whole number ≥ 1")
    XCTAssertEqual(try ThreadSetting.apply(flag: 3, environment: [:]), 3)
    XCTAssertEqual(engineThreads, 3)
    XCTAssertEqual(blasThreads, 3)
  }

  static let tiny = [
    "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]", "spade_hidden=4",
    "batch_size=2", "use_vgg=false", "mse_lambda=1", "temporal_min_gap=1", "temporal_max_gap=4", "max_steps=3",
    "checkpoint_every=3", "sample_every=3", "probe_every=0", "probe_frames=16", "seed=2",
  ]

  func testARunRecordsItsThreadsOutsideItsConfig() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let data = dir + "/data"
    _ = try DataTools.synthesize(sequences: 4, frames: 12, size: 32, seed: 3, to: data)
    var runs: [Int64] = []
    for threads in [1, 3] {
      try ThreadSetting.apply(flag: threads, environment: [:])
      var o = TrainOptions()
      o.progressStyle = .silent
      nonisolated(unsafe) var lines: [String] = []
      o.print = { lines.append($0) }
      let sets = Self.tiny + ["dataset=frames", "dataset_path=\(data)", "save_path=\(dir)/runs"]
      let s = try LandmarkTraining.start(try ConfigLoader.load(file: nil, overrides: sets), registry: registry, options: o)
      XCTAssertEqual(s.status, .finished)
      let p = try registry.params(runId: s.runId).first { $0.key == ThreadSetting.paramKey }
      XCTAssertEqual(p?.number, Double(threads), "run at \(threads) threads records \(String(describing: p))")
      XCTAssertTrue(lines.contains { $0.hasSuffix("; \(threads) threads") }, "the run's first line says its threads: \(lines)")
      runs.append(s.runId)
    }
    let (a, b) = (try registry.run(runs[0]), try registry.run(runs[1]))
    XCTAssertEqual(a.configHash, b.configHash, "the thread count is not part of the config")
    XCTAssertFalse(a.configJSON.contains("engine_threads"))
    let names = try registry.summaries(runId: runs[0]).map(\.name).filter { $0.hasPrefix("loss") }
    XCTAssertFalse(names.isEmpty)
    for name in names {
      let (s1, s3) = (try registry.series(runId: runs[0], name: name), try registry.series(runId: runs[1], name: name))
      XCTAssertEqual(s1.count, 3, name)
      assertClose(s3.map(\.value), s1.map(\.value), .scaled(1e-4), "\(name) at 3 threads against 1")
    }
  }

  func testSlurmTasksRunTheThreadsTheyAskFor() {
    let a = SlurmArray(
      sweep: "7", sweepName: "s", tasks: 2, partition: nil, time: nil, cpusPerTask: 4, executable: "/bin/lmlab",
      registryPath: "/r.sqlite", logDir: dir)
    XCTAssertTrue(a.script.contains("#SBATCH --cpus-per-task=4"), a.script)
    XCTAssertTrue(a.script.contains("export LMLAB_THREADS=${SLURM_CPUS_PER_TASK:-4}"), a.script)
    XCTAssertEqual(SweepRequest(specPath: "x", registryPath: "r", executable: "e").cpusPerTask, 2)
  }
}
