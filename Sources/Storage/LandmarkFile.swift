// LandmarkFile: per-frame landmark Gaussians (DESIGN §4): `mu` float32 [N, K, 2],
// `covariance` float32 [N, K, 2, 2], `sequence` strings [N] and `frame` int64 [N], with
// validation on write and read that names the file, the dataset and the sizes that disagree.
// Files from other tools may label sequences by integer (read as decimal text, "7") or leave
// `sequence` out (one sequence, named `LandmarkFile.unnamedSequence`); we always write strings.
// Read files are held to what the format promises: finite means and covariances (a NaN would
// turn a keypoint fit into a "rank-deficient" one or an accuracy of 0 without a word) and
// sequence names safe to use as names (SafeIO's DataName).
import Foundation
import SafeIO
import TensorEngine

/// Landmark means and covariances for N frames, K landmarks each.
public struct LandmarkFile {
  static let format = FileFormat(name: "landmarklab-landmarks", version: 1)

  /// Landmark means (x, y) in [-1, 1] image coordinates.
  public var mu: Tensor  // [N, K, 2]
  /// Landmark covariances.
  public var covariance: Tensor  // [N, K, 2, 2]
  /// Sequence name of each frame (integer ids read as their decimal text).
  public var sequence: [String]  // [N]
  /// False when the file had no `sequence` dataset: every frame is one sequence, named
  /// `unnamedSequence` (matching it against keypoints may then use the CSV's only sequence).
  public private(set) var sequenceStored = true

  /// The sequence name of every frame of a file without a `sequence` dataset: "0", the name
  /// an integer id 0 reads as.
  public static let unnamedSequence = "0"
  /// Frame number of each frame within its sequence.
  public var frame: [Int64]  // [N]

  /// - Throws: `StorageError.shapeMismatch` naming the dataset whose size disagrees.
  public init(mu: Tensor, covariance: Tensor, sequence: [String], frame: [Int64]) throws {
    self.mu = mu
    self.covariance = covariance
    self.sequence = sequence
    self.frame = frame
    try validate(path: "<landmarks in memory>")
  }

  /// Number of frames N.
  public var count: Int { mu.shape[0] }
  /// Landmarks per frame K.
  public var landmarkCount: Int { mu.shape[1] }

  /// Checks that the four arrays agree on N and K and have the §4 shapes.
  func validate(path: String) throws {
    guard mu.rank == 3, mu.shape[2] == 2 else {
      throw StorageError.invalidContents(
        path: path, object: "mu", reason: "shape \(mu.shape), expected [N, K, 2]")
    }
    let n = mu.shape[0]
    let k = mu.shape[1]
    guard covariance.shape == [n, k, 2, 2] else {
      throw StorageError.shapeMismatch(
        path: path, object: "covariance", expected: [n, k, 2, 2], found: covariance.shape)
    }
    guard sequence.count == n else {
      throw StorageError.shapeMismatch(path: path, object: "sequence", expected: [n], found: [sequence.count])
    }
    guard frame.count == n else {
      throw StorageError.shapeMismatch(path: path, object: "frame", expected: [n], found: [frame.count])
    }
  }

  /// Writes the file atomically (via a hidden temporary file and a rename).
  public func write(to path: String) throws {
    try validate(path: path)
    try writeAtomically(to: path) { f in
      try Self.format.tag(f)
      try f.write("mu", tensor: mu)
      try f.write("covariance", tensor: covariance)
      try f.write("sequence", strings: sequence)
      try f.write("frame", int64s: frame, shape: [frame.count])
    }
  }

  /// Reads and validates a landmark file (the format tag is optional; `sequence` may hold
  /// strings or integers, or be missing).
  /// - Throws: `.missingDataset`, `.wrongType`, `.shapeMismatch`/`.invalidContents` naming
  ///   the dataset and the sizes.
  public static func read(from path: String) throws -> LandmarkFile {
    let f = try HDF5File(path: path)
    defer { try? f.close() }
    try format.check(f)
    let mu = try f.readTensor("mu")
    let covariance = try f.readTensor("covariance")
    let frameShape = try f.shape(of: "frame")
    guard frameShape.count == 1 else {
      throw StorageError.invalidContents(
        path: path, object: "frame", reason: "shape \(frameShape), expected [N]")
    }
    let stored = f.contains("sequence")
    let sequence =
      stored
      ? try f.readNames("sequence")
      : [String](repeating: unnamedSequence, count: mu.rank > 0 ? mu.shape[0] : 0)
    var file = LandmarkFile(
      unchecked: mu, covariance: covariance, sequence: sequence, frame: try f.readInt64s("frame").values)
    file.sequenceStored = stored
    try file.validate(path: path)
    for (name, t) in [("mu", mu), ("covariance", covariance)] {
      if let problem = nonFiniteSummary(t, perRow: t.rank > 0 ? t.count / Swift.max(t.shape[0], 1) : 1, names: (sequence, file.frame)) {
        throw StorageError.invalidContents(path: path, object: name, reason: problem)
      }
    }
    for (i, s) in sequence.enumerated() where stored {
      if let p = DataName.problem(s) {
        throw StorageError.invalidContents(path: path, object: "sequence", reason: "row \(i) names sequence \(DataName.quoted(s)), which \(p)")
      }
    }
    return file
  }

  private init(unchecked mu: Tensor, covariance: Tensor, sequence: [String], frame: [Int64]) {
    self.mu = mu
    self.covariance = covariance
    self.sequence = sequence
    self.frame = frame
  }
}

/// "holds 80 NaN values (of 80; first in frame 0 of sequence `s`)" or nil when all are finite.
func nonFiniteSummary(_ t: Tensor, perRow: Int, names: (sequence: [String], frame: [Int64])) -> String? {
  let p = UnsafeBufferPointer(start: t.data, count: t.count)
  var nan = 0, inf = 0, first = -1
  for (i, v) in p.enumerated() where !v.isFinite {
    if first < 0 { first = i }
    if v.isNaN { nan += 1 } else { inf += 1 }
  }
  guard nan + inf > 0 else { return nil }
  let row = first / Swift.max(perRow, 1)
  let parts = [nan > 0 ? "\(nan) NaN" : nil, inf > 0 ? "\(inf) infinite" : nil].compactMap { $0 }
  let whereFirst =
    row < names.sequence.count && row < names.frame.count
    ? "; first in frame \(names.frame[row]) of sequence \(DataName.quoted(names.sequence[row]))" : ""
  return "holds \(parts.joined(separator: " and ")) value\(nan + inf == 1 ? "" : "s") (of \(t.count)\(whereFirst)): landmarks must be finite"
}
