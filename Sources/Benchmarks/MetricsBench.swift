// `lmlab bench metrics`: frames per second of PSNR, SSIM (both windows), each LPIPS backbone and
// effnet-lite0-dist at 64 and 128 px on `--threads` workers, over synthetic frame pairs (speed
// does not depend on content); after ours at each size, the reference side on the same batch
// sizes and thread count (Experiments/tools/bench_metrics.py: scikit-image, the `lpips` package,
// effnet-lite0-dist in PyTorch) and the ratios.
import Workbench
import Dispatch
import FeatureNetworks
import Foundation
import EvalMetrics
import TensorEngine

public enum MetricsBench {
  public struct Row {
    public var metric: String
    /// The key the reference side reports it under (psnr, ssim, ssim-uniform, lpips-alex, ...).
    public var key: String
    public var size: Int
    public var framesPerSecond: Double
    /// Frames per second of process CPU time (all threads): what the machine's other load
    /// cannot distort; × cores ≈ the wall rate on an idle machine.
    public var framesPerCPUSecond: Double
    /// Frames scored per timed call.
    public var batch: Int
    public var calls: Int
  }

  /// Frames per call of each metric at `size`, on both sides.
  public static func batches(size s: Int) -> [String: Int] {
    let small = s <= 64
    return [
      "psnr": small ? 512 : 256, "ssim": small ? 512 : 256, "ssim-uniform": small ? 512 : 256,
      "lpips-alex": small ? 256 : 64, "lpips-vgg": small ? 32 : 8, "lpips-squeeze": small ? 128 : 32,
      "effnet-lite0-dist": small ? 32 : 8,
    ]
  }

  /// Smooth pseudo-random frames [n, 3, s, s] in [0, 1] and a noisy copy.
  public static func frames(_ n: Int, _ s: Int) -> (Tensor, Tensor) {
    var a = [Float](repeating: 0, count: n * 3 * s * s)
    var b = a
    var state: UInt32 = 12345
    for i in 0..<a.count {
      state = state &* 1_664_525 &+ 1_013_904_223
      let x = i % s, y = (i / s) % s, plane = i / (s * s)
      let v = 0.5 + 0.35 * sin(Float(x) * 0.21 + Float(plane)) * cos(Float(y) * 0.17)
      a[i] = v
      b[i] = Swift.min(1, Swift.max(0, v + (Float(state >> 8) / Float(1 << 24) - 0.5) * 0.1))
    }
    return (Tensor(a, shape: [n, 3, s, s]), Tensor(b, shape: [n, 3, s, s]))
  }

  /// Process CPU seconds (all threads).
  static func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  /// Runs `body` (which scores `batch` frames) once to warm up, then until at least
  /// `minSeconds` have passed and 3 calls; returns frames per wall second (the median call),
  /// frames per CPU second (over all calls) and the number of calls.
  static func fps(batch: Int, minSeconds: Double, _ body: () -> Void) -> (Double, Double, Int) {
    body()  // warm-up
    var times: [Double] = []
    let t0 = DispatchTime.now().uptimeNanoseconds
    let c0 = cpuSeconds()
    repeat {
      let t = DispatchTime.now().uptimeNanoseconds
      body()
      times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
    } while Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 < minSeconds || times.count < 3
    let cpu = cpuSeconds() - c0
    return (Double(batch) / BenchInfo.median(times), Double(batch * times.count) / cpu, times.count)
  }

  /// The EfficientNet-Lite0 ours uses: the cached ImageNet weights, else random ones (same speed).
  static func effnet() -> (EfficientNetLite0, String) {
    do {
      return (try EfficientNetLite0Weights.loadCached(), "ImageNet (weights cache)")
    } catch {
      return (EfficientNetLite0(seed: 1), "random (\(error))")
    }
  }

  /// Measures every metric at `size`; LPIPS uses the weights in `lpipsWeights` (file per net or
  /// folder) when found, else random weights of the same architecture (same speed).
  static func measure(size s: Int, minSeconds: Double, lpipsWeights: String?, notes: inout [String]) -> [Row] {
    var rows: [Row] = []
    let sizes = batches(size: s)
    func add(_ name: String, _ key: String, _ body: () -> Void) {
      let batch = sizes[key]!
      let (wall, cpu, calls) = fps(batch: batch, minSeconds: minSeconds, body)
      rows.append(Row(metric: name, key: key, size: s, framesPerSecond: wall, framesPerCPUSecond: cpu, batch: batch, calls: calls))
    }
    let (a, b) = frames(sizes["psnr"]!, s)
    add("psnr", "psnr") { _ = psnrDecibels(reference: a, predicted: b) }
    add("ssim (gaussian 1.5)", "ssim") { _ = ssimSimilarity(reference: a, predicted: b) }
    add("ssim-uniform (7x7)", "ssim-uniform") { _ = ssimSimilarity(reference: a, predicted: b, window: .skimageDefault) }
    for net in LPIPSNet.allCases {
      let model: LPIPSModel
      if let path = try? LPIPSModel.locate(net: net, explicit: lpipsWeights), let m = try? LPIPSModel(contentsOf: path, net: net) {
        model = m
      } else {
        model = LPIPSModel.speedTestModel(net: net)
      }
      let key = "lpips-\(net.rawValue)"
      let (ra, rb) = frames(sizes[key]!, s)
      add(model.metricName, key) { _ = lpipsDistance(reference: ra, predicted: rb, model: model) }
    }
    let (network, weights) = effnet()
    if !notes.contains(where: { $0.hasPrefix("effnet-lite0-dist ours:") }) { notes.append("effnet-lite0-dist ours: \(weights) weights") }
    let (ea, eb) = frames(sizes["effnet-lite0-dist"]!, s)
    add(network.isPretrained ? EffNetDistance.metricName : EffNetDistance.randomBackboneName, "effnet-lite0-dist") {
      _ = effnetLite0Distance(reference: ea, predicted: eb, range: .zeroToOne, network: network)
    }
    return rows
  }

  /// The table: ours at each size, then the reference side on the same batches, and ratios.
  public static func run(
    sizes: [Int] = [64, 128], minSeconds: Double = 2, lpipsWeights: String? = nil, threads: BenchThreads,
    reference: ReferenceSide, report out: (String) -> Void
  ) -> [Row] {
    BenchInfo.header("metrics benchmark", threads: threads, reference: reference, print: out)
    out("metric workers: \(metricWorkers) (frames split over workers, one BLAS and engine thread each); scikit-image is")
    out("single-threaded: its pairs are split over \(threads.requested) worker processes; lpips and effnet in PyTorch on")
    out("\(threads.requested) threads. frames/s = batch ÷ median call (a warm-up call, then ≥ 3 calls and ≥ \(minSeconds) s);")
    out("frames/CPU-s = ours over all calls (process CPU time). Both sides score the same batch sizes per call.")
    var all: [Row] = []
    var notes: [String] = []
    var lines: [String] = []
    for s in sizes {
      let rows = measure(size: s, minSeconds: minSeconds, lpipsWeights: lpipsWeights, notes: &notes)
      all += rows
      var theirs: [String: [String: Any]] = [:]
      if reference.available {
        let spec = batches(size: s).map { "\"\($0.key)\": \($0.value)" }.sorted().joined(separator: ", ")
        let (objs, error) = reference.run(["--size", String(s), "--batches", "{\(spec)}", "--seconds", String(minSeconds)])
        if let error { notes.append("\(s) px: reference side not measured: \(error)") }
        for o in objs where o["what"] as? String == "metric" {
          if let k = o["metric"] as? String { theirs[k] = o }
        }
      }
      let load = BenchInfo.load
      for r in rows {
        let t = theirs[r.key]
        let fps = t?["frames_per_s"] as? Double
        let what: String
        if let e = t?["error"] as? String {
          what = "-"
          notes.append("\(r.key) \(s) px: \(e)")
        } else {
          what = t.map { $0["reference"] as? String ?? "?" } ?? "-"
        }
        if let w = t?["weights"] as? String, !notes.contains("\(r.key) reference: \(w) weights") {
          notes.append("\(r.key) reference: \(w) weights")
        }
        // Swift padding: String(format:)'s width on %@ is ignored on Linux.
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: Swift.max(0, width - text.count)) + text }
        lines.append(
          r.metric.padding(toLength: 32, withPad: " ", startingAt: 0)
            + String(format: " %4d px  %5d  %10.1f  %12.1f  ", s, r.batch, r.framesPerSecond, r.framesPerCPUSecond)
            + what.padding(toLength: 13, withPad: " ", startingAt: 0)
            + right(fps.map { String(format: "%.1f", $0) } ?? "-", 9)
            + right(fps.map { String(format: "%.2f", r.framesPerSecond / $0) } ?? "-", 10) + "  " + load)
      }
    }
    out("")
    out("metric                           size     batch   ours fr/s  ours fr/CPU-s  reference     ref fr/s  ours/ref  load")
    lines.forEach(out)
    if reference.available { out("ours/ref = ours frames/s ÷ the reference side's (above 1: ours is faster)") }
    notes.forEach { out("note: " + $0) }
    return all
  }
}
