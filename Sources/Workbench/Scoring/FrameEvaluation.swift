// `lmlab eval frames`: scores predicted frames against reference frames (two folders in the
// DESIGN §4 layout, matched one to one) with PSNR, SSIM and LPIPS; per-frame results for the
// CSV `method,sequence,frame,metric,value`, and means per frame index and overall.
import Dispatch
import FeatureNetworks
import Foundation
import Imaging
import EvalMetrics
import Registry
import Reports
import SafeIO
import TensorEngine

/// The metrics `lmlab eval frames` offers (CLI names).
public enum FrameMetric: String, CaseIterable, Sendable {
  case psnr
  case ssim
  case ssimUniform = "ssim-uniform"
  case lpipsAlex = "lpips-alex"
  case lpipsVGG = "lpips-vgg"
  case lpipsSqueeze = "lpips-squeeze"
  /// The LPIPS recipe over ImageNet EfficientNet-Lite0 features, uniform layer weights (uncalibrated).
  case effnetDist = "effnet-lite0-dist"

  static func lpips(_ net: LPIPSNet) -> FrameMetric {
    switch net {
    case .alex: return .lpipsAlex
    case .vgg: return .lpipsVGG
    case .squeeze: return .lpipsSqueeze
    }
  }

  var lpipsNet: LPIPSNet? {
    switch self {
    case .lpipsAlex: return .alex
    case .lpipsVGG: return .vgg
    case .lpipsSqueeze: return .squeeze
    default: return nil
    }
  }

  /// Parses a comma-separated list ("psnr,ssim,lpips-alex").
  public static func parseList(_ text: String) throws -> [FrameMetric] {
    try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
      guard let m = FrameMetric(rawValue: $0) else {
        throw EvalError.unknownMetric(name: $0, known: FrameMetric.allCases.map(\.rawValue))
      }
      return m
    }
  }
}

/// Per-frame scores of one evaluation.
public struct FrameEvaluation {
  public var method: String
  public var pairs: [FramePair]
  /// Metric names in output order (as results name them: "lpips-alex-randombackbone", ...).
  public var metricNames: [String]
  public var versions: [String: String]
  public var directions: [String: MetricDirection]
  /// metric name → one value per pair.
  public var values: [String: [Double]]

  /// The per-frame CSV (`method,sequence,frame,metric,value`, one row per value).
  public func csv() -> String { table().render() }

  /// The per-frame rows, for callers that add rows of their own.
  func table() -> PerFrameCSV {
    var out = PerFrameCSV()
    for (i, p) in pairs.enumerated() {
      for m in metricNames { out.append(method: method, sequence: p.sequence, frame: p.frame, metric: m, value: values[m]![i]) }
    }
    return out
  }

  /// A summary: what was scored, each metric's mean per frame index and overall.
  public func summary() -> String {
    let sequences = Set(pairs.map(\.sequence)).count
    var lines = ["scored \(pairs.count) frame pairs in \(sequences) sequence(s), method `\(method)`"]
    for m in metricNames { lines.append("  \(m): \(versions[m] ?? "") (\(directions[m]?.rawValue ?? ""))") }
    let frames = Set(pairs.map(\.frame)).sorted()
    let width = Swift.max(12, metricNames.map(\.count).max() ?? 12) + 2
    func pad(_ s: String) -> String { String(repeating: " ", count: Swift.max(0, width - s.count)) + s }
    lines.append(pad("frame") + pad("n") + metricNames.map(pad).joined())
    var byFrame: [Int: [Int]] = [:]
    for (i, p) in pairs.enumerated() { byFrame[p.frame, default: []].append(i) }
    for f in frames {
      let idx = byFrame[f]!
      let means = metricNames.map { m in idx.map { values[m]![$0] }.reduce(0, +) / Double(idx.count) }
      lines.append(pad("\(f)") + pad("\(idx.count)") + means.map { pad(String(format: "%.5f", $0)) }.joined())
    }
    let overall = metricNames.map { m in values[m]!.reduce(0, +) / Double(Swift.max(pairs.count, 1)) }
    lines.append(pad("all") + pad("\(pairs.count)") + overall.map { pad(String(format: "%.5f", $0)) }.joined())
    return lines.joined(separator: "\n")
  }
}

/// Scores every matched frame pair of two folders.
/// - Parameters:
///   - lpipsWeights: a weights file or a folder of lpips_<net>.h5 (see `LPIPSModel.locate`).
///   - batch: frame pairs decoded and scored together.
///   - progress: called after each batch with the number of pairs scored so far.
/// - Throws: `EvalError` naming the file for unmatched frames, size or channel mismatches and
///   unreadable PNGs; `MetricsError` when LPIPS weights are missing or wrong. Nothing is skipped.
public func evaluateFrames(
  reference: String, predicted: String, method: String, metrics: [FrameMetric], lpipsWeights: String? = nil,
  batch: Int = 64, progress: ((Int) -> Void)? = nil
) throws -> FrameEvaluation {
  precondition(!metrics.isEmpty && batch > 0, "evaluateFrames: no metrics or batch \(batch)")
  let pairs = try matchFramePairs(reference: reference, predicted: predicted)
  // Weights first: a missing file fails before any decoding.
  var models: [FrameMetric: LPIPSModel] = [:]
  for m in metrics {
    if let net = m.lpipsNet { models[m] = try LPIPSModel(contentsOf: try LPIPSModel.locate(net: net, explicit: lpipsWeights), net: net) }
  }
  let effnet = metrics.contains(.effnetDist) ? try EfficientNetLite0Weights.loadCached() : nil
  // Headers: sizes and color kinds agree pairwise.
  var sizes: [(Int, Int)] = []
  for p in pairs {
    let r = try pngHeader(p.reference), q = try pngHeader(p.predicted)
    guard r.width == q.width && r.height == q.height else {
      throw EvalError.sizeMismatch(reference: p.reference, predicted: p.predicted, detail: "\(q.width)×\(q.height) vs \(r.width)×\(r.height)")
    }
    guard r.kind == q.kind else {
      throw EvalError.channelMismatch(reference: p.reference, predicted: p.predicted, detail: "\(q.kind) vs \(r.kind)")
    }
    sizes.append((r.width, r.height))
  }
  var names: [String] = [], versions: [String: String] = [:], directions: [String: MetricDirection] = [:]
  var values: [String: [Double]] = [:]
  var start = 0
  while start < pairs.count {
    // A batch: consecutive pairs of one size, as many as fit in half the memory available.
    let (w, h) = sizes[start]
    let pairBytes = 2 * (ImageLimits.decodedBytes(width: w, height: h) + 3 * w * h * 4)
    var fit = batch
    if pairBytes * batch > 64 << 20 {
      let available = MemoryBudget.available() / 2
      guard pairBytes <= available else {
        throw EvalError.refused(
          path: pairs[start].reference,
          detail: "frames of \(w)×\(h) pixels: a pair takes \(byteCount(Double(pairBytes))) to score, more than the \(byteCount(Double(available))) of memory available")
      }
      fit = Swift.max(1, Swift.min(batch, available / pairBytes))
    }
    var end = start + 1
    while end < pairs.count && end - start < fit && sizes[end] == sizes[start] { end += 1 }
    let (ref, pred) = try decodeBatch(Array(pairs[start..<end]), width: w, height: h)
    for m in metrics {
      let scores: FrameScores
      switch m {
      case .psnr: scores = psnrDecibels(reference: ref, predicted: pred)
      case .ssim: scores = ssimSimilarity(reference: ref, predicted: pred)
      case .ssimUniform: scores = ssimSimilarity(reference: ref, predicted: pred, window: .skimageDefault)
      case .lpipsAlex, .lpipsVGG, .lpipsSqueeze: scores = lpipsDistance(reference: ref, predicted: pred, model: models[m]!)
      case .effnetDist: scores = effnetLite0Distance(reference: ref, predicted: pred, range: .zeroToOne, network: effnet!)
      }
      if values[scores.metric] == nil {
        names.append(scores.metric)
        versions[scores.metric] = scores.version
        directions[scores.metric] = scores.direction
      }
      values[scores.metric, default: []] += scores.values
    }
    start = end
    progress?(end)
  }
  return FrameEvaluation(
    method: method, pairs: pairs, metricNames: names, versions: versions, directions: directions, values: values)
}

/// Decodes a batch of pairs (all w×h) on all cores into two [n, 3, h, w] tensors in [0, 1].
func decodeBatch(_ pairs: [FramePair], width w: Int, height h: Int) throws -> (Tensor, Tensor) {
  let n = pairs.count
  let plane = 3 * w * h
  let ref = Tensor(zeros: [n, 3, h, w]), pred = Tensor(zeros: [n, 3, h, w])
  let errors = ErrorSlots(2 * n)
  DispatchQueue.concurrentPerform(iterations: 2 * n) { k in
    let (i, isPred) = (k / 2, k % 2 == 1)
    let path = isPred ? pairs[i].predicted : pairs[i].reference
    do {
      let img = try readPNG(path)
      guard img.width == w && img.height == h else {
        throw EvalError.sizeMismatch(reference: pairs[i].reference, predicted: path, detail: "decoded \(img.width)×\(img.height), expected \(w)×\(h)")
      }
      let dst = (isPred ? pred : ref).data + i * plane
      img.pixels.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: plane) }
    } catch let e as EvalError {
      errors.set(k, e)
    } catch let e as ImagingError {
      switch e {
      case .tooLarge(let p, let d), .notAFile(let p, let d): errors.set(k, EvalError.refused(path: p, detail: d))
      default: errors.set(k, EvalError.unreadableImage(path: path, detail: "\(e)"))
      }
    } catch {
      errors.set(k, EvalError.unreadableImage(path: path, detail: "\(error)"))
    }
  }
  if let e = errors.first { throw e }
  return (ref, pred)
}

/// Per-task error slots written from concurrent tasks (each task owns its slot).
private final class ErrorSlots: @unchecked Sendable {
  private var slots: [Error?]
  private let lock = NSLock()
  init(_ n: Int) { slots = Array(repeating: nil, count: n) }
  func set(_ i: Int, _ e: Error) {
    lock.lock()
    slots[i] = e
    lock.unlock()
  }
  var first: Error? { slots.lazy.compactMap { $0 }.first }
}
