// Issue 24, data loss and writes outside --out: an output folder never replaces the user's files
// (a marker says which command wrote a folder; --force is the only way past it), `.` and the
// working or home folder are refused by name, `data synth` stages its set and an interrupt leaves
// nothing that reads as a data set, and names from data never lead a path outside its folder.
// Every command runs as a process under a 1.5 GB address-space ceiling and a deadline.
import Foundation
import Registry
import SafeIO
import Storage
import TensorEngine
import TestSupport
import XCTest

@testable import Workbench

#if canImport(Glibc)
  import Glibc
#endif

final class OutputSafetyTests: XCTestCase {
  var box: Sandbox!

  override func setUpWithError() throws { box = try Sandbox(name) }
  override func tearDown() { box?.remove() }

  /// A registry holding one finished landmarks run with a training series: enough for a report.
  func registryWithOneRun() throws {
    let r = try Registry(path: box.registry)
    let h = try r.startRun(RunSpec(name: "t", kind: LandmarkTraining.runKind, configJSON: "{}"))
    try h.log("loss", step: 1, value: 0.5)
    try h.log("loss", step: 2, value: 0.25)
    try h.finish(.finished)
  }

  // Finding: `report --runs N --out decoy` deleted every file of decoy/.
  func testReportRefusesAFolderItDidNotWriteAndReplacesOnlyItsOwn() throws {
    try registryWithOneRun()
    let before = box.snapshot()
    let refused = try box.run(["report", "--runs", "1", "--out", "decoy"])
    assertRefused(refused, mentions: ["--out decoy", "holds files lmlab did not write", "--force"])
    box.assertUnchanged(since: before)
    // Into a new folder: written, marked as a report.
    let first = try box.run(["report", "--runs", "1", "--out", "rep"])
    XCTAssertEqual(first.status, 0, "\(first)")
    XCTAssertEqual(OutputFolder.writer(of: box.path("rep")), "report")
    // A report over its own earlier report is replaced whole: a stray file does not survive.
    try box.write("rep/stray.txt", "not the report's\n")
    let again = try box.run(["report", "--runs", "1", "--out", "rep"])
    XCTAssertEqual(again.status, 0, "\(again)")
    XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("rep/stray.txt")))
    XCTAssertTrue(FileManager.default.fileExists(atPath: box.path("rep/index.html")))
    // --force replaces the user's folder, and only then.
    let before2 = box.snapshot()
    let forced = try box.run(["report", "--runs", "1", "--out", "decoy", "--force"])
    XCTAssertEqual(forced.status, 0, "\(forced)")
    XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("decoy/keep.txt")))
    box.assertUnchanged(since: before2, except: ["decoy"])
    // No staging folders left beside them.
    let hidden = try FileManager.default.contentsOfDirectory(atPath: box.root).filter {
      $0.contains(".partial-") || $0.contains(".old-")
    }
    XCTAssertEqual(hidden, [])
  }

  // Finding: `report --out .` died with SIGILL and no message.
  func testReportOutDotAndTheFoldersHoldingTheWorkingFolderAreRefusedByName() throws {
    try registryWithOneRun()
    let before = box.snapshot()
    for (out, why) in [
      (".", "is the working folder"), ("..", "holds the working folder"), ("/", "is the root folder"),
      ("decoy/..", "is the working folder"),
    ] {
      for force in [false, true] {
        let r = try box.run(["report", "--runs", "1", "--out", out] + (force ? ["--force"] : []))
        assertRefused(r, mentions: ["--out \(out)", why])
      }
    }
    box.assertUnchanged(since: before)
  }

  // Finding: `data synth --out D` into a non-empty folder overwrote it and mixed two seeds.
  func testDataSynthRefusesANonEmptyFolder() throws {
    let before = box.snapshot()
    let args = ["data", "synth", "--sequences", "2", "--frames", "3", "--size", "16"]
    assertRefused(
      try box.run(args + ["--out", "decoy"]), mentions: ["--out decoy", "lmlab did not write", "--force"])
    box.assertUnchanged(since: before)
    let made = try box.run(args + ["--out", "D"])
    XCTAssertEqual(made.status, 0, "\(made)")
    XCTAssertEqual(OutputFolder.writer(of: box.path("D")), "data synth")
    // Its own earlier set is refused too: a data set is not replaced by surprise.
    let seeded = box.snapshot()
    assertRefused(
      try box.run(args + ["--out", "D", "--seed", "1"]),
      mentions: ["--out D", "earlier `lmlab data synth` output", "--force"])
    box.assertUnchanged(since: seeded)
    // --force replaces the whole folder: no sequence of the old set stays beside the new ones.
    try FileManager.default.createDirectory(atPath: box.path("D/seq_099"), withIntermediateDirectories: true)
    let forced = try box.run(args + ["--out", "D", "--seed", "1", "--force"])
    XCTAssertEqual(forced.status, 0, "\(forced)")
    XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("D/seq_099")))
    let inspect = try box.run(["data", "inspect", "D", "--verify"])
    XCTAssertEqual(inspect.status, 0, "\(inspect)")
    XCTAssertTrue(inspect.stdout.contains("sequences:  2"), inspect.stdout)
  }

  // Finding: `data synth` stopped by SIGINT left 14 of 200 sequences, no manifest, and the
  // folder passed `inspect --verify`.
  func testInterruptedDataSynthLeavesNoDataSet() throws {
    let before = box.snapshot()
    let p = Process()
    p.executableURL = URL(fileURLWithPath: box.lmlab)
    p.arguments = ["data", "synth", "--out", "D", "--sequences", "200", "--frames", "100", "--size", "64"]
    p.currentDirectoryURL = URL(fileURLWithPath: box.root)
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    // Wait until frames are being written into the staging folder, then interrupt.
    let deadline = Date().addingTimeInterval(30)
    func stagedFrames() -> Int {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: box.root)) ?? []
      guard let staging = names.first(where: { $0.hasPrefix(".D.partial-") }) else { return 0 }
      return (try? FileManager.default.subpathsOfDirectory(atPath: box.path(staging)))?.filter {
        $0.hasSuffix(".png")
      }.count ?? 0
    }
    while stagedFrames() < 50 && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    XCTAssertTrue(p.isRunning, "data synth ended before it could be interrupted")
    kill(p.processIdentifier, SIGINT)
    try waitForExit(p, within: 20, "data synth after SIGINT")
    XCTAssertEqual(p.terminationReason, .exit)
    XCTAssertEqual(p.terminationStatus, 130, "exit status after SIGINT")
    // Nothing that reads as a data set: no D, no staging folder.
    XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("D")))
    box.assertUnchanged(since: before)
    let inspect = try box.run(["data", "inspect", "D", "--verify"])
    assertRefused(inspect, mentions: ["D", "not found"])
  }

  // A folder still being written (or left by a killed writer) is refused by readers.
  func testAnUnfinishedOutputFolderIsRefusedByReaders() throws {
    try box.frames("half", sequences: ["a"], frames: 2)
    try box.write("half/" + OutputFolder.incompleteName, "lmlab data synth: being written\n")
    let before = box.snapshot()
    assertRefused(
      try box.run(["data", "inspect", "half", "--verify"]), mentions: ["half", "unfinished lmlab output"])
    box.assertUnchanged(since: before)
  }

  // Finding: an HDF5 `sequence` of `../` steps was accepted by `data inspect` and `train
  // landmarks`, and `predict --out OUT` wrote PNGs outside OUT.
  func testSequenceNamesFromDataCannotLeadOutsideTheOutputFolder() throws {
    let h5 = box.path("evil.h5")
    do {
      let f = try HDF5File(path: h5, mode: .create)
      try f.write(
        "videos", uint8s: [UInt8](repeating: 9, count: 2 * 3 * 16 * 16 * 3), shape: [2, 3, 16, 16, 3])
      try f.write("sequence", strings: ["../../escaped", "ok"])
      try f.close()
    }
    let before = box.snapshot()
    assertRefused(
      try box.run(["data", "inspect", "evil.h5"]), mentions: ["evil.h5", "`../../escaped`", "path separator"])
    let train = try box.run(
      [
        "train", "landmarks", "--set", "dataset=videos", "--set", "dataset_path=evil.h5", "--set",
        "max_steps=1",
      ])
    XCTAssertFalse(train.signaled, "\(train)")
    XCTAssertNotEqual(train.status, 0, "\(train)")
    XCTAssertTrue(
      train.output.contains("`../../escaped`") && train.output.contains("path separator"), "\(train)")
    box.assertUnchanged(since: before, except: ["runs"])
    XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("escaped")))
    // The second line of defence: every path predict/interpolate/import build from a sequence
    // name is checked to stay in its folder.
    let out = try FrameRunOutput(dir: box.path("out"), method: "m")
    XCTAssertThrowsError(try out.path("frames", "../../escaped", 3)) { e in
      XCTAssertTrue("\(e)".contains("path separator"), "\(e)")
    }
    XCTAssertThrowsError(try DataName.path(in: box.path("out"), "frames", "..", "x.png"))
    XCTAssertEqual(try out.path("frames", "seq_1", 3), box.path("out") + "/frames/seq_1/00003.png")
    // Every source of names refuses them where it is read: a frame folder (a control character
    // in a folder name), a manifest and a keypoint CSV.
    try box.frames("named", sequences: ["bad\u{1B}[2Jname"], frames: 2)
    assertRefused(try box.run(["data", "inspect", "named"]), mentions: ["control character"])
    try box.frames("man", sequences: ["a"], frames: 2)
    try box.write("man/manifest.json", #"{"splits": {"train": ["../a"], "test": []}}"#)
    assertRefused(
      try box.run(["data", "inspect", "man"]), mentions: ["manifest.json", "`../a`", "path separator"])
    try box.frames("kp", sequences: ["a"], frames: 2)
    try box.write("kp/keypoints.csv", "sequence,frame,keypoint,x,y\n../a,0,head,1,2\n")
    assertRefused(try box.run(["data", "inspect", "kp"]), mentions: ["keypoints.csv:2", "path separator"])
  }

  // Finding: an existing folder given as a file output gave "cannot write '/'" or
  // "NSCocoaErrorDomain error 512".
  func testAFolderGivenAsAFileOutputIsNamed() throws {
    try box.frames("ref", sequences: ["a"], frames: 2)
    try FileManager.default.createDirectory(atPath: box.path("outdir"), withIntermediateDirectories: true)
    let before = box.snapshot()
    assertRefused(
      try box.run(["eval", "frames", "--reference", "ref", "--predicted", "ref", "--csv", "outdir"]),
      mentions: ["--csv outdir", "is a folder; give a file path"])
    assertRefused(
      try box.run(["encode", "--checkpoint", "none.h5", "--frames", "ref", "--out", "outdir"]),
      mentions: ["--out outdir", "is a folder; give a file path"])
    assertRefused(
      try box.run(["data", "inspect", "ref", "--sheet", "outdir"]),
      mentions: ["--sheet outdir", "is a folder"])
    assertRefused(
      try box.run(["eval", "frames", "--reference", "ref", "--predicted", "ref", "--csv", "nowhere/x.csv"]),
      mentions: ["--csv nowhere/x.csv", "folder nowhere does not exist"])
    box.assertUnchanged(since: before)
    // The library's own writers say the same (no "cannot write '/'").
    let file = try LandmarkFile(
      mu: Tensor(zeros: [1, 1, 2]), covariance: Tensor(zeros: [1, 1, 2, 2]), sequence: ["a"], frame: [0])
    XCTAssertThrowsError(try file.write(to: box.path("outdir"))) { e in
      XCTAssertTrue("\(e)".contains("is a folder") && !"\(e)".contains("'/'"), "\(e)")
    }
  }
}
