// Per-sample convolution (CDNA-style transforms): each sample b of a batch carries its own N
// kernels, and every one of them is applied to every channel of that sample's image.
//
// Dimension letters: B batch, C image channels, H/W height/width, N kernels per sample, k the
// (odd) kernel size, p = k / 2 the zero padding that keeps the size ("same").
//
// The planes go through the depthwise conv's stride-1 machinery (DepthwiseConv2d.swift): a plane
// is copied once into a zero-padded buffer, the output is laid out in "flat" rows at the padded
// row pitch, so each of the k² taps is one contiguous run over the whole plane. The batch is
// split over the engine's workers; a worker owns its samples' outputs and gradients (nothing is
// reduced across workers, so one worker and two give the same bits).

extension Tensor {
  /// image [B, C, H, W], kernels [B, N, k, k] (k odd) → [B, N, C, H, W]:
  /// out[b, n, c] = image[b, c] ⋆ kernels[b, n] (cross-correlation as torch's conv2d), zero
  /// padding k / 2. Differentiable in both inputs. In torch, one grouped conv:
  /// F.conv2d(image[:, None].expand(B, N, C, H, W).reshape(1, B·N·C, H, W),
  /// kernels[:, :, None].expand(B, N, C, k, k).reshape(B·N·C, 1, k, k), padding=k // 2,
  /// groups=B·N·C).reshape(B, N, C, H, W).
  public static func perSampleConv2d(_ image: Tensor, kernels: Tensor) -> Tensor {
    precondition(
      image.rank == 4 && kernels.rank == 4,
      "perSampleConv2d: image \(image.shape), kernels \(kernels.shape) (need [B, C, H, W] and [B, N, k, k])")
    precondition(
      kernels.shape[0] == image.shape[0],
      "perSampleConv2d: kernels \(kernels.shape) and image \(image.shape) differ in batch size")
    precondition(
      kernels.shape[2] == kernels.shape[3] && kernels.shape[2] % 2 == 1,
      "perSampleConv2d: kernels \(kernels.shape) must be square with an odd size")
    let g = PerSampleGeometry(
      b: image.shape[0], c: image.shape[1], h: image.shape[2], w: image.shape[3], n: kernels.shape[1],
      k: kernels.shape[2])
    let outShape = [g.b, g.n, g.c, g.h, g.w]
    let out = TensorStorage(count: Tensor.elementCount(outShape))
    perSampleConvForward(image: image.data, kernels: kernels.data, out: out.pointer, g)
    return result("per_sample_conv2d", shape: outShape, storage: out, inputs: [image, kernels]) {
      gout in
      // The backward overwrites gx and gk, so neither needs a zero fill.
      let gx = image.requiresGrad ? Tensor(uninitialized: image.shape) : nil
      let gk = kernels.requiresGrad ? Tensor(uninitialized: kernels.shape) : nil
      perSampleConvBackward(
        image: image.data, kernels: kernels.data, gout: gout.data, gx: gx?.data, gk: gk?.data, g)
      return [gx, gk]
    }
  }
}

/// Sizes of one per-sample convolution.
public struct PerSampleGeometry: Equatable, Sendable {
  public let b, c, h, w, n, k: Int
  /// One plane's geometry for the depthwise kernels: stride 1, padding k / 2 on every side.
  let plane: DepthwiseGeometry

  public init(b: Int, c: Int, h: Int, w: Int, n: Int, k: Int) {
    precondition(k >= 1 && k % 2 == 1, "perSampleConv2d: kernel size \(k) must be odd")
    (self.b, self.c, self.h, self.w, self.n, self.k) = (b, c, h, w, n, k)
    plane = DepthwiseGeometry(n: 1, c: 1, h: h, w: w, kh: k, kw: k, stride: 1, pad: .symmetric(k / 2))
  }

  var taps: Int { k * k }
  var hw: Int { h * w }
  /// Samples per worker so that each gets roughly 64k multiply-adds or more.
  var minPerWorker: Int { Swift.max(1, (1 << 16) / Swift.max(1, n * c * hw * taps)) }
}

// MARK: - Kernels

/// One worker's scratch: a padded plane, its tap pointers, and a flat output plane.
private struct PerSampleScratch {
  let padded: UnsafeMutablePointer<Float>
  let flat: UnsafeMutablePointer<Float>
  let taps: UnsafeMutablePointer<UnsafeMutablePointer<Float>>

  init(_ g: PerSampleGeometry) {
    padded = .allocate(capacity: g.plane.paddedCount)
    flat = .allocate(capacity: g.plane.flatCount)
    taps = .allocate(capacity: g.taps)
    depthwiseTaps(padded, g.plane, into: taps)
  }

  func deallocate() {
    padded.deallocate()
    flat.deallocate()
    taps.deallocate()
  }
}

/// Copies the first w floats of each flat row (pitch: the padded width) into h contiguous rows.
@inline(__always)
private func compactRows(
  _ flat: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ g: PerSampleGeometry
) {
  let pitch = g.plane.phaseWidth
  for y in 0..<g.h { (dst + y * g.w).update(from: flat + y * pitch, count: g.w) }
}

/// out[b, n, c] = pad(image[b, c]) ⋆ kernels[b, n] for every b, n, c.
public func perSampleConvForward(
  image: UnsafePointer<Float>, kernels: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
  _ g: PerSampleGeometry
) {
  parallelRanges(g.b, minPerWorker: g.minPerWorker) { samples in
    let s = PerSampleScratch(g)
    defer { s.deallocate() }
    for bi in samples {
      for ci in 0..<g.c {
        // One padded copy of the plane serves all N kernels.
        depthwisePadPlane(image + (bi * g.c + ci) * g.hw, s.padded, g.plane)
        for ni in 0..<g.n {
          depthwiseRow(s.flat, g.plane.flatCount, s.taps, kernels + (bi * g.n + ni) * g.taps, g.taps, 0)
          compactRows(s.flat, out + ((bi * g.n + ni) * g.c + ci) * g.hw, g)
        }
      }
    }
  }
}

/// Gradients of the per-sample conv, each optional: gx [B, C, H, W] and gk [B, N, k, k], both
/// overwritten.
public func perSampleConvBackward(
  image: UnsafePointer<Float>, kernels: UnsafePointer<Float>, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gk: UnsafeMutablePointer<Float>?, _ g: PerSampleGeometry
) {
  guard gx != nil || gk != nil else { return }
  let flatCount = g.plane.flatCount
  parallelRanges(g.b, minPerWorker: g.minPerWorker) { samples in
    let s = PerSampleScratch(g)
    // gout of one plane in flat rows, zero in the unused columns (so they add nothing).
    let gflat = UnsafeMutablePointer<Float>.allocate(capacity: flatCount)
    let gxFlat = UnsafeMutablePointer<Float>.allocate(capacity: flatCount)
    let flipped = UnsafeMutablePointer<Float>.allocate(capacity: g.n * g.taps)
    let acc = UnsafeMutablePointer<Double>.allocate(capacity: g.n * g.taps)
    defer {
      s.deallocate()
      gflat.deallocate()
      gxFlat.deallocate()
      flipped.deallocate()
      acc.deallocate()
    }
    gflat.update(repeating: 0, count: flatCount)
    for bi in samples {
      let kb = kernels + bi * g.n * g.taps
      if let gk {
        // gk[b, n, t] = Σ over c and output pixels of gout[b, n, c] · tap t's run of image[b, c].
        acc.update(repeating: 0, count: g.n * g.taps)
        for ci in 0..<g.c {
          depthwisePadPlane(image + (bi * g.c + ci) * g.hw, s.padded, g.plane)
          for ni in 0..<g.n {
            let go = gout + ((bi * g.n + ni) * g.c + ci) * g.hw
            for y in 0..<g.h { (gflat + y * g.plane.phaseWidth).update(from: go + y * g.w, count: g.w) }
            for t in 0..<g.taps { acc[ni * g.taps + t] += Double(dotContiguous(gflat, s.taps[t], flatCount)) }
          }
        }
        for i in 0..<(g.n * g.taps) { gk[bi * g.n * g.taps + i] = Float(acc[i]) }
      }
      if let gx {
        // With padding k / 2 on a k×k kernel at stride 1 the input gradient is the same conv of
        // gout with the flipped kernel: gx[b, c] = Σ_n pad(gout[b, n, c]) ⋆ flip(kernels[b, n]).
        for i in 0..<(g.n * g.taps) { flipped[i] = kb[(i / g.taps) * g.taps + g.taps - 1 - i % g.taps] }
        for ci in 0..<g.c {
          gxFlat.update(repeating: 0, count: flatCount)
          for ni in 0..<g.n {
            depthwisePadPlane(gout + ((bi * g.n + ni) * g.c + ci) * g.hw, s.padded, g.plane)
            depthwiseRow(s.flat, flatCount, s.taps, flipped + ni * g.taps, g.taps, 0)
            axpyContiguous(1, s.flat, gxFlat, flatCount)
          }
          compactRows(gxFlat, gx + (bi * g.c + ci) * g.hw, g)
        }
      }
    }
  }
}
