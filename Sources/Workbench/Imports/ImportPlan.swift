// ImportPlan: which imported predicted frame is scored against which reference frame, with
// every input checked before anything is written or registered. The rules (the command's help
// says the same):
//   - the reference is a frame folder REF/<sequence>/<frame>.png; its frames of a sequence are
//     taken in order of the number in their names; the first `context` of them are context
//     (never predicted, never scored);
//   - predictions are a frame folder DIR/<sequence>/<frame>.png named with the numbers of the
//     reference frames they predict, or an HDF5 video array (uint8 [N, T, H, W, C], optional
//     `sequence` names, else video_00000, ...) whose frame t predicts the reference frame at
//     position context + t;
//   - the sequences must be the same (by name); the horizon H is the longest run of predictions
//     of any sequence, and each sequence's reference frames at positions context ..< context + H
//     (fewer where the sequence ends sooner) must all be predicted: horizon step k (1-based) is
//     the reference frame at position context + k - 1;
//   - a prediction of a context frame or of a frame the reference lacks, a non-PNG file in a
//     sequence folder, and a frame whose size or colour kind differs from its reference frame
//     are refused.
import Datasets
import Foundation

/// Where an imported predicted frame's pixels are.
enum PredictedSource: Equatable {
  /// A PNG of a frame folder.
  case file(String)
  /// Frame `t` of video `video` of the plan's video array.
  case video(video: Int, t: Int)
}

/// One frame to score: a reference frame and its prediction.
struct ImportedFrame {
  var sequence: String
  /// The reference frame's number (both staged PNGs are named by it).
  var frame: Int
  /// 1-based horizon step.
  var index: Int
  var reference: String
  var predicted: PredictedSource
}

struct ImportPlan {
  enum Format: String {
    case frames
    case videoArray = "video-array"
  }

  var format: Format
  /// Sorted by sequence, then horizon step.
  var frames: [ImportedFrame]
  var sequences: [String]
  /// The longest run of predictions of any sequence.
  var horizon: Int
  /// The open video array (format .videoArray only).
  var video: VideoArrayDataset?

  /// Matches `dir` (frame folder or video array file) with the frame folder `reference`.
  /// - Throws: `ImportError` or `EvalError` naming the option, file, sequence or frame at fault;
  ///   `DatasetError` for a file that is not a readable video array.
  static func make(dir: String, reference: String, context n: Int) throws -> ImportPlan {
    precondition(n >= 0, "ImportPlan: context \(n)")
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: reference, isDirectory: &isDir) else {
      throw ImportError.option(name: "--reference", value: reference, reason: "no such folder")
    }
    guard isDir.boolValue else {
      throw ImportError.option(
        name: "--reference", value: reference, reason: "not a folder (expected REF/<sequence>/<frame>.png)")
    }
    guard fm.fileExists(atPath: dir, isDirectory: &isDir) else {
      throw ImportError.option(name: "--dir", value: dir, reason: "no such folder or file")
    }
    let ref = try listFrames(reference, keepEmpty: true)
    let refNumbers = ref.mapValues { $0.keys.sorted() }
    // Sequences in name order throughout: a message names the first problem, always the same one.
    for (s, numbers) in refNumbers.sorted(by: { $0.key < $1.key }) where numbers.count <= n {
      throw ImportError.frame(
        path: (reference as NSString).appendingPathComponent(s),
        reason:
          "sequence `\(s)` has \(numbers.count) frame(s), none after the \(n) context frame(s) of --context \(n)"
      )
    }

    var plan: ImportPlan
    if isDir.boolValue {
      let pred = try listFrames(dir, keepEmpty: true)
      try checkSameSequences(Array(pred.keys), Array(ref.keys), dir: dir, reference: reference)
      var positioned: [String: [(position: Int, path: String)]] = [:]
      for (s, frames) in pred.sorted(by: { $0.key < $1.key }) {
        let position = Dictionary(uniqueKeysWithValues: refNumbers[s]!.enumerated().map { ($1, $0) })
        for (f, path) in frames.sorted(by: { $0.key < $1.key }) {
          guard let p = position[f] else {
            let have = refNumbers[s]!
            throw ImportError.frame(
              path: path,
              reason:
                "frame \(f) of sequence `\(s)` is not in the reference (\(reference)/\(s) holds frames \(have.first!)–\(have.last!)); "
                + "predicted frames are named with the numbers of the reference frames they predict")
          }
          guard p >= n else {
            throw ImportError.frame(
              path: path,
              reason:
                "frame \(f) of sequence `\(s)` is context (position \(p + 1) of the reference's frames; --context \(n)): "
                + "context frames are not scored, so none may be predicted")
          }
          positioned[s, default: []].append((p, path))
        }
      }
      let horizon = positioned.values.map(\.count).max() ?? 0
      plan = ImportPlan(
        format: .frames, frames: [], sequences: ref.keys.sorted(), horizon: horizon, video: nil)
      for s in plan.sequences {
        let numbers = refNumbers[s]!
        let have = Dictionary(uniqueKeysWithValues: (positioned[s] ?? []).map { ($0.position, $0.path) })
        let range = n..<Swift.min(numbers.count, n + horizon)
        for p in range {
          guard let path = have[p] else {
            throw ImportError.missingFrame(
              reference: ref[s]![numbers[p]]!, dir: dir, sequence: s, frame: numbers[p], index: p - n + 1)
          }
          plan.frames.append(
            ImportedFrame(
              sequence: s, frame: numbers[p], index: p - n + 1, reference: ref[s]![numbers[p]]!,
              predicted: .file(path)))
        }
        // Every prediction lies in the range just filled (else a frame of the range is missing).
        precondition(have.count == range.count, "ImportPlan: unplaced predictions in \(s)")
      }
    } else {
      let video = try VideoArrayDataset(path: dir, cacheBytes: 0)
      let names = video.sequenceNames
      if let twice = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
        throw ImportError.frame(path: dir, reason: "`sequence` names `\(twice)` more than once")
      }
      try checkSameSequences(names, Array(ref.keys), dir: dir, reference: reference)
      plan = ImportPlan(
        format: .videoArray, frames: [], sequences: ref.keys.sorted(), horizon: video.frames, video: video)
      let row = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
      for s in plan.sequences {
        let numbers = refNumbers[s]!
        guard n + video.frames <= numbers.count else {
          throw ImportError.frame(
            path: dir,
            reason:
              "video `\(s)` holds \(video.frames) predicted frames, but \(reference)/\(s) has only \(numbers.count - n) "
              + "after --context \(n): frames past its end cannot be scored")
        }
        for t in 0..<video.frames {
          let f = numbers[n + t]
          plan.frames.append(
            ImportedFrame(
              sequence: s, frame: f, index: t + 1, reference: ref[s]![f]!,
              predicted: .video(video: row[s]!, t: t)))
        }
      }
    }
    try plan.checkSizes(dir: dir)
    return plan
  }

  /// Refuses different sequence sets, naming what is only on one side.
  static func checkSameSequences(
    _ predicted: [String], _ reference: [String], dir: String, reference refPath: String
  ) throws {
    let p = Set(predicted)
    let r = Set(reference)
    guard p != r else { return }
    throw ImportError.sequences(
      dir: dir, reference: refPath, dirCount: p.count, referenceCount: r.count,
      onlyInDir: p.subtracting(r).sorted(),
      onlyInReference: r.subtracting(p).sorted())
  }

  /// Each prediction has its reference frame's size and colour kind (PNG headers only).
  func checkSizes(dir: String) throws {
    for f in frames {
      let r = try pngHeader(f.reference)
      let (w, h, kind, path): (Int, Int, String, String)
      switch f.predicted {
      case .file(let p):
        let q = try pngHeader(p)
        (w, h, kind, path) = (q.width, q.height, q.kind, p)
      case .video(_, let t):
        // Array frames are staged as RGB PNGs.
        (w, h, kind, path) = (
          video!.width, video!.height, "color", "\(dir) (video `\(f.sequence)`, frame \(t))"
        )
      }
      guard w == r.width && h == r.height else {
        throw EvalError.sizeMismatch(
          reference: f.reference, predicted: path, detail: "\(w)×\(h) vs \(r.width)×\(r.height)")
      }
      guard kind == r.kind else {
        throw EvalError.channelMismatch(
          reference: f.reference, predicted: path, detail: "\(kind) vs \(r.kind)")
      }
    }
  }
}
