// `lmlab bench engine`: sgemm GFLOP/s and, in the same run, conv2d forward+backward GFLOP/s
// for the model's shapes, each as a ratio to sgemm, plus peak memory.
import Workbench
import Foundation
import TensorEngine

public enum EngineBench {
  /// One conv shape to time.
  public struct ConvCase {
    public var label: String
    public var geometry: Conv2dGeometry
  }

  public struct Row {
    public var label: String
    public var forwardGFLOPS: Double
    public var trainGFLOPS: Double  // forward + backward (input, weight and bias gradients)
    public var msPerStep: Double
  }

  /// The shapes of the reference model at 64 px, batch 8 (nsf 6: 24 channels at full size…).
  public static let defaultCases: [ConvCase] = [
    ConvCase(label: "3x3 64x64 24->24", geometry: .init(n: 8, c: 24, h: 64, w: 64, o: 24, kh: 3, kw: 3, stride: 1, pad: 1)),
    ConvCase(label: "3x3 32x32 128->128", geometry: .init(n: 8, c: 128, h: 32, w: 32, o: 128, kh: 3, kw: 3, stride: 1, pad: 1)),
    ConvCase(label: "3x3 16x16 192->192", geometry: .init(n: 8, c: 192, h: 16, w: 16, o: 192, kh: 3, kw: 3, stride: 1, pad: 1)),
    ConvCase(label: "3x3/2 64x64 24->48", geometry: .init(n: 8, c: 24, h: 64, w: 64, o: 48, kh: 3, kw: 3, stride: 2, pad: 1)),
    ConvCase(label: "3x3 8x8 384->384", geometry: .init(n: 8, c: 384, h: 8, w: 8, o: 384, kh: 3, kw: 3, stride: 1, pad: 1)),
    ConvCase(label: "1x1 32x32 128->128", geometry: .init(n: 8, c: 128, h: 32, w: 32, o: 128, kh: 1, kw: 1, stride: 1, pad: 0)),
    ConvCase(label: "1x1 4x4 192->192", geometry: .init(n: 8, c: 192, h: 4, w: 4, o: 192, kh: 1, kw: 1, stride: 1, pad: 0)),
    ConvCase(label: "1x1 32x32 128->30", geometry: .init(n: 8, c: 128, h: 32, w: 32, o: 30, kh: 1, kw: 1, stride: 1, pad: 0)),
  ]

  /// Runs `body` until `minSeconds` have passed (after one warm-up); returns the median seconds per call.
  static func time(minSeconds: Double = 0.4, _ body: () -> Void) -> Double {
    body()
    var samples: [Double] = []
    let start = Date()
    repeat {
      let t0 = DispatchTime.now().uptimeNanoseconds
      body()
      samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    } while Date().timeIntervalSince(start) < minSeconds || samples.count < 3
    samples.sort()
    return samples[samples.count / 2]
  }

  /// sgemm GFLOP/s on square n×n matrices.
  public static func sgemmGFLOPS(n: Int = 1024) -> Double {
    var rng = SeededRNG(seed: 1)
    let a = Tensor.normal([n, n], rng: &rng)
    let b = Tensor.normal([n, n], rng: &rng)
    let s = time { _ = withNoGrad { a.matmul(b) } }
    return 2 * Double(n * n * n) / s / 1e9
  }

  /// Times conv forward alone and forward+backward through the autograd op.
  public static func measure(_ c: ConvCase) -> Row {
    let g = c.geometry
    var rng = SeededRNG(seed: 2)
    let x = Tensor.normal([g.n, g.c, g.h, g.w], rng: &rng)
    x.requiresGrad = true
    let w = Tensor.normal([g.o, g.c, g.kh, g.kw], rng: &rng)
    w.requiresGrad = true
    let b = Tensor(zeros: [g.o])
    b.requiresGrad = true
    let gout = Tensor.normal([g.n, g.o, g.ho, g.wo], rng: &rng)
    let fwd = time { _ = withNoGrad { Tensor.conv2d(x, weight: w, bias: b, stride: g.stride, padding: g.pad) } }
    let train = time {
      let y = Tensor.conv2d(x, weight: w, bias: b, stride: g.stride, padding: g.pad)
      y.backward(gout)
      x.grad = nil
      w.grad = nil
      b.grad = nil
    }
    return Row(
      label: c.label, forwardGFLOPS: g.forwardFLOPs / fwd / 1e9, trainGFLOPS: 3 * g.forwardFLOPs / train / 1e9,
      msPerStep: train * 1000)
  }

  /// The printed report. sgemm is measured again right before each conv row and the row's
  /// ratios use that figure, so drifting load on a shared machine affects both alike.
  public static let kernelChoices = Conv2dKernelChoice.allCases.map(\.rawValue)

  public static func run(cases: [ConvCase] = defaultCases, kernel: String = "auto", print out: (String) -> Void) {
    if let choice = Conv2dKernelChoice(rawValue: kernel) { conv2dKernelChoice = choice }
    out(
      "LandmarkLab engine benchmark (float32; OpenBLAS \(NativeBLAS.description), threads \(blasThreads), engine threads \(engineThreads), "
        + "conv kernels \(conv2dKernelChoice.rawValue), direct kernel \(directConvAvailable ? "available" : "unavailable"))")
    out("conv2d, batch 8; train = forward + input, weight and bias gradients (3x the forward FLOPs)")
    out("sgemm = 1024^3 sgemm GFLOP/s measured just before the row")
    out("shape                     sgemm  fwd GFLOP/s  fwd/sgemm  train GFLOP/s  train/sgemm  ms/train-step  path fwd bwd")
    var sgemmAll: [Double] = []
    for c in cases {
      let sgemm = sgemmGFLOPS()
      sgemmAll.append(sgemm)
      let r = measure(c)
      out(
        c.label.padding(toLength: 24, withPad: " ", startingAt: 0)
          + String(
            format: "%7.1f  %11.1f  %9.2f  %13.1f  %11.2f  %13.2f  %@ %@", sgemm, r.forwardGFLOPS, r.forwardGFLOPS / sgemm,
            r.trainGFLOPS, r.trainGFLOPS / sgemm, r.msPerStep, c.geometry.forwardKernel, c.geometry.backwardKernel))
    }
    out(String(format: "sgemm over the run: min %.1f, max %.1f GFLOP/s", sgemmAll.min() ?? 0, sgemmAll.max() ?? 0))
    let mem = MemoryStats.processMemory()
    out(
      String(
        format: "peak memory: process RSS high-water %.1f MB, tensor storage peak %.1f MB",
        Double(mem.peakRSS) / 1e6, Double(MemoryStats.peakBytes) / 1e6))
  }
}
