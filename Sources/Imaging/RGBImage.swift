// RGBImage: a planar float RGB image ([3, H, W], values in [0, 1]), crop, and conversion to and
// from engine tensors ([1, 3, H, W] in [-1, 1], DESIGN §2).
import TensorEngine

/// A planar RGB image. `pixels` is [3, H, W] row-major (channel, row, column), values in [0, 1].
public struct RGBImage: Equatable, Sendable {
  public var width: Int
  public var height: Int
  /// [3, H, W]
  public var pixels: [Float]

  public init(width: Int, height: Int, pixels: [Float]) {
    precondition(width >= 0 && height >= 0, "negative image size \(width)×\(height)")
    precondition(pixels.count == 3 * width * height, "RGBImage \(width)×\(height) needs \(3 * width * height) values, got \(pixels.count)")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// An image filled with one colour.
  public init(width: Int, height: Int, fill: (Float, Float, Float) = (0, 0, 0)) {
    let plane = width * height
    var p = [Float](repeating: fill.0, count: 3 * plane)
    for i in plane..<(2 * plane) { p[i] = fill.1 }
    for i in (2 * plane)..<(3 * plane) { p[i] = fill.2 }
    self.init(width: width, height: height, pixels: p)
  }

  /// Number of pixels per channel plane.
  public var planeSize: Int { width * height }

  /// The value of channel `c` at (x = column, y = row).
  @inlinable public subscript(c: Int, y: Int, x: Int) -> Float {
    get { pixels[(c * height + y) * width + x] }
    set { pixels[(c * height + y) * width + x] = newValue }
  }

  /// The image mirrored left–right.
  public func flippedHorizontally() -> RGBImage {
    var out = self
    for row in 0..<(3 * height) {
      let base = row * width
      for x in 0..<width { out.pixels[base + x] = pixels[base + width - 1 - x] }
    }
    return out
  }

  /// The region [x, x+width) × [y, y+height); it must lie inside the image.
  public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
    precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
      "crop (\(x), \(y), \(w)×\(h)) outside a \(width)×\(height) image")
    var out = [Float](repeating: 0, count: 3 * w * h)
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<3 {
          for r in 0..<h {
            let s = (c * height + y + r) * width + x
            let d = (c * h + r) * w
            for i in 0..<w { dst[d + i] = src[s + i] }
          }
        }
      }
    }
    return RGBImage(width: w, height: h, pixels: out)
  }

  /// Values clamped to [0, 1].
  public func clamped() -> RGBImage {
    var out = self
    out.pixels.withUnsafeMutableBufferPointer { p in
      for i in 0..<p.count { p[i] = Swift.min(Swift.max(p[i], 0), 1) }
    }
    return out
  }

  /// A tensor [1, 3, H, W] in [-1, 1] (x·2 − 1).
  public func toTensor() -> Tensor {
    let storage = TensorStorage(count: pixels.count)
    writeNormalized(into: storage.pointer)
    return Tensor(shape: [1, 3, height, width], storage: storage)
  }

  /// Writes the [-1, 1] values (x·2 − 1) into `dst`, which holds 3·H·W floats.
  public func writeNormalized(into dst: UnsafeMutablePointer<Float>) {
    pixels.withUnsafeBufferPointer { src in
      for i in 0..<src.count { dst[i] = src[i] * 2 - 1 }
    }
  }

  /// The image at `index` of a tensor [N, 3, H, W] (or [3, H, W]) in [-1, 1]: (t + 1) / 2,
  /// not clamped.
  public init(tensor: Tensor, index: Int = 0) {
    let s = tensor.shape
    precondition((s.count == 4 && s[1] == 3) || (s.count == 3 && s[0] == 3),
      "RGBImage(tensor:) needs [N, 3, H, W] or [3, H, W], got \(s)")
    let h = s[s.count - 2]
    let w = s[s.count - 1]
    let n = s.count == 4 ? s[0] : 1
    precondition(index >= 0 && index < n, "image index \(index) outside batch of \(n)")
    let plane = 3 * h * w
    let base = tensor.data + index * plane
    var p = [Float](repeating: 0, count: plane)
    p.withUnsafeMutableBufferPointer { dst in
      for i in 0..<plane { dst[i] = (base[i] + 1) * 0.5 }
    }
    self.init(width: w, height: h, pixels: p)
  }
}

extension Tensor {
  /// Stacks images of one size into a tensor [N, 3, H, W] in [-1, 1].
  public static func batch(_ images: [RGBImage]) -> Tensor {
    precondition(!images.isEmpty, "Tensor.batch needs at least one image")
    let w = images[0].width, h = images[0].height
    let plane = 3 * w * h
    let storage = TensorStorage(count: images.count * plane)
    for (i, im) in images.enumerated() {
      precondition(im.width == w && im.height == h, "Tensor.batch: image \(i) is \(im.width)×\(im.height), not \(w)×\(h)")
      im.writeNormalized(into: storage.pointer + i * plane)
    }
    return Tensor(shape: [images.count, 3, h, w], storage: storage)
  }
}
