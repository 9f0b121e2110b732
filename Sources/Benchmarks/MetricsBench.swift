// `lmlab bench metrics`: frames per second of PSNR, SSIM (both windows) and each LPIPS backbone
// at 64 and 128 px on all cores, over synthetic frame pairs (speed does not depend on content).
import Workbench
import Dispatch
import Foundation
import EvalMetrics
import TensorEngine

public enum MetricsBench {
  public struct Row {
    public var metric: String
    public var size: Int
    public var framesPerSecond: Double
    /// Frames per second of process CPU time (all threads): what the machine's other load
    /// cannot distort; × cores ≈ the wall rate on an idle machine.
    public var framesPerCPUSecond: Double
    /// Frames scored per timed call.
    public var batch: Int
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

  /// Runs `body` (which scores `batch` frames) until at least `minSeconds` have passed;
  /// returns frames per wall second and per CPU second.
  static func fps(batch: Int, minSeconds: Double, _ body: () -> Void) -> (Double, Double) {
    body()  // warm-up
    var reps = 0
    let t0 = DispatchTime.now().uptimeNanoseconds
    let c0 = cpuSeconds()
    var elapsed = 0.0
    repeat {
      body()
      reps += 1
      elapsed = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    } while elapsed < minSeconds
    let frames = Double(batch * reps)
    return (frames / elapsed, frames / (cpuSeconds() - c0))
  }

  /// Measures every metric; LPIPS uses the weights in `lpipsWeights` (file per net or folder)
  /// when found, else random weights of the same architecture (same speed).
  public static func run(
    sizes: [Int] = [64, 128], minSeconds: Double = 1.5, lpipsWeights: String? = nil, report: (String) -> Void
  ) -> [Row] {
    var rows: [Row] = []
    report("workers: \(metricWorkers) (frames split over cores; LPIPS chunks use one BLAS thread each)")
    report("metric                       size        frames/s   frames/CPU-s   batch")
    for s in sizes {
      let n = s <= 64 ? 512 : 256
      let (a, b) = frames(n, s)
      func add(_ name: String, _ batch: Int, _ body: () -> Void) {
        let (wall, cpu) = fps(batch: batch, minSeconds: minSeconds, body)
        let r = Row(metric: name, size: s, framesPerSecond: wall, framesPerCPUSecond: cpu, batch: batch)
        rows.append(r)
        report(String(format: "%-26@ %4d px  %12.1f  %13.1f  %6d", name as NSString, s, wall, cpu, batch))
      }
      add("psnr", n) { _ = psnrDecibels(reference: a, predicted: b) }
      add("ssim (gaussian 1.5)", n) { _ = ssimSimilarity(reference: a, predicted: b) }
      add("ssim-uniform (7x7)", n) { _ = ssimSimilarity(reference: a, predicted: b, window: .skimageDefault) }
      for net in LPIPSNet.allCases {
        let model: LPIPSModel
        if let path = try? LPIPSModel.locate(net: net, explicit: lpipsWeights),
          let m = try? LPIPSModel(contentsOf: path, net: net)
        {
          model = m
        } else {
          model = LPIPSModel.speedTestModel(net: net)
        }
        let batch: Int
        switch net {
        case .alex: batch = s <= 64 ? 256 : 64
        case .vgg: batch = s <= 64 ? 32 : 8
        case .squeeze: batch = s <= 64 ? 128 : 32
        }
        let (ra, rb) = frames(batch, s)
        add(model.metricName, batch) { _ = lpipsDistance(reference: ra, predicted: rb, model: model) }
      }
    }
    return rows
  }
}
