// Color jitter as torchvision computes it on float tensors (transforms.functional
// adjust_brightness / adjust_contrast / adjust_saturation / adjust_hue, and ColorJitter's random
// factors applied in random order). DESIGN §2: brightness 0.4, contrast 0.4, saturation 0.4, hue 0.3.
import TensorEngine

extension RGBImage {
  /// torchvision `rgb_to_grayscale` weights.
  @inline(__always) static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.2989 * r + 0.587 * g + 0.114 * b }

  /// `(f·img + (1−f)·other).clamp(0, 1)` with `other` a per-pixel gray plane or one value.
  private func blended(factor f: Float, gray: UnsafeBufferPointer<Float>?, constant: Float) -> RGBImage {
    var out = self
    let plane = planeSize
    out.pixels.withUnsafeMutableBufferPointer { p in
      for c in 0..<3 {
        for i in 0..<plane {
          let o = gray.map { $0[i] } ?? constant
          p[c * plane + i] = Swift.min(Swift.max(f * p[c * plane + i] + (1 - f) * o, 0), 1)
        }
      }
    }
    return out
  }

  private func grayPlane() -> [Float] {
    let plane = planeSize
    var g = [Float](repeating: 0, count: plane)
    pixels.withUnsafeBufferPointer { p in
      for i in 0..<plane { g[i] = RGBImage.luma(p[i], p[plane + i], p[2 * plane + i]) }
    }
    return g
  }

  /// torchvision `adjust_brightness`: blend with black.
  public func adjustedBrightness(_ factor: Float) -> RGBImage { blended(factor: factor, gray: nil, constant: 0) }

  /// torchvision `adjust_contrast`: blend with the mean of the grayscale image.
  public func adjustedContrast(_ factor: Float) -> RGBImage {
    let g = grayPlane()
    var sum = 0.0
    for v in g { sum += Double(v) }
    return blended(factor: factor, gray: nil, constant: Float(sum / Double(Swift.max(g.count, 1))))
  }

  /// torchvision `adjust_saturation`: blend with the grayscale image.
  public func adjustedSaturation(_ factor: Float) -> RGBImage {
    let g = grayPlane()
    return g.withUnsafeBufferPointer { blended(factor: factor, gray: $0, constant: 0) }
  }

  /// torchvision `adjust_hue`: RGB → HSV, h = (h + factor) mod 1, HSV → RGB. factor ∈ [−0.5, 0.5].
  public func adjustedHue(_ factor: Float) -> RGBImage {
    precondition(abs(factor) <= 0.5, "hue factor \(factor) outside [-0.5, 0.5]")
    var out = self
    let plane = planeSize
    out.pixels.withUnsafeMutableBufferPointer { p in
      for i in 0..<plane {
        let r = p[i], g = p[plane + i], b = p[2 * plane + i]
        // _rgb2hsv
        let maxc = Swift.max(r, g, b), minc = Swift.min(r, g, b)
        let eqc = maxc == minc
        let cr = maxc - minc
        let s = cr / (eqc ? 1 : maxc)
        let div: Float = eqc ? 1 : cr
        let rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div
        var h: Float
        if maxc == r { h = bc - gc } else if maxc == g { h = 2 + rc - bc } else { h = 4 + gc - rc }
        h = (h / 6 + 1).truncatingRemainder(dividingBy: 1)  // torch.fmod
        // hue shift: torch remainder (sign of the divisor)
        h = h + factor
        h = h - (h / 1).rounded(.down)
        // _hsv2rgb
        let v = maxc
        let i6 = (h * 6).rounded(.down)
        let f = h * 6 - i6
        let sector = ((Int(i6) % 6) + 6) % 6
        let pp = Swift.min(Swift.max(v * (1 - s), 0), 1)
        let q = Swift.min(Swift.max(v * (1 - s * f), 0), 1)
        let t = Swift.min(Swift.max(v * (1 - s * (1 - f)), 0), 1)
        let (ro, go, bo): (Float, Float, Float)
        switch sector {
        case 0: (ro, go, bo) = (v, t, pp)
        case 1: (ro, go, bo) = (q, v, pp)
        case 2: (ro, go, bo) = (pp, v, t)
        case 3: (ro, go, bo) = (pp, q, v)
        case 4: (ro, go, bo) = (t, pp, v)
        default: (ro, go, bo) = (v, pp, q)
        }
        p[i] = ro
        p[plane + i] = go
        p[2 * plane + i] = bo
      }
    }
    return out
  }
}

/// The four factors and their order, drawn once per image (so they can be logged or replayed).
public struct ColorJitterDraw: Equatable, Sendable {
  public var brightness: Float, contrast: Float, saturation: Float, hue: Float
  /// Operation order: 0 brightness, 1 contrast, 2 saturation, 3 hue.
  public var order: [Int]

  public func apply(to image: RGBImage) -> RGBImage {
    var out = image
    for op in order {
      switch op {
      case 0: out = out.adjustedBrightness(brightness)
      case 1: out = out.adjustedContrast(contrast)
      case 2: out = out.adjustedSaturation(saturation)
      default: out = out.adjustedHue(hue)
      }
    }
    return out
  }
}

/// torchvision `ColorJitter(brightness, contrast, saturation, hue)`: factors uniform in
/// [max(0, 1−x), 1+x] (hue in [−x, x]), the four operations in a random order.
public struct ColorJitter: Equatable, Sendable {
  public var brightness: Float, contrast: Float, saturation: Float, hue: Float

  /// Defaults are DESIGN §2's: 0.4, 0.4, 0.4, 0.3.
  public init(brightness: Float = 0.4, contrast: Float = 0.4, saturation: Float = 0.4, hue: Float = 0.3) {
    precondition(hue >= 0 && hue <= 0.5, "hue jitter \(hue) outside [0, 0.5]")
    self.brightness = brightness
    self.contrast = contrast
    self.saturation = saturation
    self.hue = hue
  }

  public func draw(_ rng: inout SeededRNG) -> ColorJitterDraw {
    func factor(_ x: Float) -> Float { rng.uniform(Swift.max(0, 1 - x), 1 + x) }
    var order = [0, 1, 2, 3]
    for i in stride(from: 3, to: 0, by: -1) {
      let j = Int(rng.next() % UInt64(i + 1))
      order.swapAt(i, j)
    }
    let b = factor(brightness), c = factor(contrast), s = factor(saturation)
    let h = rng.uniform(-hue, hue)
    return ColorJitterDraw(brightness: b, contrast: c, saturation: s, hue: h, order: order)
  }

  public func callAsFunction(_ image: RGBImage, rng: inout SeededRNG) -> RGBImage { draw(&rng).apply(to: image) }
}
