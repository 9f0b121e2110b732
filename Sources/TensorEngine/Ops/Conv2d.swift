// conv2d as a graph op (kernels in Kernels/Conv2dKernels.swift).

extension Tensor {
  /// x [N,C,H,W] ⋆ weight [O,C,kh,kw] + bias [O] → [N,O,Ho,Wo] (PyTorch's F.conv2d with symmetric padding).
  public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4, "conv2d: input \(x.shape), weight \(weight.shape) (need 4-d)")
    precondition(
      x.shape[1] == weight.shape[1], "conv2d: input \(x.shape) has \(x.shape[1]) channels, weight \(weight.shape) wants \(weight.shape[1])")
    if let bias { precondition(bias.shape == [weight.shape[0]], "conv2d: bias \(bias.shape) for weight \(weight.shape)") }
    let g = Conv2dGeometry(
      n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3], o: weight.shape[0], kh: weight.shape[2],
      kw: weight.shape[3], stride: stride, pad: padding)
    precondition(g.ho > 0 && g.wo > 0, "conv2d: input \(x.shape) too small for kernel \(weight.shape) with padding \(padding)")
    let outShape = [g.n, g.o, g.ho, g.wo]
    let out = TensorStorage(count: Tensor.elementCount(outShape))
    ConvProfile.measure(g, .forward, flops: g.forwardFLOPs) {
      conv2dForward(x: x.data, weight: weight.data, bias: bias?.data, out: out.pointer, g)
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    // x is needed only for the weight gradient: a frozen conv (VGG's, EfficientNet's) keeps
    // just its weight, so its input can be freed after the forward pass.
    let savedX = weight.requiresGrad ? x.storage : nil
    let (xShape, xNeedsGrad) = (x.shape, x.requiresGrad)
    return result("conv2d", shape: outShape, storage: out, inputs: inputs) {
      gout in
      // conv2dBackward overwrites gx, so it needs no zero fill.
      let gx = xNeedsGrad ? Tensor(uninitialized: xShape) : nil
      let gw = savedX != nil ? Tensor(zeros: weight.shape) : nil
      let gb = (bias?.requiresGrad ?? false) ? Tensor(zeros: [g.o]) : nil
      let products = (gx == nil ? 0 : 1) + (gw == nil ? 0 : 1)
      ConvProfile.measure(g, .backward, flops: Double(products) * g.forwardFLOPs) {
        // Without gw the kernels never read x (gout stands in for the pointer).
        conv2dBackward(
          x: savedX?.pointer ?? gout.data, weight: weight.data, gout: gout.data, gx: gx?.data, gw: gw?.data, gb: gb?.data, g)
      }
      return bias == nil ? [gx, gw] : [gx, gw, gb]
    }
  }
}
