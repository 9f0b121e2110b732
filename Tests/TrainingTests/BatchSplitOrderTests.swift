// At 2 threads and batches of at least 2 (the demo's), the engine sums in the order it had
// before the thread count was configurable (the batch split of Conv2dKernels.swift): three
// steps of a tiny landmarks run give main's weights and Adam state bit for bit. The checksum
// below was made with main's binary at 6409b7a (engineThreads fixed at 2), on this CI machine's
// kernels (`machine`): `lmlab train landmarks --set <sets> --registry R` with
// OPENBLAS_CORETYPE=<its core>, then `Experiments/tools/checkpoint_checksum.py` on the step-3
// checkpoint. Elsewhere (other OpenBLAS kernels, AVX-512 direct kernels) the bits differ
// anyway: the test skips and says how to make the number there.
import Foundation
import Registry
import Storage
import TestSupport
import XCTest

@testable import TensorEngine
@testable import Workbench

final class BatchSplitOrderTests: XCTestCase {
  /// Main's checksum, and the machine it was made on.
  static let mainChecksum: UInt64 = 8_610_267_366_811_587_945
  static let recordedOn = "Haswell, AVX-512 direct kernels"

  /// The OpenBLAS kernels and the direct kernels' instruction set of this process.
  static var machine: String {
    let avx512 = BLASCore.cpuFlags().contains("avx512f")
    return "\(BLASCore.current), \(avx512 ? "AVX-512" : "AVX2") direct kernels"
  }

  /// TinyRuns' run at batch 4 (two images per worker), 3 steps.
  static let sets = TinyRuns.landmarkSets().map { $0 == "batch_size=2" ? "batch_size=4" : $0 }

  /// FNV-1a (64 bit) over every float of the checkpoint's tensors and optimizer state, datasets
  /// in sorted path order ("optimizer/<name>" for the state), each float's 4 bytes little-endian
  /// (checkpoint_checksum.py computes the same from the file).
  static func checksum(_ c: Storage.Checkpoint) -> UInt64 {
    let all = c.tensors + c.optimizer.map { ("optimizer/" + $0.0, $0.1) }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for (_, t) in all.sorted(by: { $0.0 < $1.0 }) {
      for v in t.values {
        var bits = v.bitPattern
        for _ in 0..<4 {
          h = (h ^ UInt64(bits & 0xff)) &* 0x0000_0100_0000_01b3
          bits >>= 8
        }
      }
    }
    return h
  }

  func testTwoThreadsGiveMainsWeightsBitForBit() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("order-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let (saved, savedWinograd) = (engineThreads, convWinograd)
    defer {
      EngineThreads.apply(saved)
      convWinograd = savedWinograd
      try? FileManager.default.removeItem(atPath: dir)
    }
    EngineThreads.apply(2)
    // The kernel paths main had: Winograd, added since, changes the sums by design (its own
    // error is bounded by WinogradErrorTests); this test guards the split's order.
    convWinograd = .off
    let registry = try Registry(path: dir + "/reg.sqlite")
    let s = try LandmarkTraining.start(
      try ConfigLoader.load(file: nil, overrides: Self.sets + ["save_path=\(dir)/runs"]), registry: registry,
      options: TinyRuns.quiet())
    XCTAssertEqual(s.status, .finished)
    let path = try XCTUnwrap(s.lastCheckpoint)
    let sum = Self.checksum(try Storage.Checkpoint.read(from: path))
    guard Self.machine == Self.recordedOn else {
      throw XCTSkip(
        "main's checksum was made on \(Self.recordedOn), this is \(Self.machine) (this run: \(sum)); make it here with "
          + "main's lmlab: `lmlab train landmarks --set \(Self.sets.joined(separator: " --set "))` and "
          + "Experiments/tools/checkpoint_checksum.py on its checkpoint")
    }
    XCTAssertEqual(sum, Self.mainChecksum, "three steps at 2 threads, batch 4: the sums' order differs from main's")
  }
}
