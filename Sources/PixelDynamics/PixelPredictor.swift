// PixelPredictor: a pixel-space deterministic video predictor in the family of SAVP's
// deterministic model (Lee et al. 2018; Finn et al. 2016's CDNA), at CPU sizes. Per step the
// current frame goes through a stride-2 conv encoder, a ConvLSTM at H/2, a stride-2 conv and a
// ConvLSTM at H/4 (the bottleneck), up to H/2 with the H/2 features as a skip into a third
// ConvLSTM, and up to H. The next frame is composed, with per-pixel softmax masks, from
//   the previous frame unchanged,
//   N CDNA transforms of the previous frame and N of the first context frame (per-sample k×k
//   kernels from the mean-pooled bottleneck, softmax over the k² taps: each sums to 1),
//   synthesized pixels (tanh: frames are in [-1, 1], VideoSource's range).
// Initialized as copy-last: the unchanged previous frame's mask leads and the kernels peak at
// their centre, so training starts at the baseline it has to beat.
// Keys: enc0.*, lstm0.conv.*, enc1.*, lstm1.conv.*, lstm2.conv.*, dec.*, synth.*, masks.*, kernels.*.
//
// Dimension letters: B sequences, L window frames, H = W frame size, N CDNA kernels, k kernel
// size, M = 2N + 2 composed images, C0 / C1 the widths at H/2 / H/4.
import TensorEngine

public final class PixelPredictor: Module {
  public let imageSize: Int
  public let nKernels: Int, kernelSize: Int
  let enc0: Conv2d  // [C0, 3, 3, 3], stride 2
  let lstm0: ConvLSTMCell  // C0 → C0 at H/2
  let enc1: Conv2d  // [C1, C0, 3, 3], stride 2
  let lstm1: ConvLSTMCell  // C1 → C1 at H/4
  let lstm2: ConvLSTMCell  // C1 + C0 → C0 at H/2
  let dec: Conv2d  // [C0, C0 + 3, 3, 3] at H (the input frame as a skip)
  let synth: Conv2d  // [3, C0, 3, 3]
  let masks: Conv2d  // [M, C0, 3, 3]
  let kernels: Linear  // C1 → N·k²

  /// Mask logit bias of the unchanged previous frame at init (the others start at 0).
  static let copyBias: Float = 4
  /// Centre-tap logit bias of the CDNA kernels at init.
  static let centreBias: Float = 3

  public init(imageSize: Int, channels: [Int], kernels n: Int, kernelSize k: Int, rng: inout SeededRNG) {
    precondition(channels.count == 2 && channels.allSatisfy { $0 > 0 }, "PixelPredictor: channels \(channels)")
    precondition(imageSize % 4 == 0 && imageSize >= 8, "PixelPredictor: image size \(imageSize) must be a multiple of 4")
    precondition(n >= 1 && k >= 1 && k % 2 == 1, "PixelPredictor: \(n) kernels of size \(k) (odd)")
    self.imageSize = imageSize
    nKernels = n
    kernelSize = k
    let (c0, c1) = (channels[0], channels[1])
    enc0 = Conv2d(3, c0, kernel: 3, stride: 2, padding: 1, biasValue: 0, rng: &rng)
    lstm0 = ConvLSTMCell(inputChannels: c0, hiddenChannels: c0, rng: &rng)
    enc1 = Conv2d(c0, c1, kernel: 3, stride: 2, padding: 1, biasValue: 0, rng: &rng)
    lstm1 = ConvLSTMCell(inputChannels: c1, hiddenChannels: c1, rng: &rng)
    lstm2 = ConvLSTMCell(inputChannels: c1 + c0, hiddenChannels: c0, rng: &rng)
    dec = Conv2d(c0 + 3, c0, kernel: 3, padding: 1, biasValue: 0, rng: &rng)
    synth = Conv2d(c0, 3, kernel: 3, padding: 1, biasValue: 0, rng: &rng)
    masks = Conv2d(c0, 2 * n + 2, kernel: 3, padding: 1, biasValue: 0, rng: &rng)
    kernels = Linear(c1, n * k * k, biasValue: 0, rng: &rng)
    masks.bias!.withMutableData { $0[0] = Self.copyBias }
    kernels.bias!.withMutableData { b in for j in 0..<n { b[j * k * k + (k * k) / 2] = Self.centreBias } }
    super.init()
    child("enc0", enc0)
    child("lstm0", lstm0)
    child("enc1", enc1)
    child("lstm1", lstm1)
    child("lstm2", lstm2)
    child("dec", dec)
    child("synth", synth)
    child("masks", masks)
    child("kernels", kernels)
  }

  /// The recurrent state of a running sequence and its first frame (the second CDNA source).
  public struct Carry {
    var s0: (h: Tensor, c: Tensor)?
    var s1: (h: Tensor, c: Tensor)?
    var s2: (h: Tensor, c: Tensor)?
    var first: Tensor?
  }

  public func start() -> Carry { Carry() }

  /// One step: frame x_t [B, 3, H, W] → predicted x_{t+1} [B, 3, H, W].
  public func step(_ x: Tensor, _ carry: inout Carry) -> Tensor {
    precondition(x.rank == 4 && x.shape[1] == 3 && x.shape[2] == imageSize && x.shape[3] == imageSize,
      "PixelPredictor.step: frame \(x.shape), need [B, 3, \(imageSize), \(imageSize)]")
    let (b, s, n, k) = (x.shape[0], imageSize, nKernels, kernelSize)
    let first = carry.first ?? x
    carry.first = first
    let e0 = enc0(x).leakyRelu()  // [B, C0, H/2, W/2]
    carry.s0 = lstm0(e0, carry.s0)
    let e1 = enc1(carry.s0!.h).leakyRelu()  // [B, C1, H/4, W/4]
    carry.s1 = lstm1(e1, carry.s1)
    let bottleneck = carry.s1!.h
    let up = bottleneck.resizedNearest(height: s / 2, width: s / 2)
    carry.s2 = lstm2(Tensor.concat([up, carry.s0!.h], axis: 1), carry.s2)
    let full = carry.s2!.h.resizedNearest(height: s, width: s)
    let d = dec(Tensor.concat([full, x], axis: 1)).leakyRelu()  // [B, C0, H, W]

    // CDNA kernels [B, N, k, k] from the mean-pooled bottleneck; each sums to 1.
    let pooled = bottleneck.mean(axes: [2, 3])  // [B, C1]
    let taps = kernels(pooled).reshaped([b, n, k * k]).softmax(axis: 2).reshaped([b, n, k, k])
    let fromPrevious = Tensor.perSampleConv2d(x, kernels: taps)  // [B, N, 3, H, W]
    let fromFirst = Tensor.perSampleConv2d(first, kernels: taps)
    let pixels = synth(d).tanh().reshaped([b, 1, 3, s, s])
    let images = Tensor.concat([x.reshaped([b, 1, 3, s, s]), fromPrevious, fromFirst, pixels], axis: 1)  // [B, M, 3, H, W]
    let weights = masks(d).softmax(axis: 1).reshaped([b, 2 * n + 2, 1, s, s])
    return (images * weights).sum(axes: [1])
  }

  /// The "n inputs, m future" schedule over frames [B, L, 3, H, W]: L − 1 steps, ground truth
  /// fed for the first `nInputs`, the model's own prediction after (gradients flow through
  /// it). Returns the predictions of frames 1 ..< L, [B, L − 1, 3, H, W].
  public func unroll(_ frames: Tensor, nInputs n: Int) -> Tensor {
    precondition(frames.rank == 5 && Array(frames.shape[2...]) == [3, imageSize, imageSize],
      "unroll: frames \(frames.shape), need [B, L, 3, \(imageSize), \(imageSize)]")
    let (b, l) = (frames.shape[0], frames.shape[1])
    precondition(l >= 2 && n >= 1, "unroll: window of \(l) frames with \(n) inputs")
    var carry = start()
    var predictions: [Tensor] = []
    var own: Tensor?
    for t in 0..<(l - 1) {
      let p = step(t < n ? frame(frames, t) : own!, &carry)
      predictions.append(p.reshaped([b, 1, 3, imageSize, imageSize]))
      own = p
    }
    return Tensor.concat(predictions, axis: 1)
  }

  /// The schedule's loss (L1 or MSE, `mse`) against frames 1 ..< L.
  public func scheduleLoss(_ frames: Tensor, nInputs n: Int, mse: Bool = false) -> Tensor {
    let (predicted, target) = schedulePrediction(frames, nInputs: n)
    return mse ? Tensor.mseLoss(predicted, target) : Tensor.l1Loss(predicted, target)
  }

  /// The schedule's predictions of frames 1..<L (carrying the graph) and those frames.
  public func schedulePrediction(_ frames: Tensor, nInputs n: Int) -> (predicted: Tensor, target: Tensor) {
    (unroll(frames, nInputs: n), frames.slice(axis: 1, start: 1, end: frames.shape[1]))
  }

  /// Conditions on context [B, n, 3, H, W] and predicts `horizon` frames [B, m, 3, H, W], each
  /// from its own previous prediction; no gradients.
  public func rollout(context: Tensor, horizon m: Int) -> Tensor {
    precondition(context.rank == 5 && context.shape[1] >= 1 && m >= 1, "rollout: context \(context.shape), horizon \(m)")
    let (b, n) = (context.shape[0], context.shape[1])
    return withNoGrad {
      var carry = start()
      var next = step(frame(context, 0), &carry)
      for t in 1..<n { next = step(frame(context, t), &carry) }
      var out = [next.reshaped([b, 1, 3, imageSize, imageSize])]
      while out.count < m {
        next = step(next, &carry)
        out.append(next.reshaped([b, 1, 3, imageSize, imageSize]))
      }
      return Tensor.concat(out, axis: 1)
    }
  }

  func frame(_ frames: Tensor, _ t: Int) -> Tensor {
    frames.slice(axis: 1, start: t, end: t + 1).reshaped([frames.shape[0], 3, imageSize, imageSize])
  }
}
