// Issue 24, memory bombs, crashes and hangs from tiny crafted files: sizes read from headers are
// checked before anything is allocated (images, video arrays, a checkpoint's config, sweep
// grids), `--where` is bounded in depth and length, special files are refused by kind before
// they are opened. Each command runs under a 1.5 GB address-space ceiling (a 10 GB allocation
// fails there instead of swapping) and must end with one line, in seconds.
import Foundation
import Imaging
import Landmarks
import SafeIO
import Storage
import TensorEngine
import TestSupport
import XCTest

@testable import Registry
@testable import Workbench

#if canImport(Glibc)
  import Glibc
#endif

final class HostileFileTests: XCTestCase {
  var box: Sandbox!

  override func setUpWithError() throws { box = try Sandbox(name) }
  override func tearDown() { box?.remove() }

  // Finding: two 69-byte PNGs claiming 30000×30000 made `data inspect` abort allocating 10.8 GB;
  // at 10000×10000 `eval frames` grew to 7.7 GB before failing.
  func testPNGHeadersClaimingHugeImagesAreRefusedBeforeAllocating() throws {
    try box.write("big/s/0000.png", bytes: pngHeaderBomb(width: 30000, height: 30000))
    try box.write("big/s/0001.png", bytes: pngHeaderBomb(width: 30000, height: 30000))
    try box.write("ten/s/0000.png", bytes: pngHeaderBomb(width: 10000, height: 10000))
    try box.write("ten/s/0001.png", bytes: pngHeaderBomb(width: 10000, height: 10000))
    let before = box.snapshot()
    assertRefused(
      try box.run(["data", "inspect", "big", "--verify"]),
      mentions: ["big/s/0000.png", "30000×30000", "at most 16384 px a side"], within: 10)
    assertRefused(
      try box.run(["eval", "frames", "--reference", "ten", "--predicted", "ten"]),
      mentions: ["ten/s/0000.png", "10000×10000", "the file has 45 B", "truncated or crafted"], within: 10)
    assertRefused(
      try box.run(["data", "inspect", "ten", "--verify"]), mentions: ["ten/s/0000.png", "10000×10000"],
      within: 10)
    box.assertUnchanged(since: before)
    // In process: the decoder refuses before libpng allocates (and names the file).
    XCTAssertThrowsError(try decodePNG(Data(pngHeaderBomb(width: 16384, height: 16384)), path: "x.png")) {
      e in
      XCTAssertTrue("\(e)".contains("x.png") && "\(e)".contains("16384×16384"), "\(e)")
    }
  }

  // Finding: a 1.4 kB chunked HDF5 with `videos` (2, 4, 30000, 30000, 3) took 10.8 GB.
  func testAChunkedVideoArrayClaimingHugeFramesIsRefusedOnOpen() throws {
    for (name, shape) in [("wide.h5", [2, 4, 30000, 30000, 3]), ("long.h5", [2, 100_000, 4096, 4096, 3])] {
      let f = try HDF5File(path: box.path(name), mode: .create)
      try f.createUInt8Dataset(
        "videos", shape: shape, compression: .gzip(level: 1, chunkShape: [1, 1, 16, 16, 3]))
      try f.close()
      XCTAssertLessThan(FileKind.size(box.path(name)) ?? .max, 16_000, "the bomb is tiny")
    }
    let before = box.snapshot()
    assertRefused(
      try box.run(["data", "inspect", "wide.h5"]),
      mentions: ["wide.h5", "30000×30000", "at most 16384 px a side"], within: 10)
    assertRefused(
      try box.run(["data", "inspect", "long.h5"]),
      mentions: ["long.h5", "one video of `videos`", "more than the", "of memory available"], within: 10)
    box.assertUnchanged(since: before)
    // Any HDF5 read checks the shape before allocating (a landmark file, a checkpoint tensor).
    let f = try HDF5File(path: box.path("long.h5"))
    XCTAssertThrowsError(try f.readUInt8s("videos")) { e in
      XCTAssertTrue("\(e)".contains("memory available"), "\(e)")
    }
  }

  // Finding: a checkpoint whose `config` says n_landmarks: 1000000 made `encode` try 72 TB.
  func testACheckpointConfigIsHeldToTheRangesOfAYAMLConfig() throws {
    try box.frames("frames", sequences: ["a"], frames: 2)
    for (name, json) in [
      ("k.h5", #"{"n_landmarks": 1000000}"#), ("size.h5", #"{"img_size": 1000000}"#),
      ("odd.h5", #"{"img_size": 24}"#),
      ("wide.h5", #"{"nsf": 1024, "ngc": 1024}"#), ("big.h5", #"{"nsf": 64}"#),
    ] {
      try Checkpoint(tensors: [("w", Tensor(zeros: [2]))], config: json, step: 0).write(to: box.path(name))
    }
    let before = box.snapshot()
    assertRefused(
      try box.run(["encode", "--checkpoint", "k.h5", "--frames", "frames", "--out", "o.h5"]),
      mentions: ["k.h5", "n_landmarks", "1...512", "1000000"], within: 10)
    assertRefused(
      try box.run(["encode", "--checkpoint", "size.h5", "--frames", "frames", "--out", "o.h5"]),
      mentions: ["size.h5", "img_size", "1000000"], within: 10)
    assertRefused(
      try box.run(["encode", "--checkpoint", "odd.h5", "--frames", "frames", "--out", "o.h5"]),
      mentions: ["odd.h5", "img_size must be divisible by 16, got 24"], within: 10)
    // In range key by key, but a model of tens of gigabytes: refused by its size.
    assertRefused(
      try box.run(["encode", "--checkpoint", "wide.h5", "--frames", "frames", "--out", "o.h5"]),
      mentions: ["wide.h5", "the model would hold", "at most 1.07 G"], within: 10)
    // A sane size, but far more values than the checkpoint's tensors hold.
    assertRefused(
      try box.run(["encode", "--checkpoint", "big.h5", "--frames", "frames", "--out", "o.h5"]),
      mentions: ["big.h5", "the checkpoint's tensors hold 2", "config and tensors do not match"], within: 10)
    box.assertUnchanged(since: before)
  }

  // Finding: a grid of 9 keys × 10 values made `sweep --dry-run` grow to 7.6 GB.
  func testSweepCombinationsAreCappedBeforeExpansion() throws {
    let keys = [
      "n_landmarks", "nsf", "ngc", "n_filters", "seed", "batch_size", "max_steps", "learning_rate",
      "vgg_lambda",
    ]
    var grid = ""
    for k in keys {
      let values = (1...10).map { i -> String in
        switch k {
        case "learning_rate": return "\(Double(i) * 1e-4)"
        case "vgg_lambda": return "\(Double(i) / 10)"
        case "ngc": return "\(2 * i)"
        default: return "\(i)"
        }
      }
      grid += "  \(k): [\(values.joined(separator: ", "))]\n"
    }
    try box.write("big.sweep.yaml", "trainer: landmarks\nrank: metric.keypoint_acc\ngrid:\n" + grid)
    try box.write(
      "range.sweep.yaml",
      "trainer: landmarks\nrank: metric.keypoint_acc\ngrid:\n  learning_rate: {range: [0, 1e300, 1e-300]}\n")
    let before = box.snapshot()
    assertRefused(
      try box.run(["sweep", "big.sweep.yaml", "--dry-run"]),
      mentions: ["big.sweep.yaml", "1000000000 trials", "10 × 10", "at most 10000"], within: 15)
    assertRefused(
      try box.run(["sweep", "range.sweep.yaml", "--dry-run"]),
      mentions: ["range.sweep.yaml", "learning_rate.range gives"], within: 15)
    box.assertUnchanged(since: before)
  }

  // Findings: 30,000 nested parentheses in `--where` crashed the parser (SIGSEGV); 100 `or`
  // terms overflowed SQLite's parser stack and dumped the SQL.
  func testWhereExpressionsAreBoundedInDepthAndLength() throws {
    _ = try Registry(path: box.registry)
    let before = box.snapshot()
    let deep = String(repeating: "(", count: 30000) + "id=1" + String(repeating: ")", count: 30000)
    let d = try box.run(["runs", "list", "--where", deep])
    assertRefused(d, status: 1, mentions: ["--where", "more than \(WhereParser.maxDepth) nested parentheses"], within: 10)
    XCTAssertLessThan(d.stderr.count, 300, "the expression is not echoed whole: \(d.stderr.prefix(400))")
    let nots = String(repeating: "not ", count: 30000) + "id=1"
    assertRefused(
      try box.run(["runs", "list", "--where", nots]), mentions: ["--where", "nested"], within: 10)
    let long = (1...100).map { "id=\($0)" }.joined(separator: " or ")
    let r = try box.run(["runs", "list", "--where", long])
    assertRefused(
      r, mentions: ["--where", "more than \(WhereParser.maxComparisons) comparisons"], within: 10)
    XCTAssertFalse(r.output.contains("SELECT"), "no SQL in the message: \(r)")
    assertRefused(try box.run(["report", "--where", deep, "--out", "rep"]), mentions: ["nested"], within: 10)
    box.assertUnchanged(since: before)
    // The largest expressions accepted run on the database: the limits are below its own.
    let registry = try Registry(path: box.registry)
    // Each step nests one level: "(... or kind = k)", then "not ...", alternately.
    var nested = "name ~ 'x_%'"
    var comparisons = 1
    for d in 0..<WhereParser.maxDepth {
      if d % 2 == 0 {
        nested = "(\(nested) or kind = k\(d))"
        comparisons += 1
      } else {
        nested = "not \(nested)"
      }
    }
    let flat = (1...(WhereParser.maxComparisons - comparisons)).map { "param.k\($0) = \($0)" }.joined(
      separator: " or ")
    XCTAssertNoThrow(try registry.listRuns(filter: WhereExpr.parse("\(nested) or \(flat)"), limit: 0))
    XCTAssertNoThrow(
      try registry.listRuns(
        filter: WhereExpr.parse(
          (1...WhereParser.maxComparisons).map { "metric.m\($0) > 1" }.joined(separator: " and ")), limit: 0))
  }

  // Finding: a folder named `0099.png` in a sequence: `Fatal error: 'try!' … Is a directory`.
  func testAFolderNamedLikeAFrameIsRefused() throws {
    try box.frames("d", sequences: ["s"], frames: 2)
    try FileManager.default.createDirectory(
      atPath: box.path("d/s/0099.png"), withIntermediateDirectories: true)
    let before = box.snapshot()
    assertRefused(
      try box.run(["data", "inspect", "d"]), mentions: ["d/s/0099.png", "a folder in a sequence folder"],
      within: 10)
    assertRefused(
      try box.run(["eval", "frames", "--reference", "d", "--predicted", "d"]),
      mentions: ["0099.png", "a folder"], within: 10)
    box.assertUnchanged(since: before)
  }

  // Finding: a FIFO named `0005.png` made `data inspect`, `eval frames` and `import predictions`
  // block forever. Also a FIFO as a config, a sweep spec, a video array or a manifest.
  func testSpecialFilesAreRefusedByKindNotOpened() throws {
    try box.frames("ref", sequences: ["s"], frames: 6)
    try box.frames("pred", sequences: ["s"], frames: 6)
    try FileManager.default.removeItem(atPath: box.path("pred/s/0005.png"))
    try box.fifo("pred/s/0005.png")
    try box.fifo("fifo.yaml")
    try box.fifo("fifo.h5")
    _ = try Registry(path: box.registry)
    let before = box.snapshot()
    assertRefused(
      try box.run(["data", "inspect", "pred"], seconds: 20), mentions: ["pred/s/0005.png", "a FIFO"],
      within: 10)
    assertRefused(
      try box.run(["eval", "frames", "--reference", "ref", "--predicted", "pred"], seconds: 20),
      mentions: ["pred/s/0005.png", "a FIFO"], within: 10)
    assertRefused(
      try box.run(
        [
          "import", "predictions", "--method", "other", "--dir", "pred", "--reference", "ref", "--context",
          "1",
        ], seconds: 20),
      mentions: ["pred/s/0005.png", "a FIFO"], within: 10)
    assertRefused(
      try box.run(["config", "show", "fifo.yaml"], seconds: 20), mentions: ["fifo.yaml", "a FIFO"], within: 10
    )
    assertRefused(
      try box.run(["sweep", "fifo.yaml", "--dry-run"], seconds: 20), mentions: ["fifo.yaml", "a FIFO"],
      within: 10)
    assertRefused(
      try box.run(["data", "inspect", "fifo.h5"], seconds: 20), mentions: ["fifo.h5", "a FIFO"], within: 10)
    box.assertUnchanged(since: before)
  }
}

/// The model size a config implies is what its model holds (the bound on configs relies on it).
final class ModelSizeTests: XCTestCase {
  func testStateValueCountMatchesBuiltModels() throws {
    var configs: [ModelConfig] = []
    var c = ModelConfig()
    (c.nLandmarks, c.imgSize, c.nsf, c.naf, c.ngc, c.nFilters, c.poseDecoderChannels, c.spadeHidden) = (
      3, 16, 2, 0, 4, 2, [4, 6, 8], 5
    )
    configs.append(c)
    // Both reference-frame skips widen SPADE's label maps and add the reference encoder.
    for skip in ["reference", "reference-pose"] {
      var s = c
      (s.decoderSkip, s.skipChannels) = (skip, 3)
      configs.append(s)
    }
    c.disableSpade = true
    c.nsf = 0
    c.naf = 3
    configs.append(c)
    var rng = SeededRNG(seed: 3)
    for config in configs + [ModelConfig()] {
      let model = try LandmarkModel(config: config, rng: &rng)
      XCTAssertEqual(config.stateValueCount, model.stateDict().reduce(0) { $0 + $1.1.count }, "\(config)")
    }
    var huge = ModelConfig()
    (huge.nsf, huge.ngc) = (1024, 1024)
    XCTAssertTrue(huge.violations().contains { $0.contains("the model would hold") }, "\(huge.violations())")
  }
}

/// Found by the fuzz round: HDF5 1.10.8 trusts its global heap (where variable-length strings
/// live) and crashed (SIGSEGV in H5HG_read) or looped forever on a corrupt collection. The heap
/// is now checked before any string is read; each corruption is one line naming the file.
final class GlobalHeapTests: XCTestCase {
  var box: Sandbox!

  override func setUpWithError() throws { box = try Sandbox(name) }
  override func tearDown() { box?.remove() }

  /// A video array with `sequence` names, with its global heap collection edited by `edit`
  /// (given the bytes and the offset of the collection's first object).
  func corruptVideoArray(_ rel: String, _ edit: (inout [UInt8], Int) -> Void) throws {
    let f = try HDF5File(path: box.path(rel), mode: .create)
    try f.write("videos", uint8s: [UInt8](repeating: 3, count: 2 * 2 * 4 * 4 * 3), shape: [2, 2, 4, 4, 3])
    try f.write("sequence", strings: ["first", "second"])
    try f.close()
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: box.path(rel))))
    let gcol = Array("GCOL".utf8)
    let at = try XCTUnwrap((0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == gcol })
    edit(&bytes, at + 16)
    try Data(bytes).write(to: URL(fileURLWithPath: box.path(rel)))
  }

  func testACorruptGlobalHeapIsRefusedNotCrashedOn() throws {
    // Object 1's size far past the collection (the read copied from a null pointer).
    try corruptVideoArray("size.h5") { b, o in b[o + 8 + 5] = 0x7F }
    // Object 2 renumbered as object 1 (a repeated index).
    try corruptVideoArray("twice.h5") { b, o in
      let size = Int(b[o + 8]) | Int(b[o + 9]) << 8
      b[o + 16 + (size + 7) / 8 * 8] = 1
    }
    // A reference to an object that is not there: element 1 ("second", 6 bytes) names object 9.
    try corruptVideoArray("missing.h5") { b, o in
      let gcol = o - 16
      let reference = [6, 0, 0, 0] + (0..<8).map { UInt8(truncatingIfNeeded: gcol >> (8 * $0)) }
      if let i = (0..<(b.count - 16)).first(where: { Array(b[$0..<($0 + 12)]) == reference }) { b[i + 12] = 9 }
    }
    let before = box.snapshot()
    for (file, why) in [("size.h5", "runs past its end"), ("twice.h5", "appears twice"), ("missing.h5", "which is not there")] {
      assertRefused(
        try box.run(["data", "inspect", file, "--sheet", "sheet.png"], seconds: 20),
        mentions: [file, "'sequence'", why, "the file is corrupt"], within: 10)
    }
    box.assertUnchanged(since: before)
  }
}
