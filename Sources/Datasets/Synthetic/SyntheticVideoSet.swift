// A synthetic video set: N sequences of T frames of the articulated figure, two sequences per
// appearance, split by appearance (test and val appearances never occur in train). Renders in
// memory (a VideoSource) or writes a frame-folder dataset with keypoints.csv and manifest.json
// (every file through a rename; `lmlab data synth` writes the whole set into a staging folder).
// Same spec, same bytes.
import Foundation
import Imaging
import SafeIO
import TensorEngine

public struct SyntheticSpec: Equatable, Sendable {
  public var sequences: Int = 40
  public var frames: Int = 100
  public var size: Int = 64
  public var seed: UInt64 = 0

  public init(sequences: Int = 40, frames: Int = 100, size: Int = 64, seed: UInt64 = 0) {
    self.sequences = sequences
    self.frames = frames
    self.size = size
    self.seed = seed
  }

  public func validate() throws {
    guard sequences >= 1 else { throw DatasetError.invalidArgument("--sequences must be ≥ 1, got \(sequences)") }
    guard frames >= 1 else { throw DatasetError.invalidArgument("--frames must be ≥ 1, got \(frames)") }
    guard size >= 16 else { throw DatasetError.invalidArgument("--size must be ≥ 16, got \(size)") }
  }
}

public final class SyntheticVideoSet: VideoSource {
  public let spec: SyntheticSpec
  public let sequenceNames: [String]
  /// Appearance id of each sequence.
  public let appearanceIDs: [Int]
  public let splits: [String: [Int]]?
  public let keypoints: KeypointTable?
  private let appearances: [FigureAppearance]
  private let motions: [FigureMotion]
  private let backgrounds: [RGBImage]

  public var location: String { "synthetic(seed \(spec.seed))" }
  public var splitOrigin: String? { "the synthetic generator (by appearance)" }
  public var splitHint: String { "the synthetic set always has train, val and test splits" }
  public var width: Int { spec.size }
  public var height: Int { spec.size }

  public init(_ spec: SyntheticSpec) throws {
    try spec.validate()
    self.spec = spec
    let n = spec.sequences
    let nApp = Swift.max(1, (n + 1) / 2)
    sequenceNames = (0..<n).map { String(format: "seq_%03d", $0) }
    appearanceIDs = (0..<n).map { $0 % nApp }
    appearances = (0..<nApp).map { FigureAppearance(seed: spec.seed, id: $0) }
    motions = (0..<n).map { FigureMotion(seed: spec.seed, sequence: $0) }
    backgrounds = appearances.map { FigureRenderer.background($0, size: spec.size) }
    // Split by appearance: the last ~10% of appearances are test, the ~10% before them val.
    let nTest = nApp >= 3 ? Swift.max(1, nApp / 10) : 0
    let nVal = nApp >= 3 ? Swift.max(1, nApp / 10) : 0
    func split(_ a: Int) -> String { a >= nApp - nTest ? "test" : (a >= nApp - nTest - nVal ? "val" : "train") }
    var sp: [String: [Int]] = ["train": [], "val": [], "test": []]
    for i in 0..<n { sp[split(appearanceIDs[i]), default: []].append(i) }
    splits = sp
    var table = KeypointTable()
    for s in 0..<n {
      for t in 0..<spec.frames {
        let pose = FigurePose(appearance: appearances[appearanceIDs[s]], motion: motions[s], frame: t, size: spec.size)
        for (k, p) in pose.keypoints.enumerated() {
          // Stored as written to the CSV (3 decimals) so memory and disk agree.
          table.set(sequence: sequenceNames[s], frame: t, keypoint: figureKeypointNames[k],
            x: (p.x * 1000).rounded() / 1000, y: (p.y * 1000).rounded() / 1000)
        }
      }
    }
    keypoints = table
  }

  public func frameCount(sequence: Int) -> Int { spec.frames }
  public func frameNumber(sequence: Int, index t: Int) -> Int { t }

  public func frame(sequence: Int, index t: Int) throws -> RGBImage {
    render(sequence: sequence, frame: t).image
  }

  /// Renders a frame, optionally with joint markers (see FigureRenderer.frame).
  public func render(sequence s: Int, frame t: Int, markers: [Int] = []) -> (image: RGBImage, pose: FigurePose) {
    let a = appearanceIDs[s]
    return FigureRenderer.frame(appearance: appearances[a], motion: motions[s], t: t, size: spec.size,
      background: backgrounds[a], markers: markers)
  }

  public func appearance(ofSequence s: Int) -> FigureAppearance { appearances[appearanceIDs[s]] }

  public var manifest: DatasetManifest {
    var sp: [String: [String]] = [:]
    for (k, v) in splits ?? [:] { sp[k] = v.map { sequenceNames[$0] } }
    var app: [String: Int] = [:]
    for (i, n) in sequenceNames.enumerated() { app[n] = appearanceIDs[i] }
    return DatasetManifest(splits: sp, appearance: app, keypoints: figureKeypointNames,
      generator: ["name": "synthetic-figure", "version": "1", "seed": "\(spec.seed)", "sequences": "\(spec.sequences)",
        "frames": "\(spec.frames)", "size": "\(spec.size)"])
  }

  /// Writes DIR/<sequence>/<frame>.png, DIR/keypoints.csv and DIR/manifest.json.
  /// `progress` is called after each sequence with (done, total); `stop` is asked before each
  /// frame, and when it names a reason the write ends with `DatasetError.interrupted`.
  public func write(to dir: String, progress: ((Int, Int) -> Void)? = nil, stop: (() -> String?)? = nil) throws {
    let fm = FileManager.default
    do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
      throw DatasetError.badFile(path: dir, detail: "cannot create directory (\(error.localizedDescription))")
    }
    let digits = Swift.max(4, String(spec.frames - 1).count)
    for s in 0..<sequenceCount {
      let sd = (dir as NSString).appendingPathComponent(sequenceNames[s])
      do { try fm.createDirectory(atPath: sd, withIntermediateDirectories: true) } catch {
        throw DatasetError.badFile(path: sd, detail: "cannot create directory")
      }
      for t in 0..<spec.frames {
        if let why = stop?() { throw DatasetError.interrupted(why) }
        let path = (sd as NSString).appendingPathComponent(String(format: "%0\(digits)d.png", t))
        do { try writePNG(render(sequence: s, frame: t).image, to: path) } catch let e as ImagingError { throw DatasetError.image(e) }
      }
      progress?(s + 1, sequenceCount)
    }
    let kp = (dir as NSString).appendingPathComponent("keypoints.csv")
    let mp = (dir as NSString).appendingPathComponent("manifest.json")
    do {
      try AtomicFile.write(Data((keypoints?.csv() ?? "").utf8), to: kp)
      try AtomicFile.write(try manifest.encoded(), to: mp)
    } catch let e as InputRefused {
      throw DatasetError.badFile(path: dir, detail: e.message)
    }
  }
}
