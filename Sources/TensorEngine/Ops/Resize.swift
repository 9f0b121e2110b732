// Spatial resizing of [N,C,H,W]: bilinear (align_corners true/false, any sizes) and nearest,
// matching PyTorch's F.interpolate (no antialiasing), forward and backward.

/// Per output coordinate: the two source indices and the weight of the second.
struct LinearTaps {
  var i0: [Int]
  var i1: [Int]
  var frac: [Float]

  /// PyTorch's source index rule for one axis.
  init(inSize: Int, outSize: Int, alignCorners: Bool) {
    i0 = []
    i1 = []
    frac = []
    for d in 0..<outSize {
      var src: Float
      if alignCorners {
        src = outSize > 1 ? Float(d) * Float(inSize - 1) / Float(outSize - 1) : 0
      } else {
        let scale = Float(inSize) / Float(outSize)
        src = Swift.max((Float(d) + 0.5) * scale - 0.5, 0)
      }
      let lo = Swift.min(Int(src), inSize - 1)
      let hi = Swift.min(lo + 1, inSize - 1)
      i0.append(lo)
      i1.append(hi)
      frac.append(src - Float(lo))
    }
  }
}

extension Tensor {
  /// Bilinear resize to (outH, outW).
  public func resizedBilinear(height outH: Int, width outW: Int, alignCorners: Bool) -> Tensor {
    precondition(rank == 4, "bilinear resize: input \(shape) is not 4-d")
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let ty = LinearTaps(inSize: h, outSize: outH, alignCorners: alignCorners)
    let tx = LinearTaps(inSize: w, outSize: outW, alignCorners: alignCorners)
    let out = TensorStorage(count: n * c * outH * outW)
    let px = data
    let perPlane = Swift.max(1, elementwiseGrain / Swift.max(outH * outW, 1))
    parallelRanges(n * c, minPerWorker: perPlane) { planes in for plane in planes {
      let src = px + plane * h * w
      let dst = out.pointer + plane * outH * outW
      for oy in 0..<outH {
        let r0 = src + ty.i0[oy] * w
        let r1 = src + ty.i1[oy] * w
        let fy = ty.frac[oy]
        for ox in 0..<outW {
          let fx = tx.frac[ox]
          let a = r0[tx.i0[ox]] * (1 - fx) + r0[tx.i1[ox]] * fx
          let b = r1[tx.i0[ox]] * (1 - fx) + r1[tx.i1[ox]] * fx
          dst[oy * outW + ox] = a * (1 - fy) + b * fy
        }
      }
    } }
    return Tensor.result("bilinear", shape: [n, c, outH, outW], storage: out, inputs: [self]) {
      [shape] g in
      let gx = Tensor(zeros: shape)
      parallelRanges(n * c, minPerWorker: perPlane) { planes in for plane in planes {
        let gsrc = g.data + plane * outH * outW
        let gdst = gx.data + plane * h * w
        for oy in 0..<outH {
          let r0 = gdst + ty.i0[oy] * w
          let r1 = gdst + ty.i1[oy] * w
          let fy = ty.frac[oy]
          for ox in 0..<outW {
            let v = gsrc[oy * outW + ox]
            let fx = tx.frac[ox]
            r0[tx.i0[ox]] += v * (1 - fy) * (1 - fx)
            r0[tx.i1[ox]] += v * (1 - fy) * fx
            r1[tx.i0[ox]] += v * fy * (1 - fx)
            r1[tx.i1[ox]] += v * fy * fx
          }
        }
      } }
      return [gx]
    }
  }

  /// Nearest resize to (outH, outW): source index floor(dst · in/out), PyTorch's 'nearest'.
  public func resizedNearest(height outH: Int, width outW: Int) -> Tensor {
    precondition(rank == 4, "nearest resize: input \(shape) is not 4-d")
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let sy = Float(h) / Float(outH)
    let sx = Float(w) / Float(outW)
    let iy = (0..<outH).map { Swift.min(Int(Float($0) * sy), h - 1) }
    let ix = (0..<outW).map { Swift.min(Int(Float($0) * sx), w - 1) }
    let out = TensorStorage(count: n * c * outH * outW)
    let px = data
    // Planes are independent (the backward sums stay within a plane): split over the workers.
    let perPlane = Swift.max(1, elementwiseGrain / Swift.max(outH * outW, 1))
    parallelRanges(n * c, minPerWorker: perPlane) { planes in for plane in planes {
      let src = px + plane * h * w
      let dst = out.pointer + plane * outH * outW
      for oy in 0..<outH {
        for ox in 0..<outW { dst[oy * outW + ox] = src[iy[oy] * w + ix[ox]] }
      }
    } }
    return Tensor.result("nearest", shape: [n, c, outH, outW], storage: out, inputs: [self]) {
      [shape] g in
      let gx = Tensor(zeros: shape)
      parallelRanges(n * c, minPerWorker: perPlane) { planes in for plane in planes {
        let gsrc = g.data + plane * outH * outW
        let gdst = gx.data + plane * h * w
        for oy in 0..<outH {
          for ox in 0..<outW { gdst[iy[oy] * w + ix[ox]] += gsrc[oy * outW + ox] }
        }
      } }
      return [gx]
    }
  }
}
