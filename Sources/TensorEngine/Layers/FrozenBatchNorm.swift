// FrozenBatchNorm2d: batch norm that always normalizes with its running statistics (PyTorch's
// BatchNorm2d in eval mode), under PyTorch's state-dict names.

/// Parameters `weight` [C], `bias` [C]; buffers `running_mean` [C], `running_var` [C] and
/// `num_batches_tracked` [] (kept so a PyTorch state dict loads strictly; never read). Training
/// mode changes nothing: batch statistics are not implemented, the running ones are always used.
public final class FrozenBatchNorm2d: Module {
  public let weight: Tensor  // [C]
  public let bias: Tensor  // [C]
  public let runningMean: Tensor  // [C]
  public let runningVar: Tensor  // [C]
  public let eps: Float

  /// Identity statistics (mean 0, var 1, weight 1, bias 0) until a state dict is loaded.
  public init(_ channels: Int, eps: Float) {
    self.eps = eps
    weight = Tensor(repeating: 1, shape: [channels])
    bias = Tensor(zeros: [channels])
    runningMean = Tensor(zeros: [channels])
    runningVar = Tensor(repeating: 1, shape: [channels])
    super.init()
    parameter("weight", weight)
    parameter("bias", bias)
    buffer("running_mean", runningMean)
    buffer("running_var", runningVar)
    buffer("num_batches_tracked", Tensor(zeros: []))
  }

  /// x [N, C, H, W] → same shape.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    Tensor.batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, eps: eps)
  }
}
