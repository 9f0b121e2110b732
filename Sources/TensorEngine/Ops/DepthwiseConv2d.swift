// Depthwise 2-d convolution (groups == channels: one k×k filter per channel), forward and
// backward, with any zero padding per side (TensorFlow's asymmetric "SAME" included).
//
// Each plane is copied once into a zero-padded buffer split into stride × stride phases (phase
// (a, b) holds padded pixels (a + s·i, b + s·j)). Output pixel (oy, ox) then reads tap (ki, kj)
// at phase (ki % s, kj % s), position (oy + ki / s, ox + kj / s): with the output laid out at the
// phases' row pitch ("flat" rows, a few unused columns at the end of each), every tap is one
// contiguous run over the whole plane, so small planes (7×7) vectorize as well as large ones.
// The forward splits the N·C planes over the engine's workers; the backward splits channels
// (each worker owns its channels' weight and bias gradients: nothing is reduced across workers).

/// Zero padding on each side of an image (rows above and below, columns left and right).
public struct Padding2d: Equatable, Sendable, CustomStringConvertible {
  public var top: Int
  public var bottom: Int
  public var left: Int
  public var right: Int

  public init(top: Int, bottom: Int, left: Int, right: Int) {
    precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "negative padding \(top) \(bottom) \(left) \(right)")
    self.top = top
    self.bottom = bottom
    self.left = left
    self.right = right
  }

  /// p on every side (PyTorch's `padding=p`).
  public static func symmetric(_ p: Int) -> Padding2d { Padding2d(top: p, bottom: p, left: p, right: p) }

  /// TensorFlow's "SAME": the output is ceil(size / stride) along each axis, the total padding
  /// max((out − 1)·stride + kernel − size, 0) is split with the odd pixel at the bottom/right.
  public static func tfSame(height: Int, width: Int, kernel: Int, stride: Int) -> Padding2d {
    func split(_ size: Int) -> (Int, Int) {
      let out = (size + stride - 1) / stride
      let total = Swift.max((out - 1) * stride + kernel - size, 0)
      return (total / 2, total - total / 2)
    }
    let (t, b) = split(height)
    let (l, r) = split(width)
    return Padding2d(top: t, bottom: b, left: l, right: r)
  }

  public var description: String { "(top \(top), bottom \(bottom), left \(left), right \(right))" }
}

/// Sizes of one depthwise convolution.
public struct DepthwiseGeometry: Equatable, Sendable {
  public let n, c, h, w, kh, kw, stride: Int
  public let pad: Padding2d
  /// Padded image size, output size.
  public let ph, pw, ho, wo: Int
  /// Rows and columns of one phase of the padded image (ceil(ph / stride), ceil(pw / stride)).
  public let phaseRows, phaseWidth: Int

  public init(n: Int, c: Int, h: Int, w: Int, kh: Int, kw: Int, stride: Int, pad: Padding2d) {
    precondition(stride >= 1, "depthwise conv: stride \(stride)")
    (self.n, self.c, self.h, self.w, self.kh, self.kw, self.stride, self.pad) = (n, c, h, w, kh, kw, stride, pad)
    ph = h + pad.top + pad.bottom
    pw = w + pad.left + pad.right
    ho = ph >= kh ? (ph - kh) / stride + 1 : 0
    wo = pw >= kw ? (pw - kw) / stride + 1 : 0
    phaseRows = (ph + stride - 1) / stride
    phaseWidth = (pw + stride - 1) / stride
  }

  /// Floats between phases: the phase plus one row and a vector of slack, because the unused
  /// columns of the last flat output row read up to (kw − 1) / s + phaseWidth − wo past it.
  var phaseStride: Int { (phaseRows + 1) * phaseWidth + 16 }
  /// Floats of one plane's padded, phase-split copy.
  var paddedCount: Int { stride * stride * phaseStride }
  /// Output floats in flat rows (pitch phaseWidth).
  var flatCount: Int { ho * phaseWidth }
  var taps: Int { kh * kw }
}

extension Tensor {
  /// x [N,C,H,W] ⋆ weight [C,1,kh,kw] (+ bias [C]) → [N,C,Ho,Wo]: PyTorch's
  /// F.conv2d(F.pad(x, (left, right, top, bottom)), weight, bias, stride, groups=C).
  public static func depthwiseConv2d(
    _ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Padding2d
  ) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4, "depthwise conv: input \(x.shape), weight \(weight.shape) (need 4-d)")
    precondition(
      weight.shape[0] == x.shape[1] && weight.shape[1] == 1,
      "depthwise conv: weight \(weight.shape) must be [\(x.shape[1]), 1, kh, kw] for input \(x.shape)")
    if let bias { precondition(bias.shape == [x.shape[1]], "depthwise conv: bias \(bias.shape) for \(x.shape[1]) channels") }
    let g = DepthwiseGeometry(
      n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3], kh: weight.shape[2], kw: weight.shape[3],
      stride: stride, pad: padding)
    precondition(g.ho > 0 && g.wo > 0, "depthwise conv: input \(x.shape) too small for kernel \(weight.shape) with padding \(padding)")
    let outShape = [g.n, g.c, g.ho, g.wo]
    let out = TensorStorage(count: Tensor.elementCount(outShape))
    depthwiseForward(x: x.data, weight: weight.data, bias: bias?.data, out: out.pointer, g)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return result("depthwise_conv2d", shape: outShape, storage: out, inputs: inputs) {
      gout in
      let gx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
      let gw = weight.requiresGrad ? Tensor(zeros: weight.shape) : nil
      let gb = (bias?.requiresGrad ?? false) ? Tensor(zeros: [g.c]) : nil
      depthwiseBackward(x: x.data, weight: weight.data, gout: gout.data, gx: gx?.data, gw: gw?.data, gb: gb?.data, g)
      return bias == nil ? [gx, gw] : [gx, gw, gb]
    }
  }
}

// MARK: - Kernels

/// Writes plane `src` [h, w] zero-padded and phase-split into `dst` (`paddedCount` floats):
/// padded pixel (r, q) goes to phase (r % s, q % s) at (r / s, q / s).
@inline(__always)
func depthwisePadPlane(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ g: DepthwiseGeometry) {
  let (s, pwS) = (g.stride, g.phaseWidth)
  dst.update(repeating: 0, count: g.paddedCount)
  for y in 0..<g.h {
    let row = src + y * g.w
    let r = y + g.pad.top
    let rowBase = dst + (r % s) * s * g.phaseStride + (r / s) * pwS
    if s == 1 {
      (rowBase + g.pad.left).update(from: row, count: g.w)
      continue
    }
    // Column phase b takes input columns x0, x0 + s, … (x0 the first with (x0 + left) % s == b).
    for b in 0..<s {
      let x0 = ((b - g.pad.left) % s + s) % s
      guard x0 < g.w else { continue }
      let out = rowBase + b * g.phaseStride + (x0 + g.pad.left) / s
      var (xx, j) = (x0, 0)
      while xx < g.w {
        out[j] = row[xx]
        xx += s
        j += 1
      }
    }
  }
}

/// The inverse gather: gx [h, w] = the unpadded pixels of the phase-split `src`.
@inline(__always)
func depthwiseUnpadPlane(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ g: DepthwiseGeometry) {
  let (s, pwS) = (g.stride, g.phaseWidth)
  for y in 0..<g.h {
    let row = dst + y * g.w
    let r = y + g.pad.top
    let rowBase = src + (r % s) * s * g.phaseStride + (r / s) * pwS
    if s == 1 {
      row.update(from: rowBase + g.pad.left, count: g.w)
      continue
    }
    for b in 0..<s {
      let x0 = ((b - g.pad.left) % s + s) % s
      guard x0 < g.w else { continue }
      let from = rowBase + b * g.phaseStride + (x0 + g.pad.left) / s
      var (xx, j) = (x0, 0)
      while xx < g.w {
        row[xx] = from[j]
        xx += s
        j += 1
      }
    }
  }
}

/// Where each tap's run starts in a phase-split plane: tap (ki, kj) reads phase (ki % s, kj % s)
/// from (ki / s, kj / s) on, for flat output index 0.
@inline(__always)
func depthwiseTaps(
  _ padded: UnsafeMutablePointer<Float>, _ g: DepthwiseGeometry, into taps: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
) {
  let s = g.stride
  for ki in 0..<g.kh {
    for kj in 0..<g.kw {
      taps[ki * g.kw + kj] = padded + ((ki % s) * s + kj % s) * g.phaseStride + (ki / s) * g.phaseWidth + kj / s
    }
  }
}

/// out[0..<n] = bias + Σ_t w[t] · taps[t][0..<n] (registers hold 16 outputs across all taps).
@inline(__always)
func depthwiseRow(
  _ out: UnsafeMutablePointer<Float>, _ n: Int, _ taps: UnsafeMutablePointer<UnsafeMutablePointer<Float>>,
  _ w: UnsafePointer<Float>, _ t: Int, _ bias: Float
) {
  var x = 0
  while x + 16 <= n {
    var a0 = SIMD8<Float>(repeating: bias)
    var a1 = a0
    for k in 0..<t {
      let p = UnsafeRawPointer(taps[k] + x)
      let wk = SIMD8<Float>(repeating: w[k])
      a0 += p.loadUnaligned(as: SIMD8<Float>.self) * wk
      a1 += p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) * wk
    }
    UnsafeMutableRawPointer(out + x).storeBytes(of: a0, as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(out + x + 8).storeBytes(of: a1, as: SIMD8<Float>.self)
    x += 16
  }
  if x + 8 <= n {
    var a = SIMD8<Float>(repeating: bias)
    for k in 0..<t { a += UnsafeRawPointer(taps[k] + x).loadUnaligned(as: SIMD8<Float>.self) * SIMD8(repeating: w[k]) }
    UnsafeMutableRawPointer(out + x).storeBytes(of: a, as: SIMD8<Float>.self)
    x += 8
  }
  while x < n {
    var a = bias
    for k in 0..<t { a += w[k] * taps[k][x] }
    out[x] = a
    x += 1
  }
}

/// Planes (or channels) per worker so that each gets roughly 64k multiply-adds or more.
func depthwiseMinPerWorker(_ g: DepthwiseGeometry, planesPerItem: Int = 1) -> Int {
  Swift.max(1, (1 << 16) / Swift.max(1, g.ho * g.wo * g.taps * planesPerItem))
}

/// out[n, c] = x[n, c] ⋆ weight[c] + bias[c], every plane.
public func depthwiseForward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: DepthwiseGeometry
) {
  let planes = g.n * g.c
  let direct = g.phaseWidth == g.wo  // flat rows are the output rows: no compaction
  parallelRanges(planes, minPerWorker: depthwiseMinPerWorker(g)) { range in
    let padded = UnsafeMutablePointer<Float>.allocate(capacity: g.paddedCount)
    let flat = UnsafeMutablePointer<Float>.allocate(capacity: direct ? 1 : g.flatCount)
    let taps = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: g.taps)
    defer {
      padded.deallocate()
      flat.deallocate()
      taps.deallocate()
    }
    depthwiseTaps(padded, g, into: taps)
    for plane in range {
      let ch = plane % g.c
      depthwisePadPlane(x + plane * g.h * g.w, padded, g)
      let dst = out + plane * g.ho * g.wo
      depthwiseRow(direct ? dst : flat, g.flatCount, taps, weight + ch * g.taps, g.taps, bias?[ch] ?? 0)
      if !direct {
        for oy in 0..<g.ho { (dst + oy * g.wo).update(from: flat + oy * g.phaseWidth, count: g.wo) }
      }
    }
  }
}

/// Gradients of the depthwise conv: gx (overwritten), gw and gb (accumulated into), each optional.
public func depthwiseBackward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gout: UnsafePointer<Float>,
  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, gb: UnsafeMutablePointer<Float>?,
  _ g: DepthwiseGeometry
) {
  let ohw = g.ho * g.wo
  // At stride 1 the input gradient is itself a depthwise conv: gout padded by k − 1 − pad on
  // each side, correlated with the flipped kernel (one store per pixel instead of one per tap).
  let p = g.pad
  let asForward = g.stride == 1 && Swift.max(p.top, p.bottom) < g.kh && Swift.max(p.left, p.right) < g.kw
  if let gx, asForward {
    let flipped = UnsafeMutablePointer<Float>.allocate(capacity: g.c * g.taps)
    defer { flipped.deallocate() }
    for i in 0..<(g.c * g.taps) { flipped[i] = weight[(i / g.taps) * g.taps + g.taps - 1 - i % g.taps] }
    let transposed = DepthwiseGeometry(
      n: g.n, c: g.c, h: g.ho, w: g.wo, kh: g.kh, kw: g.kw, stride: 1,
      pad: Padding2d(top: g.kh - 1 - p.top, bottom: g.kh - 1 - p.bottom, left: g.kw - 1 - p.left, right: g.kw - 1 - p.right))
    depthwiseForward(x: gout, weight: flipped, bias: nil, out: gx, transposed)
  }
  let scatterGx = asForward ? nil : gx
  guard gw != nil || gb != nil || scatterGx != nil else { return }
  parallelRanges(g.c, minPerWorker: depthwiseMinPerWorker(g, planesPerItem: g.n)) { channels in
    let padded = UnsafeMutablePointer<Float>.allocate(capacity: g.paddedCount)
    let gflat = UnsafeMutablePointer<Float>.allocate(capacity: g.flatCount)
    let taps = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: g.taps)
    let acc = UnsafeMutablePointer<Double>.allocate(capacity: g.taps)
    defer {
      padded.deallocate()
      gflat.deallocate()
      taps.deallocate()
      acc.deallocate()
    }
    // gout in flat rows, zero in the unused columns (so they add nothing below).
    gflat.update(repeating: 0, count: g.flatCount)
    depthwiseTaps(padded, g, into: taps)
    for ch in channels {
      let w = weight + ch * g.taps
      if gw != nil { acc.initialize(repeating: 0, count: g.taps) }
      var biasSum: Double = 0
      for ni in 0..<g.n {
        let plane = ni * g.c + ch
        let go = gout + plane * ohw
        if gb != nil { biasSum += Double(sumContiguous(go, ohw)) }
        guard gw != nil || scatterGx != nil else { continue }
        for oy in 0..<g.ho { (gflat + oy * g.phaseWidth).update(from: go + oy * g.wo, count: g.wo) }
        if gw != nil {
          // gw[t] = Σ over output pixels of gout · tap t's input run.
          depthwisePadPlane(x + plane * g.h * g.w, padded, g)
          for t in 0..<g.taps { acc[t] += Double(dotContiguous(gflat, taps[t], g.flatCount)) }
        }
        if let gx = scatterGx {
          // Scatter gout back through every tap into the padded, phase-split gradient, then crop.
          padded.update(repeating: 0, count: g.paddedCount)
          for t in 0..<g.taps { axpyContiguous(w[t], gflat, taps[t], g.flatCount) }
          depthwiseUnpadPlane(padded, gx + plane * g.h * g.w, g)
        }
      }
      if let gw { for t in 0..<g.taps { gw[ch * g.taps + t] += Float(acc[t]) } }
      if let gb { gb[ch] += Float(biasSum) }
    }
  }
}

/// Σ a[i]·b[i] over n floats, eight lanes wide.
@inline(__always)
func dotContiguous(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
  var acc = SIMD8<Float>(repeating: 0)
  var k = 0
  while k + 8 <= n {
    acc += UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self)
      * UnsafeRawPointer(b + k).loadUnaligned(as: SIMD8<Float>.self)
    k += 8
  }
  var tail: Float = 0
  while k < n {
    tail += a[k] * b[k]
    k += 1
  }
  return acc.sum() + tail
}

/// y[i] += alpha·x[i] over n floats, eight lanes wide.
@inline(__always)
func axpyContiguous(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
  let a = SIMD8<Float>(repeating: alpha)
  var k = 0
  while k + 8 <= n {
    let v =
      UnsafeRawPointer(y + k).loadUnaligned(as: SIMD8<Float>.self) + a
      * UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(y + k).storeBytes(of: v, as: SIMD8<Float>.self)
    k += 8
  }
  while k < n {
    y[k] += alpha * x[k]
    k += 1
  }
}
