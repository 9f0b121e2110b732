// avg_pool2d (square kernel, symmetric padding, floor mode), forward and backward.

extension Tensor {
  /// PyTorch's F.avg_pool2d(x, kernel, stride, padding, ceil_mode=False, count_include_pad).
  public func avgPool2d(kernel: Int, stride: Int, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
    precondition(rank == 4, "avg_pool2d: input \(shape) is not 4-d")
    precondition(padding * 2 <= kernel, "avg_pool2d: padding \(padding) exceeds half the kernel \(kernel)")
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let ho = (h + 2 * padding - kernel) / stride + 1
    let wo = (w + 2 * padding - kernel) / stride + 1
    precondition(ho > 0 && wo > 0, "avg_pool2d: input \(shape) too small for kernel \(kernel)")
    // Divisor per output position (same for every plane).
    var divisor = [Float](repeating: 0, count: ho * wo)
    for oy in 0..<ho {
      for ox in 0..<wo {
        let y0 = oy * stride - padding
        let x0 = ox * stride - padding
        let y1 = Swift.min(y0 + kernel, h + padding)
        let x1 = Swift.min(x0 + kernel, w + padding)
        let padded = (y1 - y0) * (x1 - x0)
        let inside = (Swift.min(y1, h) - Swift.max(y0, 0)) * (Swift.min(x1, w) - Swift.max(x0, 0))
        divisor[oy * wo + ox] = Float(countIncludePad ? padded : inside)
      }
    }
    let out = TensorStorage(count: n * c * ho * wo)
    let px = data
    for plane in 0..<(n * c) {
      let src = px + plane * h * w
      let dst = out.pointer + plane * ho * wo
      for oy in 0..<ho {
        let y0 = Swift.max(oy * stride - padding, 0)
        let y1 = Swift.min(oy * stride - padding + kernel, h)
        for ox in 0..<wo {
          let x0 = Swift.max(ox * stride - padding, 0)
          let x1 = Swift.min(ox * stride - padding + kernel, w)
          var s: Float = 0
          for y in y0..<y1 { for xx in x0..<x1 { s += src[y * w + xx] } }
          dst[oy * wo + ox] = s / divisor[oy * wo + ox]
        }
      }
    }
    return Tensor.result("avg_pool2d", shape: [n, c, ho, wo], storage: out, inputs: [self]) {
      [shape] g in
      let gx = Tensor(zeros: shape)
      for plane in 0..<(n * c) {
        let gsrc = g.data + plane * ho * wo
        let gdst = gx.data + plane * h * w
        for oy in 0..<ho {
          let y0 = Swift.max(oy * stride - padding, 0)
          let y1 = Swift.min(oy * stride - padding + kernel, h)
          for ox in 0..<wo {
            let x0 = Swift.max(ox * stride - padding, 0)
            let x1 = Swift.min(ox * stride - padding + kernel, w)
            let v = gsrc[oy * wo + ox] / divisor[oy * wo + ox]
            for y in y0..<y1 { for xx in x0..<x1 { gdst[y * w + xx] += v } }
          }
        }
      }
      return [gx]
    }
  }
}
