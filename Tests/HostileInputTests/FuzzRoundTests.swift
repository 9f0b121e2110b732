// A bounded, seeded fuzz round (issue 24) through the parsers a hostile file reaches: mutated
// PNGs (decoder and header limits), YAML configs and sweep specs, and `--where` / `--sort`
// strings (parsed, compiled and run on a SQLite registry) in process; HDF5 files (video arrays,
// landmark files, checkpoints) through `lmlab` processes, so a crash inside the HDF5 library is
// counted instead of ending the round. Every input must either parse or be refused with a typed
// error (one line); a crash fails the test, a hang its deadline. The seed and the case count come
// from LMLAB_FUZZ_SEED and LMLAB_FUZZ_CASES (default 300 per kind, a quarter of that as HDF5
// processes: well under a minute); the seed is printed so a failing round can be repeated. A longer round:
// LMLAB_FUZZ_CASES=3000.
import Foundation
import Imaging
import Landmarks
import Storage
import TensorEngine
import TestSupport
import XCTest

@testable import Datasets
@testable import Registry
@testable import Workbench

/// The fuzz round's draws, on the engine's seeded generator (same seed, same inputs).
extension SeededRNG {
  mutating func int(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
  mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
  mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }
}

final class FuzzRoundTests: XCTestCase {
  static let env = ProcessInfo.processInfo.environment
  let cases = Int(env["LMLAB_FUZZ_CASES"] ?? "") ?? 300
  let seed = UInt64(env["LMLAB_FUZZ_SEED"] ?? "") ?? 24
  var dir = ""

  override func setUpWithError() throws {
    dir = NSTemporaryDirectory() + "lmlab-fuzz-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    print(
      "fuzz \(name): \(cases) cases from seed \(seed) (LMLAB_FUZZ_SEED=\(seed) LMLAB_FUZZ_CASES=\(cases) repeats them)"
    )
  }
  override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

  /// Byte-level mutations: flips, overwrites with interesting values, insertions, deletions,
  /// truncation, duplicated runs.
  func mutate(_ input: [UInt8], _ rng: inout SeededRNG) -> [UInt8] {
    var b = input
    for _ in 0...rng.int(4) {
      guard !b.isEmpty else { break }
      let i = rng.int(b.count)
      // Flips and overwrites most often; truncation rarely (it ends most inputs early).
      switch rng.pick([0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 6]) {
      case 0: b[i] ^= UInt8(1 << rng.int(8))
      case 1: b[i] = rng.pick([0, 1, 0x7F, 0x80, 0xFF, 0xFE])
      case 2: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
      case 3: b.remove(at: i)
      case 4: b = Array(b.prefix(i))
      case 5:
        let n = Swift.min(rng.int(64) + 1, b.count - i)
        b.insert(contentsOf: b[i..<(i + n)], at: i)
      default:
        for k in 0..<Swift.min(4, b.count - i) { b[i + k] = UInt8(truncatingIfNeeded: rng.next()) }
      }
    }
    return b
  }

  // MARK: PNG

  /// Recomputes every chunk's CRC (so mutations reach past libpng's CRC check).
  func fixCRCs(_ b: inout [UInt8]) {
    var i = 8
    while i + 12 <= b.count {
      let len = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
      guard len >= 0, i + 12 + len <= b.count else { return }
      let crc = crc32(Array(b[(i + 4)..<(i + 8 + len)]))
      for k in 0..<4 { b[i + 8 + len + k] = UInt8(crc >> (24 - 8 * k) & 0xFF) }
      i += 12 + len
    }
  }

  func testPNGDecoderAndHeaderLimits() throws {
    var seeds: [[UInt8]] = []
    for (w, h) in [(1, 1), (7, 5), (16, 16), (33, 9)] {
      var im = RGBImage(width: w, height: h)
      for i in 0..<im.pixels.count { im.pixels[i] = Float(i % 17) / 16 }
      let p = dir + "/seed-\(w)x\(h).png"
      try writePNG(im, to: p)
      seeds.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: p))))
    }
    var rng = SeededRNG(seed: seed)
    var decoded = 0
    var refused = 0
    for n in 0..<cases {
      var b = mutate(rng.pick(seeds), &rng)
      if rng.chance(0.2), b.count >= 24 {
        // A header that claims another size (sometimes absurd).
        let w = rng.pick([0, 1, 2, 255, 4096, 16384, 16385, 30000, Int(Int32.max), Int(UInt32.max)])
        let h = rng.pick([0, 1, 3, 1000, 16384, 65535, Int(Int32.max)])
        for k in 0..<4 {
          b[16 + k] = UInt8(w >> (24 - 8 * k) & 0xFF)
          b[20 + k] = UInt8(h >> (24 - 8 * k) & 0xFF)
        }
      }
      if rng.chance(0.8) { fixCRCs(&b) }
      do {
        let im = try decodePNG(Data(b), path: "case-\(n).png")
        XCTAssertEqual(im.pixels.count, 3 * im.width * im.height)
        decoded += 1
      } catch is ImagingError {
        refused += 1
      }
      let p = dir + "/case.png"
      try Data(b).write(to: URL(fileURLWithPath: p))
      _ = try? PNGHeader.read(p)
    }
    print("fuzz PNG: \(cases) inputs, \(decoded) decoded, \(refused) refused with ImagingError, 0 crashes")
    // Both outcomes occur: the mutations neither all miss the decoder nor all get past it.
    XCTAssertGreaterThan(decoded, 0, "no mutated PNG decoded")
    XCTAssertGreaterThan(refused, 0, "no mutated PNG refused")
  }

  // MARK: HDF5

  /// HDF5 inputs go through the built `lmlab` as processes (one per case, under the memory
  /// ceiling and a deadline): a crash inside the HDF5 library ends only that process, is counted
  /// and its input kept. Readers: `data inspect` (video arrays), `eval keypoints` (landmark
  /// files), `encode` (checkpoints of a tiny model, so a mutated file can get as far as the
  /// model). A quarter of the case count (they cost a process each).
  func testHDF5Readers() throws {
    let lmlab = try builtLMLab()
    let video = dir + "/v.h5", lm = dir + "/l.h5", ck = dir + "/c.h5"
    do {
      let f = try HDF5File(path: video, mode: .create)
      let pixels: [UInt8] = (0..<192).map { (i: Int) -> UInt8 in UInt8(i % 251) }
      try f.write("videos", uint8s: pixels, shape: [2, 2, 4, 4, 3])
      try f.write("sequence", strings: ["a", "b"])
      try f.close()
    }
    var mu: [Float] = [], cov: [Float] = [], csv = "sequence,frame,keypoint,x,y\n"
    for i in 0..<8 {
      let x = Float(i) / 8 - 0.5, y = Float(i % 3) / 5
      mu += [x, 0.3 * sin(Float(i)), 0.3 * cos(1.7 * Float(i)), y]  // four independent coordinates: a regression the seed passes
      cov += [0.01, 0, 0, 0.01, 0.02, 0, 0, 0.02]
      csv += "s,\(i),head,\(4 + i % 5),\(3 + i % 7)\n"
    }
    try LandmarkFile(
      mu: Tensor(mu, shape: [8, 2, 2]), covariance: Tensor(cov, shape: [8, 2, 2, 2]),
      sequence: [String](repeating: "s", count: 8), frame: (0..<8).map(Int64.init)
    ).write(to: lm)
    try Data(csv.utf8).write(to: URL(fileURLWithPath: dir + "/kp.csv"))
    var c = ModelConfig()
    (c.nLandmarks, c.imgSize, c.nsf, c.naf, c.ngc, c.nFilters, c.poseDecoderChannels, c.spadeHidden) =
      (2, 16, 2, 2, 4, 2, [4, 4, 4], 4)
    var modelRNG = SeededRNG(seed: 1)
    try LandmarkModel(config: c, rng: &modelRNG).save(to: ck, config: c.jsonString(), step: 0)
    try FileManager.default.createDirectory(atPath: dir + "/frames/s", withIntermediateDirectories: true)
    try writePNG(RGBImage(width: 16, height: 16), to: dir + "/frames/s/0000.png")
    let seeds = try [video, lm, ck].map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
    var rng = SeededRNG(seed: seed ^ 0x4844_4635)
    var read = 0, refused = 0
    var crashes: [String] = []
    let kept = NSTemporaryDirectory() + "lmlab-fuzz-crashes"
    func arguments(_ k: Int, _ p: String) -> [String] {
      switch k {
      case 0: return ["data", "inspect", p, "--sheet", dir + "/sheet.png"]
      case 1:
        return [
          "eval", "keypoints", "--train-landmarks", p, "--train-keypoints", dir + "/kp.csv", "--test-landmarks", p,
          "--test-keypoints", dir + "/kp.csv", "--image-size", "16",
        ]
      default: return ["encode", "--checkpoint", p, "--frames", dir + "/frames", "--out", dir + "/o.h5"]
      }
    }
    // Each command reads its unmutated seed: the round reaches the HDF5 readers (a renamed flag
    // would otherwise turn every case into a one-line "refusal").
    for (k, seedFile) in [video, lm, ck].enumerated() {
      let r = try runBounded(lmlab, arguments(k, seedFile), in: dir, memoryMB: 1536, seconds: 30, environment: ["LMLAB_REGISTRY": dir + "/reg.sqlite"])
      XCTAssertEqual(r.status, 0, "the unmutated seed fails `lmlab \(arguments(k, seedFile).prefix(2).joined(separator: " "))`: \(r) \(r.stderr)")
    }
    for n in 0..<Swift.max(1, cases / 4) {
      let k = rng.int(3)
      let p = dir + "/case-\(n).h5"
      try Data(mutate(seeds[k], &rng)).write(to: URL(fileURLWithPath: p))
      let args = arguments(k, p)
      func keep(_ what: String) {
        try? FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
        let keep = kept + "/seed\(seed)-case\(n)-\(["video", "landmarks", "checkpoint"][k]).h5"
        try? FileManager.default.removeItem(atPath: keep)
        try? FileManager.default.copyItem(atPath: p, toPath: keep)
        crashes.append("case \(n) (`lmlab \(args[0]) \(args[1])`): \(what), input kept at \(keep)")
      }
      let r: BoundedRun
      do {
        r = try runBounded(
          lmlab, args, in: dir, memoryMB: 1536, seconds: 30,
          environment: ["LMLAB_REGISTRY": dir + "/reg.sqlite", "SWIFT_BACKTRACE": "enable=no"])
      } catch is DeadlineExceeded {
        keep("still running after 30 s")
        continue
      }
      if r.signaled {
        keep("signal \(r.status)")
      } else if r.status == 0 {
        read += 1
      } else {
        refused += 1
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r)")
      }
      try? FileManager.default.removeItem(atPath: p)
    }
    print(
      "fuzz HDF5: \(Swift.max(1, cases / 4)) inputs as lmlab processes, \(read) read, \(refused) refused in one line, "
        + "\(crashes.count) crashed\(crashes.isEmpty ? "" : ":\n  " + crashes.joined(separator: "\n  "))")
    XCTAssertEqual(crashes, [], "lmlab crashed on mutated HDF5 files")
  }

  // MARK: YAML

  func testYAMLConfigsAndSweepSpecs() throws {
    let experiments = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Experiments").path
    let names = try FileManager.default.contentsOfDirectory(atPath: experiments).filter {
      $0.hasSuffix(".yaml")
    }.sorted()
    XCTAssertFalse(names.isEmpty, "no configs in \(experiments)")
    let texts = try names.map { try String(contentsOfFile: experiments + "/" + $0, encoding: .utf8) }
    let alphabet = Array("[]{}:-,&*!|>'\"#\n %@`?\t\\0123456789.eE+_abc~=")
    var rng = SeededRNG(seed: seed ^ 0x5941_4D4C)
    var loaded = 0
    var refused = 0
    for n in 0..<cases {
      let i = rng.int(texts.count)
      var t = Array(texts[i])
      for _ in 0...rng.int(8) {
        guard !t.isEmpty else { break }
        let j = rng.int(t.count)
        switch rng.int(6) {
        case 0: t.insert(rng.pick(alphabet), at: j)
        case 1: t.remove(at: j)
        case 2: t[j] = rng.pick(alphabet)
        case 3:
          t.insert(
            contentsOf: Array(repeating: rng.pick(["[", "{", "- ", "  "]), count: rng.int(200)).joined(),
            at: j)
        case 4:
          t.insert(
            contentsOf: rng.pick(["&a x", "*a", "!!binary AAAA", "!!python/object x", "<<: *a", "? x\n: y"]),
            at: j)
        default:
          let k = rng.int(t.count)
          t.insert(contentsOf: t[Swift.min(j, k)..<Swift.max(j, k)].prefix(200), at: j)
        }
      }
      let text = String(t)
      if names[i].hasSuffix(".sweep.yaml") {
        do {
          _ = try SweepSpec.parse(text, path: experiments + "/" + names[i])
          loaded += 1
        } catch is SweepSpecError { refused += 1 } catch is ConfigError { refused += 1 }
      } else {
        var c = ExperimentConfig()
        do {
          try ConfigLoader.apply(yaml: text, source: "case-\(n).yaml", to: &c)
          loaded += 1
        } catch is ConfigError { refused += 1 }
      }
    }
    print(
      "fuzz YAML: \(cases) inputs, \(loaded) loaded, \(refused) refused with ConfigError/SweepSpecError, 0 crashes"
    )
    XCTAssertGreaterThan(loaded, 0, "no mutated config loaded")
    XCTAssertGreaterThan(refused, 0, "no mutated config refused")
  }

  // MARK: --where / --sort

  func testWhereAndSortStrings() throws {
    let registry = try Registry(path: dir + "/reg.sqlite")
    for name in ["plain", "p_ain", "x%y"] {
      let h = try registry.startRun(
        RunSpec(name: name, kind: "k", params: [.int("n_landmarks", 10), .string("note", "a'b")]))
      try h.log("loss", step: 1, value: 0.5)
      try h.finish(.finished)
    }
    let words = [
      "id", "status", "name", "kind", "seed", "n_landmarks", "param.note", "metric.loss", "best.loss",
      "min.x", "experiment",
      "and", "or", "not", "(", ")", "=", "!=", "<", "<=", ">", ">=", "~", "!~", "==", "<>", "'p_ain'",
      "\"x\"", "'", "\"", "10",
      "-1e308", "1e309", "nan", "true", "false", "finished", "%", "_", "\\", ";", "--", "/*",
      "DROP TABLE runs", "\u{0}", "é",
    ]
    var rng = SeededRNG(seed: seed ^ 0x5748_4552)
    var parsed = 0
    var refused = 0
    for _ in 0..<cases {
      var text: String
      if rng.chance(0.5) {
        text = (0..<rng.int(24)).map { _ in rng.pick(words) }.joined(separator: rng.pick([" ", "", "  "]))
      } else {
        // Near-valid: comparisons joined by connectives, with random nesting.
        var e =
          "\(rng.pick(["id", "name", "n_landmarks", "metric.loss"])) \(rng.pick(["=", "~", ">", "!~"])) \(rng.pick(["1", "'p_ain'", "x", "0.5"]))"
        for _ in 0..<rng.int(80) {
          switch rng.int(3) {
          case 0: e = "(\(e))"
          case 1: e = "not \(e)"
          default: e += " \(rng.pick(["and", "or"])) seed > \(rng.int(9))"
          }
        }
        text = e
      }
      if rng.chance(0.2), !text.isEmpty {
        var c = Array(text)
        c[rng.int(c.count)] = rng.pick(Array("()'\"=~!<> \u{7}"))
        text = String(c)
      }
      do {
        let expr = try WhereExpr.parse(text)
        _ = try expr.sql()
        _ = try registry.listRuns(filter: expr, limit: 0)
        parsed += 1
      } catch is RegistryError {
        refused += 1
      }
      if let key = try? SortKey.parse(text) { _ = try? registry.listRuns(sort: [key], limit: 0) }
    }
    print(
      "fuzz --where: \(cases) inputs, \(parsed) parsed and run on SQLite, \(refused) refused with RegistryError, 0 crashes"
    )
    XCTAssertGreaterThan(parsed, 0, "no mutated --where parsed")
    XCTAssertGreaterThan(refused, 0, "no mutated --where refused")
  }
}
