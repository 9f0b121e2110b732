// Shared by the FeatureNetworks tests: fixture files, the two photographs, the ImageNet weights
// (skipped with the reason when absent, a failure when CI=true), and comparisons that count the
// values they compared and fail on NaN or infinity.
import FeatureNetworks
import Foundation
import Storage
import TensorEngine
import TestSupport
import XCTest

enum Fixtures {
  /// A committed fixture: missing, unreadable or empty fails (TestSupport), never skips.
  static func path(_ name: String) throws -> String {
    try committedFixture(name, in: Bundle.module, generator: "python3 Experiments/tools/make_feature_network_fixtures.py")
  }

  static func file(_ name: String) throws -> HDF5File { try HDF5File(path: try path(name)) }

  /// The photographs (chelsea, coffee) at `size` (224 or 64) in [−1, 1], computed as the fixture
  /// script does: Float(u8) / 255 · 2 − 1 in float32.
  static func photos(size: Int) throws -> Tensor {
    let f = try file("photos.h5")
    let (bytes, shape) = try f.readUInt8s("images_\(size)")
    XCTAssertEqual(shape, [2, 3, size, size])
    return Tensor(bytes.map { Float($0) / 255 * 2 - 1 }, shape: shape)
  }
}

enum PretrainedWeights {
  /// The network with ImageNet weights, loaded once. Absent file: XCTSkip naming the path and how
  /// to make it; with CI=true the absence is a failure (TestSupport `componentMissing`).
  static func network() throws -> EfficientNetLite0 {
    lock.lock()
    defer { lock.unlock() }
    if let cached { return cached }
    let path = EfficientNetLite0Weights.pytorchPath
    guard FileManager.default.fileExists(atPath: path) else {
      throw componentMissing(
        .imagenetWeights, "not found at \(path) (LMLAB_CACHE or ~/.cache/lmlab): fetch it with `bash scripts/fetch-weights.sh`")
    }
    let net = try EfficientNetLite0Weights.load(path: path)
    cached = net
    return net
  }

  nonisolated(unsafe) private static var cached: EfficientNetLite0?
  private static let lock = NSLock()
}

/// Compares ours with ref through TestSupport's `assertClose` at `.scaled(tol)` (max |ours − ref|
/// ≤ tol · max |ref|; NaN or infinity fails, naming the index); records the worst error for the
/// test's printout and returns how many values were compared.
@discardableResult
func compareScaled(
  _ ours: [Float], _ ref: [Double], tol: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
) -> Int {
  let c = assertClose(ours, ref, .scaled(tol), what, file: file, line: line)
  if c.worst.isFinite { ComparisonLog.record(c.worst, what) }
  return c.count
}

/// The worst scaled error seen since the last `reset`, for the tests to print what they measured.
enum ComparisonLog {
  nonisolated(unsafe) static var worst: (error: Double, what: String) = (0, "")
  static func record(_ e: Double, _ what: String) { if e >= worst.error { worst = (e, what) } }
  static func reset() { worst = (0, "") }
  static func report(_ test: String) { print(String(format: "%@: worst scaled error %.2e (%@)", test, worst.error, worst.what)) }
}
