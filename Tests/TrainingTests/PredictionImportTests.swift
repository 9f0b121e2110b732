// `lmlab import predictions` on a tiny real predict run (copy-last from a 3-step landmarks run,
// 2 context → 4 predicted, LPIPS from the test weights): importing the run's frames/ against its
// truth/ (and against full sequences with --context 2, and as an HDF5 video array) gives the
// original per-frame scores bit for bit; every refused input names its problem and registers
// nothing; the import is a prediction method in the report data, in the original's setup.
import Datasets
import FeatureNetworks
import Foundation
import Imaging
import Registry
import Reports
import Storage
import TestSupport
import XCTest

@testable import Workbench

final class PredictionImportTests: XCTestCase {
  var dir = ""
  let lpips = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("MetricsTests/Fixtures/lpips_alex.h5").path

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

  /// A finished copy-last predict run (2 context → 4 predicted) on a 3-step 32 px landmarks run.
  /// What predict and import score here: PSNR, SSIM, LPIPS over the test weights' random backbone,
  /// and effnet-lite0-dist when the ImageNet EfficientNet-Lite0 weights are cached (always under
  /// CI=true, where setup fetches them: a run that fails to score it then fails here).
  static var scoredMetrics: [String] {
    ["psnr", "ssim", "lpips-alex-randombackbone"]
      + (EfficientNetLite0Weights.cachedPath != nil || isCI ? ["effnet-lite0-dist"] : [])
  }

  func predictRun(_ registry: Registry) throws -> (runId: Int64, landmarks: Int64, out: String) {
    let lm = try TinyRuns.landmarksRun(registry, savePath: "\(dir)/runs")
    var r = PredictRequest(runId: lm, out: "\(dir)/pred")
    r.method = .copyLast
    r.context = 2
    r.horizon = 4
    r.target.lpipsWeights = lpips
    let s = try Prediction.run(r, registry: registry, print: { _ in })
    return (s.runId, lm, r.target.out)
  }

  func request(_ method: String, dir d: String, reference: String, context: Int = 0) -> ImportRequest {
    var r = ImportRequest(method: method, dir: d, reference: reference)
    r.context = context
    r.lpipsWeights = lpips
    r.out = dir + "/imports"
    r.progressStyle = .silent
    return r
  }

  /// "sequence|frame|metric" → the value's bits.
  func scores(_ registry: Registry, _ run: Int64) throws -> [String: UInt64] {
    Dictionary(
      uniqueKeysWithValues: try registry.frameScores(runIds: [run]).map {
        ("\($0.sequence)|\($0.frame)|\($0.metric)", $0.value.bitPattern)
      })
  }

  func assertSameScores(
    _ registry: Registry, _ a: Int64, _ b: Int64, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let sa = try scores(registry, a)
    let sb = try scores(registry, b)
    // Exact equality on purpose: the same PNGs through the same evaluator must give the same bits.
    XCTAssertEqual(sa, sb, file: file, line: line)
    let metrics = Set(sa.keys.map { String($0.split(separator: "|")[2]) })
    XCTAssertEqual(metrics, Set(Self.scoredMetrics), file: file, line: line)
    for m in metrics {
      let series = { (id: Int64) in
        try registry.series(runId: id, name: m).map { "\($0.step):\($0.value.bitPattern)" }
      }
      XCTAssertEqual(try series(a), try series(b), "\(m) per horizon step", file: file, line: line)
      XCTAssertEqual(
        try registry.series(runId: b, name: m).map(\.step), [1, 2, 3, 4], file: file, line: line)
    }
  }

  func testImportOfAPredictRunScoresIdentically() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let p = try predictRun(registry)
    let s = try PredictionImport.run(
      request("copy-last-elsewhere", dir: p.out + "/frames", reference: p.out + "/truth"), registry: registry,
      print: { _ in })
    let run = try registry.run(s.runId)
    XCTAssertEqual(run.kind, PredictionImport.runKind)
    XCTAssertEqual(run.status, .finished)
    try assertSameScores(registry, p.runId, s.runId)
    XCTAssertEqual(
      try scores(registry, p.runId).count, Self.scoredMetrics.count * 4 * s.sequences, "each metric × 4 steps × every test sequence")

    // The inputs and the setup are recorded; the reference run is found from its truth/ folder.
    let params = Dictionary(
      uniqueKeysWithValues: try registry.params(runId: s.runId).map { ($0.key, $0.text) })
    XCTAssertEqual(params["import_method"], "copy-last-elsewhere")
    XCTAssertEqual(params["import_dir"], URL(fileURLWithPath: p.out + "/frames").standardizedFileURL.path)
    XCTAssertEqual(
      params["import_reference"], URL(fileURLWithPath: p.out + "/truth").standardizedFileURL.path)
    XCTAssertEqual(params["import_context"], "0")
    XCTAssertEqual(params["import_reference_run"], "\(p.runId)")
    XCTAssertEqual(params["predict_context"], "2")
    XCTAssertEqual(params["predict_horizon"], "4")
    XCTAssertEqual(s.setup, "2 context frames → 4 predicted")

    // scores.csv (DESIGN §4) in the run's folder: the original's rows under the new name.
    XCTAssertEqual(s.folder, URL(fileURLWithPath: dir + "/imports/\(s.runId)").standardizedFileURL.path)
    let mine = try String(contentsOfFile: s.folder + "/scores.csv", encoding: .utf8)
    let theirs = try String(contentsOfFile: p.out + "/scores.csv", encoding: .utf8)
    XCTAssertEqual(mine.split(separator: "\n").first, "method,sequence,frame,metric,value")
    XCTAssertEqual(mine, theirs.replacingOccurrences(of: "\ncopy-last,", with: "\ncopy-last-elsewhere,"))
    XCTAssertEqual(try registry.artifacts(runId: s.runId).map(\.kind), ["scores_csv"])

    // Report data: a prediction method of its own name, in the original's setup, same points.
    let data = try ReportInputs.load(.runs([p.runId, s.runId]), registry: registry, title: "t")
    XCTAssertEqual(data.frameRuns.map(\.kind), [.prediction, .prediction])
    XCTAssertEqual(data.frameRuns.map(\.method), ["copy-last", "copy-last-elsewhere"])
    XCTAssertEqual(Set(data.frameRuns.map(\.setup)), ["2 context frames → 4 predicted"])
    let points = data.frameRuns.map { r in
      Set(r.rows.map { "\($0.sequence)|\($0.index)|\($0.metric)|\($0.value.bitPattern)" })
    }
    XCTAssertEqual(points[0], points[1])
    XCTAssertEqual(Set(data.frameRuns[1].rows.map(\.index)), [1, 2, 3, 4])
    // Filmstrips find the imported frames and their ground truth.
    let seq = try XCTUnwrap(data.frameRuns[1].rows.first?.sequence)
    for i in 1...4 {
      XCTAssertNotNil(data.frameRuns[1].framePath(seq, i), "frame \(i)")
      XCTAssertNotNil(data.frameRuns[1].framePath(seq, i, truth: true), "truth \(i)")
    }
    // `lmlab worst` draws from the same data: a page with the import's name on it.
    let page = try ExperimentReport.writeWorst(
      data.frameRuns, title: "w", metric: nil, top: 1, to: dir + "/worst")
    XCTAssertTrue(try String(contentsOfFile: page, encoding: .utf8).contains("copy-last-elsewhere"))
  }

  func testContextAndVideoArrayLineUpLikePredict() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let p = try predictRun(registry)
    let truth = try listFrames(p.out + "/truth")

    // Full sequences: the 2 context frames from the dataset (written as predict writes frames),
    // then the truth frames. With --context 2 the predictions line up at horizon steps 1...4.
    let models = try DynamicsModels.resolve(p.landmarks, registry: registry)
    let source = try TrainSetup.dataset(models.config)
    let full = dir + "/full"
    for q in try source.sequences(inSplit: "test") {
      let name = source.sequenceNames[q]
      let ctx = try source.frames(sequence: q, from: 0, count: 2, size: 32)
      try FileManager.default.createDirectory(atPath: "\(full)/\(name)", withIntermediateDirectories: true)
      for t in 0..<2 {
        try writePNG(
          RGBImage(tensor: ctx, index: t).clamped(),
          to: "\(full)/\(name)/" + String(format: "%05d.png", source.frameNumber(sequence: q, index: t)))
      }
      for (f, path) in truth[name]! {
        try FileManager.default.copyItem(
          atPath: path, toPath: "\(full)/\(name)/" + String(format: "%05d.png", f))
      }
    }
    let a = try PredictionImport.run(
      request("from-full", dir: p.out + "/frames", reference: full, context: 2), registry: registry,
      print: { _ in })
    try assertSameScores(registry, p.runId, a.runId)
    XCTAssertEqual(a.setup, "2 context frames → 4 predicted")

    // The same predictions as an HDF5 video array [N, T, H, W, C] with `sequence` names.
    let names = truth.keys.sorted()
    var bytes: [UInt8] = []
    for name in names {
      for f in truth[name]!.keys.sorted() {
        let im = try readPNG(p.out + "/frames/\(name)/" + String(format: "%05d.png", f))
        let plane = im.width * im.height
        for i in 0..<plane {
          for c in 0..<3 { bytes.append(UInt8((im.pixels[c * plane + i] * 255).rounded())) }
        }
      }
    }
    let h5 = dir + "/pred.h5"
    let file = try HDF5File(path: h5, mode: .create)
    try file.write("videos", uint8s: bytes, shape: [names.count, 4, 32, 32, 3])
    try file.write("sequence", strings: names)
    try file.close()
    let b = try PredictionImport.run(
      request("from-array", dir: h5, reference: p.out + "/truth"), registry: registry, print: { _ in })
    XCTAssertEqual(b.format, "video-array")
    try assertSameScores(registry, p.runId, b.runId)
  }

  func testRefusalsNameTheProblemAndRegisterNothing() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    let p = try predictRun(registry)
    let fm = FileManager.default
    let truth = p.out + "/truth"
    let names = try listFrames(truth).keys.sorted()
    XCTAssertGreaterThanOrEqual(names.count, 2)
    let (first, second) = (names[0], names[1])
    let before = try registry.listRuns().totalMatching
    var copies = 0
    /// A fresh copy of the run's predictions, changed by `edit`.
    func predictions(_ edit: (String) throws -> Void) throws -> String {
      copies += 1
      let d = "\(dir)/copy\(copies)"
      try fm.copyItem(atPath: p.out + "/frames", toPath: d)
      try edit(d)
      return d
    }
    func expect(
      _ fragments: [String], dir d: String, reference: String? = nil, context: Int = 0,
      method: String = "elsewhere",
      file: StaticString = #filePath, line: UInt = #line
    ) {
      XCTAssertThrowsError(
        try PredictionImport.run(
          request(method, dir: d, reference: reference ?? truth, context: context), registry: registry,
          print: { _ in }),
        file: file, line: line
      ) { e in
        let message = "\(e)"
        for f in fragments {
          XCTAssertTrue(message.contains(f), "«\(f)» not in: \(message)", file: file, line: line)
        }
        XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
        print("refused: \(message)")
      }
      XCTAssertEqual(
        try registry.listRuns().totalMatching, before, "nothing registered", file: file, line: line)
      let left = ((try? fm.contentsOfDirectory(atPath: dir + "/imports")) ?? [])
      XCTAssertEqual(left, [], "nothing left in the runs folder", file: file, line: line)
    }

    let missing = try predictions { try fm.removeItem(atPath: "\($0)/\(first)/00004.png") }
    expect(
      [
        "\(truth)/\(first)/00004.png", "frame 4 of sequence `\(first)`", "horizon step 3",
        "has no prediction",
      ], dir: missing)

    let small = try predictions {
      try writePNG(
        RGBImage(width: 16, height: 16, pixels: [Float](repeating: 0.5, count: 3 * 256)),
        to: "\($0)/\(first)/00003.png")
    }
    expect(["\(small)/\(first)/00003.png", "size differs", "16×16 vs 32×32"], dir: small)

    let extra = try predictions { try fm.copyItem(atPath: "\($0)/\(first)", toPath: "\($0)/zz-extra") }
    expect(
      ["holds \(names.count + 1) sequence(s)", "holds \(names.count):", "`zz-extra` only in \(extra)"],
      dir: extra)

    let fewer = try predictions { try fm.removeItem(atPath: "\($0)/\(second)") }
    expect(["holds \(names.count - 1) sequence(s)", "`\(second)` only in \(truth)"], dir: fewer)

    let renamed = try predictions { try fm.moveItem(atPath: "\($0)/\(first)", toPath: "\($0)/renamed") }
    expect(["`renamed` only in \(renamed)", "`\(first)` only in \(truth)"], dir: renamed)

    let text = try predictions {
      try "notes".write(toFile: "\($0)/\(first)/notes.txt", atomically: true, encoding: .utf8)
    }
    expect(["\(text)/\(first)/notes.txt", "not a PNG frame"], dir: text)

    // A valid header over no pixel data passes the checks and fails while scoring: still nothing
    // registered, and the staging folder is gone.
    let corrupt = try predictions { d in
      let png = try Data(contentsOf: URL(fileURLWithPath: "\(d)/\(first)/00005.png"))
      try png.prefix(33).write(to: URL(fileURLWithPath: "\(d)/\(first)/00005.png"))
    }
    expect(["\(corrupt)/\(first)/00005.png", "unreadable PNG"], dir: corrupt)

    let beyond = try predictions {
      try fm.copyItem(atPath: "\($0)/\(first)/00002.png", toPath: "\($0)/\(first)/00099.png")
    }
    expect(
      ["\(beyond)/\(first)/00099.png", "frame 99 of sequence `\(first)` is not in the reference"], dir: beyond
    )

    // --context 1 against truth/: its first frame is context, yet predicted.
    expect(
      ["\(p.out)/frames/\(first)/00002.png", "is context", "--context 1"], dir: p.out + "/frames", context: 1)

    expect(["--dir \(dir)/nowhere: no such folder or file"], dir: dir + "/nowhere")
    try fm.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
    expect(["\(dir)/empty: no PNG frames found"], dir: dir + "/empty")
    try "not hdf5".write(toFile: dir + "/pred.h5", atomically: true, encoding: .utf8)
    expect(["\(dir)/pred.h5", "HDF5"], dir: dir + "/pred.h5")
    expect(
      ["--reference \(dir)/nowhere: no such folder"], dir: p.out + "/frames", reference: dir + "/nowhere")
    expect(["--method lstm", "one of LandmarkLab's own methods"], dir: p.out + "/frames", method: "lstm")
    expect(
      ["--method Copy-Last", "`copy-last` is one of LandmarkLab's own methods"], dir: p.out + "/frames",
      method: "Copy-Last")
  }
}
