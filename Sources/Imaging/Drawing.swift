// Antialiased drawing onto RGBImage (coverage from signed distance, pixel centres at integer
// coordinates: pixel (x, y) covers [x-0.5, x+0.5]×[y-0.5, y+0.5]) and a contact-sheet compositor.

/// An RGB colour with components in [0, 1].
public struct RGBColor: Equatable, Sendable {
  public var r: Float, g: Float, b: Float
  public init(_ r: Float, _ g: Float, _ b: Float) { self.r = r; self.g = g; self.b = b }
  public static let red = RGBColor(1, 0, 0), green = RGBColor(0, 1, 0), blue = RGBColor(0, 0, 1)
  public static let white = RGBColor(1, 1, 1), black = RGBColor(0, 0, 0), yellow = RGBColor(1, 1, 0)
  public static let magenta = RGBColor(1, 0, 1), cyan = RGBColor(0, 1, 1)

  /// From HSV, h in [0, 1) (wraps), s and v in [0, 1].
  public static func hsv(_ h: Float, _ s: Float, _ v: Float) -> RGBColor {
    var hh = h - h.rounded(.down)
    hh *= 6
    let i = Int(hh) % 6, f = hh - Float(Int(hh))
    let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
    switch i {
    case 0: return RGBColor(v, t, p)
    case 1: return RGBColor(q, v, p)
    case 2: return RGBColor(p, v, t)
    case 3: return RGBColor(p, q, v)
    case 4: return RGBColor(t, p, v)
    default: return RGBColor(v, p, q)
    }
  }

  /// A palette of distinct colours for keypoint index k.
  public static func keypoint(_ k: Int) -> RGBColor { hsv(Float(k) * 0.618034, 0.9, 1) }
}

extension RGBImage {
  /// Blends `color` into pixel (x, y) with weight `alpha` (no bounds check).
  @inline(__always) mutating func blend(_ x: Int, _ y: Int, _ color: RGBColor, _ alpha: Float) {
    let plane = width * height, i = y * width + x
    pixels.withUnsafeMutableBufferPointer { p in
      p[i] += alpha * (color.r - p[i])
      p[plane + i] += alpha * (color.g - p[plane + i])
      p[2 * plane + i] += alpha * (color.b - p[2 * plane + i])
    }
  }

  /// Fills the pixels whose signed distance `sdf(x, y)` (pixels; negative inside) is below 0,
  /// antialiased over one pixel, inside the box [x0, x1]×[y0, y1]; `shade` may vary the colour.
  public mutating func fill(
    box: (x0: Float, y0: Float, x1: Float, y1: Float), opacity: Float = 1,
    sdf: (Float, Float) -> Float, shade: (Float, Float) -> RGBColor
  ) {
    let xa = Swift.max(Int((box.x0 - 1).rounded(.down)), 0), xb = Swift.min(Int((box.x1 + 1).rounded(.up)), width - 1)
    let ya = Swift.max(Int((box.y0 - 1).rounded(.down)), 0), yb = Swift.min(Int((box.y1 + 1).rounded(.up)), height - 1)
    guard xa <= xb, ya <= yb else { return }
    let plane = width * height
    pixels.withUnsafeMutableBufferPointer { p in
      for y in ya...yb {
        for x in xa...xb {
          let d = sdf(Float(x), Float(y))
          let a = Swift.min(Swift.max(0.5 - d, 0), 1) * opacity
          if a <= 0 { continue }
          let c = shade(Float(x), Float(y))
          let i = y * width + x
          p[i] += a * (c.r - p[i])
          p[plane + i] += a * (c.g - p[plane + i])
          p[2 * plane + i] += a * (c.b - p[2 * plane + i])
        }
      }
    }
  }

  /// A filled antialiased disc centred at (cx, cy).
  public mutating func fillCircle(cx: Float, cy: Float, radius: Float, color: RGBColor, opacity: Float = 1) {
    fill(box: (cx - radius, cy - radius, cx + radius, cy + radius), opacity: opacity,
      sdf: { x, y in ((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() - radius }, shade: { _, _ in color })
  }

  /// A thick antialiased line with round caps (a capsule) of the given width.
  public mutating func drawLine(x0: Float, y0: Float, x1: Float, y1: Float, width lw: Float, color: RGBColor, opacity: Float = 1) {
    let r = lw / 2
    fill(box: (Swift.min(x0, x1) - r, Swift.min(y0, y1) - r, Swift.max(x0, x1) + r, Swift.max(y0, y1) + r),
      opacity: opacity, sdf: { x, y in segmentDistance(x, y, x0, y0, x1, y1) - r }, shade: { _, _ in color })
  }

  /// A circle outline (ring) of the given line width.
  public mutating func strokeCircle(cx: Float, cy: Float, radius: Float, width lw: Float, color: RGBColor) {
    let r = radius + lw / 2
    fill(box: (cx - r, cy - r, cx + r, cy + r),
      sdf: { x, y in abs(((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() - radius) - lw / 2 }, shade: { _, _ in color })
  }

  /// Scales the image up by an integer factor (nearest neighbour), for readable overlays.
  public func upscaled(_ factor: Int) -> RGBImage {
    precondition(factor >= 1, "upscale factor \(factor)")
    if factor == 1 { return self }
    let w = width * factor, h = height * factor
    var out = [Float](repeating: 0, count: 3 * w * h)
    for c in 0..<3 { for y in 0..<h { for x in 0..<w { out[(c * h + y) * w + x] = self[c, y / factor, x / factor] } } }
    return RGBImage(width: w, height: h, pixels: out)
  }

  /// Copies `src` with its top-left corner at (x, y), clipped to this image.
  public mutating func paste(_ src: RGBImage, x: Int, y: Int) {
    for c in 0..<3 {
      for r in 0..<src.height where y + r >= 0 && y + r < height {
        for i in 0..<src.width where x + i >= 0 && x + i < width { self[c, y + r, x + i] = src[c, r, i] }
      }
    }
  }
}

/// Distance from (px, py) to the segment (ax, ay)–(bx, by).
@inline(__always) public func segmentDistance(_ px: Float, _ py: Float, _ ax: Float, _ ay: Float, _ bx: Float, _ by: Float) -> Float {
  let dx = bx - ax, dy = by - ay
  let len2 = dx * dx + dy * dy
  var t: Float = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0
  t = Swift.min(Swift.max(t, 0), 1)
  let qx = ax + t * dx - px, qy = ay + t * dy - py
  return (qx * qx + qy * qy).squareRoot()
}

/// A contact sheet: images laid out row by row, `columns` per row, separated by `gap` pixels of
/// `background`. Cells take the largest image's size; smaller images sit at their cell's top-left.
public func filmstrip(_ images: [RGBImage], columns: Int, gap: Int = 2, background: RGBColor = .white) -> RGBImage {
  precondition(columns > 0, "filmstrip needs at least one column")
  guard !images.isEmpty else { return RGBImage(width: 1, height: 1, fill: (background.r, background.g, background.b)) }
  let cw = images.map(\.width).max() ?? 1, ch = images.map(\.height).max() ?? 1
  let cols = Swift.min(columns, images.count)
  let rows = (images.count + columns - 1) / columns
  var sheet = RGBImage(width: cols * cw + (cols + 1) * gap, height: rows * ch + (rows + 1) * gap,
    fill: (background.r, background.g, background.b))
  for (i, im) in images.enumerated() {
    let r = i / columns, c = i % columns
    sheet.paste(im, x: gap + c * (cw + gap), y: gap + r * (ch + gap))
  }
  return sheet
}
