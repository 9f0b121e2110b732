// Bilinear resize as PIL's `Image.resize(..., BILINEAR)` computes it: a separable triangle filter
// whose support widens by the scale factor when shrinking (so shrinking antialiases), weights
// normalized per output pixel, pixel centres at i + 0.5. Float in, float out (no 8-bit rounding).

/// Per output index: first input index and normalized weights.
struct ResampleTable {
  var start: [Int]
  var count: [Int]
  var weights: [Float]  // [outSize, maxTaps]
  var maxTaps: Int

  init(inSize: Int, outSize: Int) {
    let scale = Double(inSize) / Double(outSize)
    let filterScale = Swift.max(scale, 1)
    let support = 1.0 * filterScale
    maxTaps = Int(support.rounded(.up)) * 2 + 1
    start = [Int](repeating: 0, count: outSize)
    count = [Int](repeating: 0, count: outSize)
    weights = [Float](repeating: 0, count: outSize * maxTaps)
    for o in 0..<outSize {
      let center = (Double(o) + 0.5) * scale
      // PIL: xmin = max(int(center - support + 0.5), 0), truncation toward zero.
      let lo = Swift.max(Int(center - support + 0.5), 0)
      let hi = Swift.min(Int(center + support + 0.5), inSize)
      let n = hi - lo
      var ws = [Double](repeating: 0, count: n)
      var total = 0.0
      for k in 0..<n {
        let t = abs((Double(k + lo) - center + 0.5) / filterScale)
        let w = t < 1 ? 1 - t : 0
        ws[k] = w
        total += w
      }
      start[o] = lo
      count[o] = n
      for k in 0..<n { weights[o * maxTaps + k] = Float(total != 0 ? ws[k] / total : 0) }
    }
  }
}

extension RGBImage {
  /// Bilinear resize with PIL's antialiasing when shrinking.
  public func resized(width outW: Int, height outH: Int) -> RGBImage {
    precondition(outW > 0 && outH > 0, "resize to \(outW)×\(outH)")
    if outW == width && outH == height { return self }
    let tx = ResampleTable(inSize: width, outSize: outW)
    let ty = ResampleTable(inSize: height, outSize: outH)
    // Horizontal pass: [3, H, outW]; then vertical: [3, outH, outW].
    var mid = [Float](repeating: 0, count: 3 * height * outW)
    var out = [Float](repeating: 0, count: 3 * outH * outW)
    let (w, h) = (width, height)
    pixels.withUnsafeBufferPointer { src in
      mid.withUnsafeMutableBufferPointer { m in
        tx.weights.withUnsafeBufferPointer { wx in
          for row in 0..<(3 * h) {
            let s = row * w, d = row * outW
            for o in 0..<outW {
              let lo = tx.start[o], n = tx.count[o], wb = o * tx.maxTaps
              var acc: Float = 0
              for k in 0..<n { acc += wx[wb + k] * src[s + lo + k] }
              m[d + o] = acc
            }
          }
        }
      }
    }
    mid.withUnsafeBufferPointer { m in
      out.withUnsafeMutableBufferPointer { dst in
        ty.weights.withUnsafeBufferPointer { wy in
          for c in 0..<3 {
            for o in 0..<outH {
              let lo = ty.start[o], n = ty.count[o], wb = o * ty.maxTaps
              let d = (c * outH + o) * outW
              for x in 0..<outW { dst[d + x] = 0 }
              for k in 0..<n {
                let wk = wy[wb + k]
                let s = (c * h + lo + k) * outW
                for x in 0..<outW { dst[d + x] += wk * m[s + x] }
              }
            }
          }
        }
      }
    }
    return RGBImage(width: outW, height: outH, pixels: out)
  }

  /// Centre crop to a square of the shorter side, then resize to size×size.
  public func squareResized(_ size: Int) -> RGBImage {
    let side = Swift.min(width, height)
    let sq = (width == height) ? self : cropped(x: (width - side) / 2, y: (height - side) / 2, width: side, height: side)
    return sq.resized(width: size, height: size)
  }
}
