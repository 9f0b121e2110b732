// temporary: replaced by TensorEngine's at merge. Plain composites of existing engine ops with
// exactly the signatures of issue 27's shared contract (`Tensor.perSampleConv2d`,
// `ConvLSTMCell`), so the pixel predictor builds and trains before engineer "ops"'s versions
// land in TensorEngine; the merge deletes this file and nothing else changes.
import TensorEngine

extension Tensor {
  /// image [B, C, H, W], kernels [B, N, k, k] (k odd) → [B, N, C, H, W]: output[b, n, c] is the
  /// cross-correlation of image[b, c] with kernels[b, n], zero padding k/2. One conv2d per
  /// sample (channels as a batch of 1-channel images, kernels as N output channels).
  static func perSampleConv2d(_ image: Tensor, kernels: Tensor) -> Tensor {
    precondition(image.rank == 4 && kernels.rank == 4 && image.shape[0] == kernels.shape[0], "perSampleConv2d: \(image.shape), \(kernels.shape)")
    let (b, c, h, w) = (image.shape[0], image.shape[1], image.shape[2], image.shape[3])
    let (n, k) = (kernels.shape[1], kernels.shape[2])
    precondition(k % 2 == 1 && kernels.shape[3] == k, "perSampleConv2d: kernels \(kernels.shape) must be odd and square")
    var parts: [Tensor] = []
    for i in 0..<b {
      let x = image.slice(axis: 0, start: i, end: i + 1).reshaped([c, 1, h, w])
      let weight = kernels.slice(axis: 0, start: i, end: i + 1).reshaped([n, 1, k, k])
      let y = Tensor.conv2d(x, weight: weight, bias: nil, stride: 1, padding: k / 2)  // [C, N, H, W]
      parts.append(y.permuted([1, 0, 2, 3]).reshaped([1, n, c, h, w]))
    }
    return Tensor.concat(parts, axis: 0)
  }
}

/// Convolutional LSTM cell: gates from one conv over concat([x, h]) split i, f, g, o;
/// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'). Parameters `conv.weight` [4H, Cin+H, k, k],
/// `conv.bias` [4H].
final class ConvLSTMCell: Module {
  let inputChannels: Int, hiddenChannels: Int
  let conv: Conv2d

  init(inputChannels: Int, hiddenChannels: Int, kernel: Int = 3, rng: inout SeededRNG) {
    self.inputChannels = inputChannels
    self.hiddenChannels = hiddenChannels
    conv = Conv2d(inputChannels + hiddenChannels, 4 * hiddenChannels, kernel: kernel, padding: kernel / 2, biasValue: 0, rng: &rng)
    super.init()
    child("conv", conv)
  }

  func callAsFunction(_ x: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (h: Tensor, c: Tensor) {
    let (b, hh, ww) = (x.shape[0], x.shape[2], x.shape[3])
    let s = state ?? (Tensor(zeros: [b, hiddenChannels, hh, ww]), Tensor(zeros: [b, hiddenChannels, hh, ww]))
    let gates = conv(Tensor.concat([x, s.h], axis: 1))
    let n = hiddenChannels
    let i = gates.slice(axis: 1, start: 0, end: n).sigmoid()
    let f = gates.slice(axis: 1, start: n, end: 2 * n).sigmoid()
    let g = gates.slice(axis: 1, start: 2 * n, end: 3 * n).tanh()
    let o = gates.slice(axis: 1, start: 3 * n, end: 4 * n).sigmoid()
    let c = f * s.c + i * g
    return (o * c.tanh(), c)
  }
}
