// Fixture access for the metrics tests: committed fixture paths (missing is a failure, not a
// skip) and the image-pair references. Comparisons use TestSupport's `assertClose`.
import Foundation
import Storage
import TensorEngine
import TestSupport
import XCTest

/// Path of a committed fixture (resources are copied as the folder `Fixtures`).
func metricsFixture(_ name: String, generator: String = "python3 Experiments/tools/make_metrics_fixtures.py") throws
  -> String
{
  try committedFixture(name, in: Bundle.module, generator: generator)
}

/// One image-size group of images.h5: frame pairs and the Python reference values.
struct ImageFixture {
  /// Frame pairs per size in images.h5: every comparison below covers all of them.
  static let frames = 16
  let size: Int
  let reference: Tensor  // [M, 3, S, S] in [0, 1]
  let distorted: Tensor  // [M, 3, S, S] in [0, 1]
  let file: HDF5File

  init(size: Int) throws {
    self.size = size
    file = try HDF5File(path: try metricsFixture("images.h5"))
    reference = try file.readTensor("s\(size)/reference")
    distorted = try file.readTensor("s\(size)/distorted")
    guard reference.shape == [Self.frames, 3, size, size], distorted.shape == reference.shape else {
      throw FixtureError(
        description: "images.h5 s\(size): reference \(reference.shape), distorted \(distorted.shape), expected [\(Self.frames), 3, \(size), \(size)]")
    }
  }

  /// A float64 reference vector (`psnr`, `ssim_gaussian`, `lpips_alex`, ...).
  func expected(_ name: String) throws -> [Double] { try file.readDoubles("s\(size)/\(name)").values }
}
