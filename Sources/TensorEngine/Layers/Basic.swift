// Basic layers: Conv2d and Linear with PyTorch parameter names and the project's
// initialization (Xavier-uniform weights, constant biases; DESIGN §2).

/// 2-d convolution. Parameters: `weight` [O, C, k, k], `bias` [O] (optional).
public final class Conv2d: Module {
  public let weight: Tensor  // [out, in, k, k]
  public let bias: Tensor?  // [out]
  public let stride: Int
  public let padding: Int

  public init(
    _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
    biasValue: Float = 0.1, rng: inout SeededRNG
  ) {
    self.stride = stride
    self.padding = padding
    let w = Tensor.xavierUniform([outChannels, inChannels, kernel, kernel], rng: &rng)
    self.weight = w
    self.bias = bias ? Tensor(repeating: biasValue, shape: [outChannels]) : nil
    super.init()
    parameter("weight", w)
    if let b = self.bias { parameter("bias", b) }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    Tensor.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
  }
}

/// Fully connected layer: y = x Wᵀ + b. Parameters: `weight` [out, in], `bias` [out].
public final class Linear: Module {
  public let weight: Tensor  // [out, in]
  public let bias: Tensor?  // [out]

  public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, biasValue: Float = 0.1, rng: inout SeededRNG) {
    let w = Tensor.xavierUniform([outFeatures, inFeatures], rng: &rng)
    self.weight = w
    self.bias = bias ? Tensor(repeating: biasValue, shape: [outFeatures]) : nil
    super.init()
    parameter("weight", w)
    if let b = self.bias { parameter("bias", b) }
  }

  /// x [N, in] → [N, out].
  public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.linear(x, weight: weight, bias: bias) }
}
