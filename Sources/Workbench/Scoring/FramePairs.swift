// Matching two frame folders (DESIGN §4: DIR/<sequence>/<frame>.png, frames sorted by the
// number in their name; listed by Datasets' FrameFolderListing) one to one by sequence and frame
// number. Anything unmatched is an error naming the file; nothing is skipped.
import Datasets
import Foundation
import Imaging

/// One reference/predicted frame pair.
public struct FramePair: Sendable, Equatable {
  public var sequence: String
  public var frame: Int
  public var reference: String
  public var predicted: String
}

/// Frames of one folder (read by Datasets' `FrameFolderListing`, the one reader of the layout):
/// sequence → frame number → path. `keepEmpty` keeps sequence folders without frames (imports
/// report them as that sequence's problem).
func listFrames(_ root: String, keepEmpty: Bool = false) throws -> [String: [Int: String]] {
  let listing: FrameFolderListing
  do {
    listing = try FrameFolderListing(root: root)
  } catch DatasetError.notADirectory {
    throw EvalError.notAFolder(path: root)
  }
  var out = listing.byNumber
  if keepEmpty { for s in listing.sequences where s.frames.isEmpty { out[s.name] = [:] } }
  guard out.values.contains(where: { !$0.isEmpty }) else { throw EvalError.noFrames(path: root) }
  return out
}

/// Pairs every frame of `reference` with the same sequence/frame of `predicted`, sorted by
/// sequence then frame. Throws on the first frame (in that order) either folder lacks.
public func matchFramePairs(reference: String, predicted: String) throws -> [FramePair] {
  let ref = try listFrames(reference), pred = try listFrames(predicted)
  var pairs: [FramePair] = []
  for seq in Set(ref.keys).union(pred.keys).sorted() {
    let r = ref[seq] ?? [:], p = pred[seq] ?? [:]
    for f in Set(r.keys).union(p.keys).sorted() {
      switch (r[f], p[f]) {
      case let (a?, b?): pairs.append(FramePair(sequence: seq, frame: f, reference: a, predicted: b))
      case let (a?, nil): throw EvalError.missingFrame(present: a, absentFolder: predicted, sequence: seq, frame: f)
      case let (nil, b?): throw EvalError.missingFrame(present: b, absentFolder: reference, sequence: seq, frame: f)
      default: break
      }
    }
  }
  return pairs
}

/// Width, height and color kind ("gray" or "color") from a PNG's IHDR chunk.
func pngHeader(_ path: String) throws -> (width: Int, height: Int, kind: String) {
  do {
    let h = try PNGHeader.read(path)
    return (h.width, h.height, h.isColor ? "color" : "gray")
  } catch DatasetError.image(let e) {
    switch e {
    case .tooLarge(let p, let d), .notAFile(let p, let d): throw EvalError.refused(path: p, detail: d)
    default: throw EvalError.unreadableImage(path: path, detail: "\(e)".replacingOccurrences(of: path + ": ", with: ""))
    }
  } catch let e as DatasetError {
    throw EvalError.unreadableImage(path: path, detail: "\(e)".replacingOccurrences(of: path + ": ", with: ""))
  }
}
