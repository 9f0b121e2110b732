// Frame-folder validation (errors naming file and line), HDF5 video arrays, and the samplers:
// shapes and ranges, determinism, resume from state, prefetch equal to direct sampling.
import Foundation
import Imaging
import Storage
import TensorEngine
import XCTest

@testable import Datasets

final class FrameFolderTests: XCTestCase {
  func makeSet(_ name: String, sequences: Int = 3, frames: Int = 8) throws -> String {
    let dir = makeTemporaryDirectory(name)
    try SyntheticVideoSet(SyntheticSpec(sequences: sequences, frames: frames, size: 32, seed: 2)).write(to: dir)
    return dir
  }

  func expectError(_ root: String, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try { let d = try FrameFolderDataset(root: root); try d.verifyAllFrames() }(), file: file, line: line) { e in
      for p in parts { XCTAssertTrue("\(e)".contains(p), "`\(e)` should mention \(p)", file: file, line: line) }
    }
  }

  func testFrameNumbersSortNumerically() {
    XCTAssertEqual(FrameFolderDataset.number(in: "frame_0012.png"), 12)
    XCTAssertEqual(FrameFolderDataset.number(in: "img7_v3.png"), 3)
    XCTAssertNil(FrameFolderDataset.number(in: "cover.png"))
  }

  func testBadInputsNameFileAndLine() throws {
    let fm = FileManager.default
    // Empty sequence folder.
    var dir = try makeSet("empty")
    try fm.createDirectory(atPath: dir + "/seq_zzz", withIntermediateDirectories: true)
    expectError(dir, contains: ["seq_zzz", "empty sequence folder"])
    // Keypoints row for a frame that does not exist.
    dir = try makeSet("kp")
    var csv = try String(contentsOfFile: dir + "/keypoints.csv", encoding: .utf8)
    let lines = csv.split(separator: "\n").count
    csv += "seq_001,99,head,1.0,2.0\n"
    try csv.write(toFile: dir + "/keypoints.csv", atomically: true, encoding: .utf8)
    expectError(dir, contains: ["keypoints.csv:\(lines + 1)", "no frame 99"])
    // A truncated frame and a non-PNG frame.
    dir = try makeSet("trunc")
    let victim = dir + "/seq_002/0005.png"
    let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
    try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: victim))
    expectError(dir, contains: ["seq_002/0005.png", "truncated"])
    try Data("not a png".utf8).write(to: URL(fileURLWithPath: victim))
    expectError(dir, contains: ["seq_002/0005.png", "not a PNG"])
    // A mixed size, and a manifest naming a missing sequence.
    dir = try makeSet("mixed")
    try writePNG(RGBImage(width: 16, height: 16), to: dir + "/seq_000/0003.png")
    expectError(dir, contains: ["seq_000/0003.png", "16×16"])
    dir = try makeSet("manifest")
    try fm.removeItem(atPath: dir + "/seq_001")
    expectError(dir, contains: ["manifest.json", "seq_001"])
  }

  func testPairSamplerDeterministicResumableAndPrefetched() throws {
    let set = try SyntheticVideoSet(SyntheticSpec(sequences: 4, frames: 70, size: 32, seed: 4))
    var config = PairSamplerConfig(batchSize: 3, useWarped: true, useTemporal: true)
    config.temporalMinGap = 3
    let a = try PairSampler(source: set, config: config, imageSize: 32, seed: 9)
    let b1 = try a.next(), b2 = try a.next()
    XCTAssertEqual(b1.pose.shape, [3, 3, 32, 32])
    XCTAssertEqual(b1.appearance.shape, [3, 3, 32, 32])
    for o in b1.origins + b2.origins {
      let gap = abs(o.otherFrame - o.frame)
      XCTAssertTrue((3...60).contains(gap), "temporal gap \(gap)")
    }
    XCTAssertTrue(b1.target.values.allSatisfy { $0 >= -1 && $0 <= 1 })
    // Resume: a fresh sampler restored to b1's state yields b2 exactly.
    let r = try PairSampler(source: set, config: config, imageSize: 32, seed: 12345)
    r.restore(b1.state)
    let again = try r.next()
    XCTAssertEqual(again.origins, b2.origins)
    XCTAssertEqual(again.appearance.values, b2.appearance.values)
    XCTAssertEqual(again.state, b2.state)
    // Prefetching gives the same batches in the same order.
    let p = try PairSampler(source: set, config: config, imageSize: 32, seed: 9).prefetching(capacity: 2)
    XCTAssertEqual(try p.next().pose.values, b1.pose.values)
    XCTAssertEqual(try p.next().pose.values, b2.pose.values)
    p.stop()
  }

  func testWindowSamplerAndVideoArrays() throws {
    // Write a tiny [N, T, H, W, C] uint8 array and read it back as a VideoSource.
    let path = makeTemporaryDirectory("h5") + "/videos.h5"
    let (N, T, H, W) = (2, 5, 4, 6)
    var bytes = [UInt8](repeating: 0, count: N * T * H * W * 3)
    for i in 0..<bytes.count { bytes[i] = UInt8(i % 251) }
    do {
      let f = try HDF5File(path: path, mode: .create)
      try f.write("videos", uint8s: bytes, shape: [N, T, H, W, 3])
      try f.close()
    }
    let ds = try VideoArrayDataset(path: path)
    XCTAssertEqual(ds.sequenceCount, 2)
    XCTAssertEqual(ds.frameCount(sequence: 1), 5)
    let im = try ds.frame(sequence: 1, index: 2)
    let idx = (((1 * T + 2) * H + 3) * W + 4) * 3 + 1  // video 1, frame 2, row 3, col 4, green
    XCTAssertEqual(im[1, 3, 4], Float(bytes[idx]) / 255, accuracy: 1e-6)
    let w = try WindowSampler(source: ds, length: 4, batchSize: 2, imageSize: 4, seed: 1)
    let batch = try w.next()
    XCTAssertEqual(batch.frames.shape, [2, 4, 3, 4, 4])
    XCTAssertTrue(batch.starts.allSatisfy { $0.frame + 4 <= T })
    XCTAssertThrowsError(try VideoArrayDataset(path: path + ".missing")) { XCTAssertTrue("\($0)".contains(".missing")) }
  }
}
