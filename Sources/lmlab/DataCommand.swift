// `lmlab data synth|inspect`: make a synthetic video set; summarize a dataset with a contact sheet.
import ArgumentParser
import Foundation
import Workbench

struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data", abstract: "Make and inspect video datasets (frame folders, HDF5 video arrays).",
    subcommands: [DataSynth.self, DataInspect.self])
}

struct DataSynth: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "synth", abstract: "Write synthetic articulated-figure videos with keypoints.csv and manifest.json.")

  @Option(help: "Output directory (frame folders DIR/<sequence>/<frame>.png).") var out: String
  @Option(help: "Number of sequences (two per appearance; test/val appearances unseen in train).") var sequences = 40
  @Option(help: "Frames per sequence.") var frames = 100
  @Option(help: "Frame size S (S×S pixels).") var size = 64
  @Option(help: "Random seed: same seed, same bytes.") var seed: UInt64 = 0
  @Flag(help: "Replace --out even when it holds files (by default a non-empty folder is refused).") var force = false

  func validate() throws {
    guard sequences >= 1, frames >= 1 else { throw ValidationError("--sequences and --frames must be ≥ 1") }
    guard size >= 16 else { throw ValidationError("--size must be ≥ 16") }
  }

  func run() throws {
    let r: (frames: Int, seconds: Double)
    do {
      r = try DataTools.synthesize(sequences: sequences, frames: frames, size: size, seed: seed, to: out, force: force)
    } catch let e where DataTools.interruption(e) != nil {
      print("data synth: interrupted by \(DataTools.interruption(e)!); nothing written to \(out)")
      throw ExitCode(130)
    }
    print(String(format: "wrote %d sequences × %d frames (%d×%d) to %@ in %.2f s (%.0f frames/s)",
      sequences, frames, size, size, out, r.seconds, Double(r.frames) / r.seconds))
  }
}

struct DataInspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect", abstract: "Sequences, frames, size, splits, keypoint coverage, and a contact sheet PNG.")

  @Argument(help: "A frame-folder directory or an HDF5 video-array file.") var path: String
  @Option(help: "Contact sheet output (default: <path>_contact.png next to the dataset).") var sheet: String?
  @Option(help: "Sequences (rows) on the contact sheet.") var rows = 8
  @Option(help: "Frames (columns) per sequence on the contact sheet.") var columns = 6
  @Flag(help: "Decode every frame (finds truncated files).") var verify = false
  @Option(help: "Count and show only this split's sequences (a split the data does not define is an error).")
  var split: String?

  func run() throws {
    let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
    let out = sheet ?? (trimmed + "_contact.png")
    try OutputFiles.check(out, option: sheet == nil ? "contact sheet" : "--sheet")
    let source = try DataTools.open(path)
    let summary = try DataTools.inspect(source, split: split, rows: rows, columns: columns, verify: verify)
    summary.lines.forEach { print($0) }
    try DataTools.writeSheet(summary, to: out)
    print("contact sheet: \(out)")
  }
}
