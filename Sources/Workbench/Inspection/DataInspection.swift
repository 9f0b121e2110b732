// `lmlab data synth` and `lmlab data inspect` in library form: make a synthetic set, and
// summarize a dataset (sequences, frames, size, splits, keypoint coverage) with a contact sheet
// of frames and their keypoints.
import Datasets
import Foundation
import Imaging
import SafeIO

public enum DataTools {
  /// Writes a synthetic set as a new folder `dir`: staged beside it and renamed into place when
  /// complete, so an interrupted or failed write leaves no folder that reads as a data set. A
  /// non-empty `dir` is refused unless `force` (then replaced once the new set is complete).
  /// SIGINT/SIGTERM stop the write between frames (`DatasetError.interrupted`) and remove the
  /// staging folder. Returns (frames written, seconds).
  public static func synthesize(
    _ spec: SyntheticSpec, to dir: String, force: Bool = false, progress: ((Int, Int) -> Void)? = nil
  ) throws -> (frames: Int, seconds: Double) {
    let t0 = Date()
    try spec.validate()
    try OutputFolder.check(dir, command: "data synth", force: force, policy: .refuseNonEmpty)
    let set = try SyntheticVideoSet(spec)
    let previous = StopSignals.install()
    defer { StopSignals.restore(previous) }
    _ = try OutputFolder.write(to: dir, command: "data synth", force: force, policy: .refuseNonEmpty) { folder in
      try set.write(to: folder.staging, progress: progress) { StopSignals.received.map(StopSignals.name) }
    }
    return (set.totalFrames, Date().timeIntervalSince(t0))
  }

  /// Opens a frame folder (a directory) or an HDF5 video array (a file).
  /// `synthesize` from plain numbers (the CLI imports Workbench only).
  public static func synthesize(
    sequences: Int, frames: Int, size: Int, seed: UInt64, to dir: String, force: Bool = false
  ) throws -> (frames: Int, seconds: Double) {
    try synthesize(SyntheticSpec(sequences: sequences, frames: frames, size: size, seed: seed), to: dir, force: force)
  }

  /// The signal that stopped a `synthesize` (nil: `error` is another error).
  public static func interruption(_ error: Error) -> String? {
    if case DatasetError.interrupted(let why) = error { return why }
    return nil
  }

  /// Writes a summary's contact sheet as PNG.
  public static func writeSheet(_ summary: Summary, to path: String) throws { try writePNG(summary.sheet, to: path) }

  public static func open(_ path: String) throws -> VideoSource { try DataConfig.open(path: path) }

  public struct Summary {
    public var lines: [String]
    public var sheet: RGBImage
  }

  /// Summary lines and a contact sheet (up to `rows` sequences × `columns` frames, evenly spaced,
  /// keypoints drawn as coloured dots). `verify` decodes every frame first. `split` limits the
  /// frame counts, keypoint coverage and sheet to that split (one the source lacks is an error).
  public static func inspect(
    _ source: VideoSource, split: String? = nil, rows: Int = 8, columns: Int = 6, verify: Bool = false
  ) throws -> Summary {
    if verify, let f = source as? FrameFolderDataset { try f.verifyAllFrames() }
    let chosen = try source.sequences(inSplit: split)
    guard !chosen.isEmpty else { throw DatasetError.invalidArgument("\(source.location): split '\(split ?? "")' holds no sequence") }
    var lines: [String] = []
    let counts = (0..<source.sequenceCount).map { source.frameCount(sequence: $0) }
    let chosenCounts = chosen.map { counts[$0] }
    lines.append("dataset:    \(source.location)")
    lines.append("sequences:  \(source.sequenceCount)" + (split.map { ", \(chosen.count) in split '\($0)' (below)" } ?? ""))
    lines.append(
      "frames:     \(chosenCounts.reduce(0, +)) total, \(chosenCounts.min() ?? 0)–\(chosenCounts.max() ?? 0) per sequence")
    lines.append("size:       \(source.width)×\(source.height)")
    if let splits = source.splits {
      let parts = splits.keys.sorted().map { k -> String in
        let seqs = splits[k] ?? []
        return "\(k) \(seqs.count) seq / \(seqs.reduce(0) { $0 + counts[$1] }) frames"
      }
      lines.append("splits:     " + parts.joined(separator: ", ") + " (from \(source.splitOrigin ?? "?"))")
      let unassigned = source.sequenceCount - Set(splits.values.flatMap { $0 }).count
      if unassigned > 0 { lines.append("            \(unassigned) sequences in no split") }
    } else {
      // Said as plainly as training and predict say it: nothing is held out.
      lines.append("splits:     none: no held-out split (\(source.splitHint))")
    }
    if let kp = source.keypoints {
      var framesWith = 0, points = 0, inside = 0
      for s in chosen {
        for t in 0..<counts[s] {
          guard let p = kp.keypoints(sequence: source.sequenceNames[s], frame: source.frameNumber(sequence: s, index: t)) else { continue }
          framesWith += 1
          for q in p where !q.x.isNaN {
            points += 1
            if q.x >= -0.5 && q.y >= -0.5 && q.x <= Float(source.width) - 0.5 && q.y <= Float(source.height) - 0.5 { inside += 1 }
          }
        }
      }
      let total = chosenCounts.reduce(0, +)
      lines.append("keypoints:  \(kp.names.count) (\(kp.names.joined(separator: ", ")))")
      lines.append(String(format: "coverage:   %d/%d frames (%.1f%%), %d points, %.1f%% inside the frame",
        framesWith, total, 100 * Double(framesWith) / Double(Swift.max(total, 1)), points, 100 * Double(inside) / Double(Swift.max(points, 1))))
    } else {
      lines.append("keypoints:  none (no keypoints.csv)")
    }
    // Contact sheet.
    let scale = source.width <= 64 ? 2 : 1
    var tiles: [RGBImage] = []
    let seqs = Array(chosen.prefix(rows))
    for s in seqs {
      let n = counts[s]
      for c in 0..<columns {
        let t = columns > 1 ? (n - 1) * c / (columns - 1) : 0
        var im = try source.frame(sequence: s, index: t).upscaled(scale)
        if let p = source.keypoints?.keypoints(sequence: source.sequenceNames[s], frame: source.frameNumber(sequence: s, index: t)) {
          for (k, q) in p.enumerated() where !q.x.isNaN {
            let x = (q.x + 0.5) * Float(scale) - 0.5, y = (q.y + 0.5) * Float(scale) - 0.5
            im.fillCircle(cx: x, cy: y, radius: 2.2, color: .black)
            im.fillCircle(cx: x, cy: y, radius: 1.5, color: RGBColor.keypoint(k))
          }
        }
        tiles.append(im)
      }
    }
    return Summary(lines: lines, sheet: filmstrip(tiles, columns: columns, gap: 2))
  }
}
