// The synthetic set: deterministic per seed (hash of the written files), keypoints on the drawn
// joints (marker test), joints on the figure, test/val appearances disjoint from train.
import Foundation
import Imaging
import XCTest

@testable import Datasets

final class SyntheticTests: XCTestCase {
  /// FNV-1a over every file under `dir`, in sorted path order.
  func hashTree(_ dir: String) throws -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    let files = (FileManager.default.subpaths(atPath: dir) ?? []).sorted()
    for f in files {
      let p = (dir as NSString).appendingPathComponent(f)
      var isDir: ObjCBool = false
      FileManager.default.fileExists(atPath: p, isDirectory: &isDir)
      if isDir.boolValue { continue }
      for b in Array(f.utf8) + [UInt8](try Data(contentsOf: URL(fileURLWithPath: p))) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    }
    return h
  }

  func testSameSeedSameBytesOtherSeedOtherBytes() throws {
    let spec = SyntheticSpec(sequences: 4, frames: 6, size: 32, seed: 7)
    let a = makeTemporaryDirectory("synA"), b = makeTemporaryDirectory("synB"), c = makeTemporaryDirectory("synC")
    defer { for d in [a, b, c] { try? FileManager.default.removeItem(atPath: d) } }
    try SyntheticVideoSet(spec).write(to: a)
    try SyntheticVideoSet(spec).write(to: b)
    var other = spec
    other.seed = 8
    try SyntheticVideoSet(other).write(to: c)
    XCTAssertEqual(try hashTree(a), try hashTree(b))
    XCTAssertNotEqual(try hashTree(a), try hashTree(c))
    // It opens as a valid frame-folder dataset with 7 keypoints for every frame.
    let ds = try FrameFolderDataset(root: a)
    XCTAssertEqual(ds.sequenceCount, 4)
    XCTAssertEqual(ds.frameCount(sequence: 0), 6)
    XCTAssertEqual(ds.width, 32)
    XCTAssertEqual(ds.keypoints?.names, figureKeypointNames)
    XCTAssertEqual(ds.keypoints?.rowCount, 4 * 6 * 7)
    // Frames read back equal the rendering to 8-bit rounding.
    let set = try SyntheticVideoSet(spec)
    let back = try ds.frame(sequence: 2, index: 3), direct = try set.frame(sequence: 2, index: 3)
    var m: Float = 0
    for i in 0..<back.pixels.count { m = max(m, abs(back.pixels[i] - min(max(direct.pixels[i], 0), 1))) }
    XCTAssertLessThanOrEqual(m, 0.5 / 255 + 1e-6)
  }

  func testKeypointsLieOnDrawnJoints() throws {
    let set = try SyntheticVideoSet(SyntheticSpec(sequences: 6, frames: 40, size: 64, seed: 3))
    var worst: Float = 0
    for s in 0..<set.sequenceCount {
      for t in stride(from: 0, to: 40, by: 7) {
        let plain = set.render(sequence: s, frame: t)
        let background = FigureRenderer.background(set.appearance(ofSequence: s), size: 64)
        for k in 0..<figureKeypointNames.count {
          // Marker: render a magenta disc at joint k and find its centroid by differencing.
          let marked = set.render(sequence: s, frame: t, markers: [k]).image
          var sx: Float = 0, sy: Float = 0, sw: Float = 0
          for y in 0..<64 {
            for x in 0..<64 {
              var d: Float = 0
              for c in 0..<3 { d += abs(marked[c, y, x] - plain.image[c, y, x]) }
              if d > 0 { sx += d * Float(x); sy += d * Float(y); sw += d }
            }
          }
          let kp = plain.pose.keypoints[k]
          // A joint near the border may be clipped; only judge fully visible markers.
          guard kp.x >= 2, kp.y >= 2, kp.x <= 61, kp.y <= 61, sw > 0 else { continue }
          let dist = ((sx / sw - kp.x) * (sx / sw - kp.x) + (sy / sw - kp.y) * (sy / sw - kp.y)).squareRoot()
          worst = max(worst, dist)
          // The joint sits on the figure: the pixel there differs from the bare background.
          let px = Int(kp.x.rounded()), py = Int(kp.y.rounded())
          var diff: Float = 0
          for c in 0..<3 { diff += abs(plain.image[c, py, px] - background[c, py, px]) }
          XCTAssertGreaterThan(diff, 0.05, "seq \(s) frame \(t) joint \(figureKeypointNames[k]) is not on the figure")
        }
      }
    }
    XCTAssertLessThan(worst, 1.0, "marker centroid vs keypoint (px)")
  }

  func testTestAppearancesDisjointFromTrain() throws {
    let set = try SyntheticVideoSet(SyntheticSpec(sequences: 40, frames: 2, size: 32, seed: 1))
    let splits = try XCTUnwrap(set.splits)
    let train = Set(splits["train", default: []].map { set.appearanceIDs[$0] })
    let test = Set(splits["test", default: []].map { set.appearanceIDs[$0] })
    let val = Set(splits["val", default: []].map { set.appearanceIDs[$0] })
    XCTAssertFalse(test.isEmpty)
    XCTAssertFalse(val.isEmpty)
    XCTAssertTrue(train.isDisjoint(with: test))
    XCTAssertTrue(train.isDisjoint(with: val))
    // Distinct ids also look different: shirt colours of test appearances are not train's.
    let trainShirts = splits["train", default: []].map { set.appearance(ofSequence: $0).shirt }
    for s in splits["test", default: []] { XCTAssertFalse(trainShirts.contains(set.appearance(ofSequence: s).shirt)) }
    XCTAssertEqual(splits.values.reduce(0) { $0 + $1.count }, 40)
  }
}
