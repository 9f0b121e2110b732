// Splits mean what they say: a split a source does not define is an error naming the source and
// the splits it has (never every sequence in its place), `all` is every sequence, and HDF5 video
// arrays carry splits in a `split` dataset or a manifest beside the file (never both).
import Foundation
import Storage
import XCTest

@testable import Datasets

final class SplitTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws { dir = makeTemporaryDirectory("splits") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  /// A synthetic frame folder of `n` sequences; without its manifest when `splits` is false.
  func frames(_ name: String, sequences n: Int = 4, splits: Bool) throws -> String {
    let root = dir + "/" + name
    try SyntheticVideoSet(SyntheticSpec(sequences: n, frames: 4, size: 16, seed: 1)).write(to: root)
    if !splits { try FileManager.default.removeItem(atPath: root + "/manifest.json") }
    return root
  }

  /// A [4, 3, 8, 8, 3] video array, optionally with a `split` dataset.
  func videos(_ path: String, split: [String]? = nil) throws {
    let f = try HDF5File(path: path, mode: .create)
    try f.write("videos", uint8s: [UInt8](repeating: 7, count: 4 * 3 * 8 * 8 * 3), shape: [4, 3, 8, 8, 3])
    if let split { try f.write("split", strings: split) }
    try f.close()
  }

  func message(_ body: () throws -> Any) -> String {
    do {
      _ = try body()
      return "no error"
    } catch { return "\(error)" }
  }

  func testASplitTheSourceLacksNamesTheSourceAndItsSplits() throws {
    let root = try frames("with", splits: true)
    let ds = try FrameFolderDataset(root: root)
    let have = ds.splits!.keys.sorted()
    let m = message { try ds.sequences(inSplit: "whatever") }
    XCTAssertEqual(m, "\(root): no split 'whatever' (splits: \(have.joined(separator: ", "))); \(root)/manifest.json defines the splits")
    XCTAssertEqual(try ds.sequences(inSplit: "all"), Array(0..<ds.sequenceCount), "`all` is every sequence")
    XCTAssertEqual(try ds.sequences(inSplit: "test"), ds.splits!["test"])
  }

  func testASourceWithoutSplitsRefusesEveryNamedSplitAndSaysHowToAddThem() throws {
    let root = try frames("without", splits: false)
    let ds = try FrameFolderDataset(root: root)
    XCTAssertNil(ds.splits)
    for split in ["test", "train", "whatever"] {
      let m = message { try ds.sequences(inSplit: split) }
      XCTAssertTrue(m.hasPrefix("\(root): no split '\(split)': it defines no splits; add \(root)/manifest.json like {\"splits\""), m)
      XCTAssertTrue(m.contains("or use split 'all' for every sequence (the scores are then on training sequences)"), m)
    }
    XCTAssertEqual(try ds.sequences(inSplit: "all"), [0, 1, 2, 3])
  }

  func testVideoArraySplitsFromASplitDataset() throws {
    let path = dir + "/bair.h5"
    try videos(path, split: ["train", "test", "train", "val"])
    let ds = try VideoArrayDataset(path: path)
    XCTAssertEqual(ds.splits, ["train": [0, 2], "test": [1], "val": [3]])
    XCTAssertEqual(ds.splitOrigin, "\(path)'s `split` dataset")
    XCTAssertEqual(
      message { try ds.sequences(inSplit: "holdout") },
      "\(path): no split 'holdout' (splits: test, train, val); \(path)'s `split` dataset defines the splits")
    // A `split` of the wrong length is refused naming the file.
    let short = dir + "/short.h5"
    try videos(short, split: ["train"])
    XCTAssertTrue(message { try VideoArrayDataset(path: short) }.contains("\(short): `split` has 1 names, the file has N = 4 videos"))
  }

  func testVideoArraySplitsFromAManifestBesideTheFile() throws {
    let path = dir + "/clips.h5"
    try videos(path)
    XCTAssertNil(try VideoArrayDataset(path: path).splits)
    // manifest.json in the same folder, then <stem>.manifest.json, which wins.
    let shared = #"{"splits": {"train": ["video_00000", "video_00001"], "test": ["video_00002"]}}"#
    try shared.write(toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
    XCTAssertEqual(try VideoArrayDataset(path: path).splits, ["train": [0, 1], "test": [2]])
    let own = #"{"splits": {"train": ["video_00003"], "test": ["video_00000"]}}"#
    try own.write(toFile: dir + "/clips.manifest.json", atomically: true, encoding: .utf8)
    let ds = try VideoArrayDataset(path: path)
    XCTAssertEqual(ds.splits, ["train": [3], "test": [0]])
    XCTAssertEqual(ds.splitOrigin, dir + "/clips.manifest.json")
    // A manifest naming a video the file lacks, and splits in two places, are refused.
    try #"{"splits": {"test": ["video_00009"]}}"#.write(toFile: dir + "/clips.manifest.json", atomically: true, encoding: .utf8)
    XCTAssertEqual(
      message { try VideoArrayDataset(path: path) },
      "\(dir)/clips.manifest.json: split `test` names sequence `video_00009`, which is not a video of \(path)")
    let both = dir + "/both.h5"
    try videos(both, split: ["train", "train", "test", "test"])
    XCTAssertEqual(
      message { try VideoArrayDataset(path: both) },
      "\(both): splits in two places, its `split` dataset and \(dir)/manifest.json: keep one")
  }
}
