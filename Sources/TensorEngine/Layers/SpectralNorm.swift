// Spectral normalization (Miyato et al.) as PyTorch's torch.nn.utils.spectral_norm does it:
// trainable `weight_orig`, saved buffers `weight_u` [O] and `weight_v` [in·kh·kw]; in training
// one power iteration per forward updates u and v (no gradient through them); the weight
// used is weight_orig / σ with σ = uᵀ·W·v.

public final class SpectralNormConv2d: Module {
  public let weightOrig: Tensor  // [out, in, k, k]
  public let weightU: Tensor  // [out]
  public let weightV: Tensor  // [in·k·k]
  public let bias: Tensor?  // [out]
  public let stride: Int
  public let padding: Int
  public let eps: Float = 1e-12

  public init(
    _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
    biasValue: Float = 0.1, rng: inout SeededRNG
  ) {
    self.stride = stride
    self.padding = padding
    weightOrig = Tensor.xavierUniform([outChannels, inChannels, kernel, kernel], rng: &rng)
    weightU = SpectralNormConv2d.normalized(Tensor.normal([outChannels], rng: &rng), eps: 1e-12)
    weightV = SpectralNormConv2d.normalized(Tensor.normal([inChannels * kernel * kernel], rng: &rng), eps: 1e-12)
    self.bias = bias ? Tensor(repeating: biasValue, shape: [outChannels]) : nil
    super.init()
    if let b = self.bias { parameter("bias", b) }
    parameter("weight_orig", weightOrig)
    buffer("weight_u", weightU)
    buffer("weight_v", weightV)
  }

  static func normalized(_ x: Tensor, eps: Float) -> Tensor {
    var s: Float = 0
    for i in 0..<x.count { s += x.data[i] * x.data[i] }
    let d = Swift.max(s.squareRoot(), eps)
    return withNoGrad { x.scaled(1 / d) }
  }

  /// The normalized weight; in training mode first runs one power iteration (updating u, v).
  public func normalizedWeight() -> Tensor {
    let o = weightOrig.shape[0]
    let m = weightOrig.count / o
    if isTraining {
      withNoGrad {
        let w = weightOrig.reshaped([o, m])
        let v = SpectralNormConv2d.normalized(weightU.reshaped([1, o]).matmul(w), eps: eps)  // [1, m]
        let u = SpectralNormConv2d.normalized(w.matmul(v.reshaped([m, 1])), eps: eps)  // [o, 1]
        weightV.withMutableData { $0.baseAddress!.update(from: v.data, count: m) }
        weightU.withMutableData { $0.baseAddress!.update(from: u.data, count: o) }
      }
    }
    // σ = uᵀ W v with u, v constants (copies: later iterations must not change saved values).
    let u = weightU.copy().reshaped([1, o])
    let v = weightV.copy().reshaped([m, 1])
    let sigma = u.matmul(weightOrig.reshaped([o, m])).matmul(v)  // [1, 1]
    return weightOrig / sigma.reshaped([1, 1, 1, 1])
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    Tensor.conv2d(x, weight: normalizedWeight(), bias: bias, stride: stride, padding: padding)
  }
}
