// Zero padding of the two spatial axes (any amount per side), forward and backward (a crop).

extension Tensor {
  /// x [N, C, H, W] → [N, C, top + H + bottom, left + W + right] with zeros around: PyTorch's
  /// F.pad(x, (left, right, top, bottom)).
  public func padded(_ p: Padding2d) -> Tensor {
    precondition(rank == 4, "pad: input \(shape) is not 4-d")
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    let (ph, pw) = (h + p.top + p.bottom, w + p.left + p.right)
    let out = TensorStorage(zeros: planes * ph * pw)
    for plane in 0..<planes {
      for y in 0..<h {
        (out.pointer + (plane * ph + y + p.top) * pw + p.left).update(from: data + (plane * h + y) * w, count: w)
      }
    }
    return Tensor.result("pad", shape: [shape[0], shape[1], ph, pw], storage: out, inputs: [self]) {
      [shape] g in
      let gx = TensorStorage(count: planes * h * w)
      for plane in 0..<planes {
        for y in 0..<h {
          (gx.pointer + (plane * h + y) * w).update(from: g.data + (plane * ph + y + p.top) * pw + p.left, count: w)
        }
      }
      return [Tensor(shape: shape, storage: gx)]
    }
  }
}
