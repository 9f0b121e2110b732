// max_pool2d (square kernel, symmetric padding, floor or ceil mode), forward and backward,
// with PyTorch's semantics: padding counts as −∞, the first maximum in a window (row-major
// scan) takes the gradient, NaN wins, and in ceil mode a last window that would start in the
// right padding is dropped.

/// Output length along one axis of PyTorch's max_pool2d (dilation 1).
public func maxPool2dOutputSize(input: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
  let span = input + 2 * padding - kernel
  var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
  // NOTE: PyTorch's rule — the last window must start inside the input or the left padding.
  if ceilMode && (out - 1) * stride >= input + padding { out -= 1 }
  return out
}

/// Max pooling of `planes` planes [h, w] into [ho, wo]; `argmax` (optional) receives the
/// flat in-plane index of each output's source.
func maxPool2dForward(
  _ x: UnsafePointer<Float>, planes: Int, h: Int, w: Int, ho: Int, wo: Int,
  kernel: Int, stride: Int, padding: Int, out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?
) {
  if argmax == nil && padding == 0 {
    maxPool2dForwardUnpadded(x, planes: planes, h: h, w: w, ho: ho, wo: wo, kernel: kernel, stride: stride, out: out)
    return
  }
  // Planes are independent: split over the workers.
  parallelRanges(planes, minPerWorker: Swift.max(1, (1 << 14) / Swift.max(h * w, 1))) { range in for plane in range {
    let src = x + plane * h * w
    let dst = out + plane * ho * wo
    let arg = argmax.map { $0 + plane * ho * wo }
    for oy in 0..<ho {
      let y0 = Swift.max(oy * stride - padding, 0)
      let y1 = Swift.min(oy * stride - padding + kernel, h)
      for ox in 0..<wo {
        let x0 = Swift.max(ox * stride - padding, 0)
        let x1 = Swift.min(ox * stride - padding + kernel, w)
        var best = -Float.infinity
        var bestIndex = y0 * w + x0
        for y in y0..<y1 {
          let row = src + y * w
          for xx in x0..<x1 {
            let v = row[xx]
            if v > best || v.isNaN {
              best = v
              bestIndex = y * w + xx
              if v.isNaN { break }
            }
          }
          if best.isNaN { break }
        }
        dst[oy * wo + ox] = best
        arg?[oy * wo + ox] = Int32(bestIndex)
      }
    }
  } }
}

/// Inference fast path (no padding, no argmax): separable maxima, first along each input row
/// (into a [h, wo] buffer), then down the columns, with a NaN-sticky select so NaN still wins
/// as in PyTorch. Windows are clipped at the right/bottom edge (ceil mode).
private func maxPool2dForwardUnpadded(
  _ x: UnsafePointer<Float>, planes: Int, h: Int, w: Int, ho: Int, wo: Int, kernel: Int, stride: Int,
  out: UnsafeMutablePointer<Float>
) {
  @inline(__always) func maxNaN(_ a: Float, _ b: Float) -> Float { a > b || a != a ? a : b }
  let rows = UnsafeMutablePointer<Float>.allocate(capacity: h * wo)
  defer { rows.deallocate() }
  for plane in 0..<planes {
    let src = x + plane * h * w
    let dst = out + plane * ho * wo
    for y in 0..<h {
      let row = src + y * w
      let hrow = rows + y * wo
      var ox = 0
      if kernel == 3 {  // AlexNet's and SqueezeNet's pools: the full windows unrolled
        while ox < wo && ox * stride + 2 < w {
          let r = row + ox * stride
          hrow[ox] = maxNaN(r[2], maxNaN(r[1], r[0]))
          ox += 1
        }
      }
      while ox < wo {
        let x0 = ox * stride
        let x1 = Swift.min(x0 + kernel, w)
        var best = row[x0]
        for xx in (x0 + 1)..<Swift.max(x1, x0 + 1) { best = maxNaN(row[xx], best) }
        hrow[ox] = best
        ox += 1
      }
    }
    for oy in 0..<ho {
      let y0 = oy * stride
      let y1 = Swift.min(y0 + kernel, h)
      let d = dst + oy * wo
      d.update(from: rows + y0 * wo, count: wo)
      for y in (y0 + 1)..<Swift.max(y1, y0 + 1) {
        let hrow = rows + y * wo
        for ox in 0..<wo { d[ox] = maxNaN(hrow[ox], d[ox]) }
      }
    }
  }
}

extension Tensor {
  /// PyTorch's F.max_pool2d(x, kernel, stride, padding, dilation=1, ceil_mode) on x [N,C,H,W]
  /// → [N,C,Ho,Wo]. `stride` defaults to `kernel`; padding must be at most half the kernel.
  public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) -> Tensor {
    let stride = stride ?? kernel
    precondition(rank == 4, "max_pool2d: input \(shape) is not 4-d")
    precondition(kernel > 0 && stride > 0, "max_pool2d: kernel \(kernel) and stride \(stride) must be positive")
    precondition(padding >= 0 && padding * 2 <= kernel, "max_pool2d: padding \(padding) exceeds half the kernel \(kernel)")
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let ho = maxPool2dOutputSize(input: h, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    let wo = maxPool2dOutputSize(input: w, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    precondition(ho > 0 && wo > 0, "max_pool2d: input \(shape) too small for kernel \(kernel)")
    let planes = n * c
    let out = TensorStorage(count: planes * ho * wo)
    // The argmax indices are only kept when a graph is recorded (inference pays nothing).
    let record = Tensor.needsGrad([self])
    let argmax: UnsafeMutablePointer<Int32>? = record ? .allocate(capacity: Swift.max(planes * ho * wo, 1)) : nil
    maxPool2dForward(
      data, planes: planes, h: h, w: w, ho: ho, wo: wo, kernel: kernel, stride: stride, padding: padding,
      out: out.pointer, argmax: argmax)
    guard let argmax else {
      return Tensor(shape: [n, c, ho, wo], storage: out)
    }
    let indices = ArgmaxBox(argmax)
    return Tensor.result("max_pool2d", shape: [n, c, ho, wo], storage: out, inputs: [self]) {
      [shape] g in
      let gx = Tensor(zeros: shape)
      for plane in 0..<planes {
        let gsrc = g.data + plane * ho * wo
        let gdst = gx.data + plane * h * w
        let arg = indices.pointer + plane * ho * wo
        for p in 0..<(ho * wo) { gdst[Int(arg[p])] += gsrc[p] }
      }
      return [gx]
    }
  }
}

/// Owns the argmax buffer a recorded max_pool2d keeps for its backward.
private final class ArgmaxBox {
  let pointer: UnsafeMutablePointer<Int32>
  init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
  deinit { pointer.deallocate() }
}
