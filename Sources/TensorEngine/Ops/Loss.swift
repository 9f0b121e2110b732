// Losses with mean reduction: MSE and L1.

extension Tensor {
  /// mean((a − b)²) over all elements.
  public static func mseLoss(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "mse: shapes \(a.shape) and \(b.shape) differ")
    return (a - b).pow(2).mean()
  }

  /// mean(|a − b|) over all elements.
  public static func l1Loss(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "l1: shapes \(a.shape) and \(b.shape) differ")
    return (a - b).abs().mean()
  }
}
