// Thin-plate spline maps R² → R² (kernel U(r) = r² log r, affine part, exact interpolation of the
// control points) and the random TPS warp of DESIGN §2 (10×10 control grid with a 10 px margin,
// rotation ±π/8, scale 1.05–1.15 per axis, translation ±10 px, ±2 px per-point jitter, border
// replicate). Coordinates are pixels with pixel centres at integers (x = column, y = row).
import Foundation
import TensorEngine

/// f(p) = a0 + a1·x + a2·y + Σ_i w_i U(|p − c_i|), one such map per output coordinate.
public struct ThinPlateSpline: Sendable {
  /// Control points c_i, [N] of (x, y).
  public let controls: [SIMD2<Double>]
  /// [N + 3] weights per output coordinate: w_0…w_{N−1}, a0, a1, a2.
  let coefX: [Double], coefY: [Double]

  @inline(__always) static func kernel(_ r2: Double) -> Double { r2 > 0 ? 0.5 * r2 * Foundation.log(r2) : 0 }

  /// Solves for the map with f(source_i) = target_i. Fails (nil) when the points are degenerate
  /// (fewer than 3, or all on one line).
  public init?(source: [SIMD2<Double>], target: [SIMD2<Double>]) {
    precondition(source.count == target.count, "TPS: \(source.count) sources, \(target.count) targets")
    let n = source.count
    guard n >= 3 else { return nil }
    let m = n + 3
    var a = [Double](repeating: 0, count: m * m)
    for i in 0..<n {
      for j in 0..<n {
        let d = source[i] - source[j]
        a[i * m + j] = ThinPlateSpline.kernel((d * d).sum())
      }
      let row: [Double] = [1, source[i].x, source[i].y]
      for k in 0..<3 {
        a[i * m + n + k] = row[k]
        a[(n + k) * m + i] = row[k]
      }
    }
    var rhs = [Double](repeating: 0, count: m * 2)
    for i in 0..<n {
      rhs[i * 2] = target[i].x
      rhs[i * 2 + 1] = target[i].y
    }
    guard solveInPlace(&a, &rhs, n: m, columns: 2) else { return nil }
    controls = source
    coefX = (0..<m).map { rhs[$0 * 2] }
    coefY = (0..<m).map { rhs[$0 * 2 + 1] }
  }

  /// f(x, y).
  public func callAsFunction(_ x: Double, _ y: Double) -> SIMD2<Double> {
    let n = controls.count
    var fx = coefX[n] + coefX[n + 1] * x + coefX[n + 2] * y
    var fy = coefY[n] + coefY[n + 1] * x + coefY[n + 2] * y
    for i in 0..<n {
      let dx = x - controls[i].x, dy = y - controls[i].y
      let u = ThinPlateSpline.kernel(dx * dx + dy * dy)
      fx += coefX[i] * u
      fy += coefY[i] * u
    }
    return SIMD2(fx, fy)
  }

  /// f on the pixel grid of a width×height image: [H·W] x values and [H·W] y values.
  public func grid(width: Int, height: Int) -> (x: [Float], y: [Float]) {
    let n = controls.count
    var gx = [Float](repeating: 0, count: width * height), gy = gx
    let cx = controls.map(\.x), cy = controls.map(\.y)
    cx.withUnsafeBufferPointer { cxp in
      cy.withUnsafeBufferPointer { cyp in
        coefX.withUnsafeBufferPointer { ax in
          coefY.withUnsafeBufferPointer { ay in
            for row in 0..<height {
              let y = Double(row)
              for col in 0..<width {
                let x = Double(col)
                var fx = ax[n] + ax[n + 1] * x + ax[n + 2] * y
                var fy = ay[n] + ay[n + 1] * x + ay[n + 2] * y
                for i in 0..<n {
                  let dx = x - cxp[i], dy = y - cyp[i]
                  let r2 = dx * dx + dy * dy
                  if r2 > 0 {
                    let u = 0.5 * r2 * Foundation.log(r2)
                    fx += ax[i] * u
                    fy += ay[i] * u
                  }
                }
                gx[row * width + col] = Float(fx)
                gy[row * width + col] = Float(fy)
              }
            }
          }
        }
      }
    }
    return (gx, gy)
  }
}

/// Gaussian elimination with partial pivoting on a [n, n] system with `columns` right-hand sides
/// ([n, columns]); the solution replaces `b`. False when singular.
func solveInPlace(_ a: inout [Double], _ b: inout [Double], n: Int, columns: Int) -> Bool {
  a.withUnsafeMutableBufferPointer { a in
    b.withUnsafeMutableBufferPointer { b in
      for col in 0..<n {
        var pivot = col
        var best = abs(a[col * n + col])
        for r in (col + 1)..<n where abs(a[r * n + col]) > best {
          best = abs(a[r * n + col])
          pivot = r
        }
        guard best > 1e-12 else { return false }
        if pivot != col {
          for k in 0..<n { a.swapAt(col * n + k, pivot * n + k) }
          for k in 0..<columns { b.swapAt(col * columns + k, pivot * columns + k) }
        }
        let inv = 1 / a[col * n + col]
        for r in (col + 1)..<n {
          let f = a[r * n + col] * inv
          if f == 0 { continue }
          for k in col..<n { a[r * n + k] -= f * a[col * n + k] }
          for k in 0..<columns { b[r * columns + k] -= f * b[col * columns + k] }
        }
      }
      for col in stride(from: n - 1, through: 0, by: -1) {
        for k in 0..<columns {
          var s = b[col * columns + k]
          for j in (col + 1)..<n { s -= a[col * n + j] * b[j * columns + k] }
          b[col * columns + k] = s / a[col * n + col]
        }
      }
      return true
    }
  }
}

extension RGBImage {
  /// out(p) = self(map(p)), bilinear, border replicate. `mapX`/`mapY` are [H·W] sampling positions.
  public func remapped(mapX: [Float], mapY: [Float]) -> RGBImage {
    precondition(mapX.count == planeSize && mapY.count == planeSize, "remap needs \(planeSize) positions")
    var out = [Float](repeating: 0, count: pixels.count)
    let w = width, h = height, plane = planeSize
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        mapX.withUnsafeBufferPointer { mx in
          mapY.withUnsafeBufferPointer { my in
            for i in 0..<plane {
              let x = Swift.min(Swift.max(mx[i], 0), Float(w - 1))
              let y = Swift.min(Swift.max(my[i], 0), Float(h - 1))
              let x0 = Swift.min(Int(x), w - 1), y0 = Swift.min(Int(y), h - 1)
              let x1 = Swift.min(x0 + 1, w - 1), y1 = Swift.min(y0 + 1, h - 1)
              let fx = x - Float(x0), fy = y - Float(y0)
              for c in 0..<3 {
                let base = c * plane
                let top = src[base + y0 * w + x0] * (1 - fx) + src[base + y0 * w + x1] * fx
                let bot = src[base + y1 * w + x0] * (1 - fx) + src[base + y1 * w + x1] * fx
                dst[base + i] = top * (1 - fy) + bot * fy
              }
            }
          }
        }
      }
    }
    return RGBImage(width: w, height: h, pixels: out)
  }

  /// out(p) = self(tps(p)), bilinear with border replicate.
  public func warped(by tps: ThinPlateSpline) -> RGBImage {
    let g = tps.grid(width: width, height: height)
    return remapped(mapX: g.x, mapY: g.y)
  }
}

/// The random TPS warp of DESIGN §2. A draw maps each output-grid control point c to the input
/// position A(c) + jitter, where A rotates by θ, zooms in by (sx, sy) and translates, about the
/// image centre: A(c) = R(θ)·((c − centre) / s) + centre + t.
public struct TPSWarp: Equatable, Sendable {
  public var gridSize = 10
  public var margin: Double = 10
  /// Rotation (radians), per-axis scale and translation (pixels) are drawn uniformly from these.
  public var rotation: ClosedRange<Double> = -Double.pi / 8...Double.pi / 8
  public var scaleRange: ClosedRange<Double> = 1.05...1.15
  public var translation: ClosedRange<Double> = -10...10
  public var jitter: Double = 2

  public init() {}

  /// Control points of the grid for an image of `size`×`size`.
  public func controlGrid(size: Int) -> [SIMD2<Double>] {
    let lo = margin, hi = Double(size - 1) - margin
    let g = (0..<gridSize).map { lo + (hi - lo) * Double($0) / Double(Swift.max(gridSize - 1, 1)) }
    return g.flatMap { y in g.map { x in SIMD2(x, y) } }
  }

  /// Draws a warp for a size×size image.
  public func draw(size: Int, rng: inout SeededRNG) -> ThinPlateSpline? {
    let src = controlGrid(size: size)
    // A point of [lo, hi] from a draw u in [-1, 1).
    func within(_ r: ClosedRange<Double>, _ u: Float) -> Double {
      r.lowerBound + (r.upperBound - r.lowerBound) * (Double(u) + 1) / 2
    }
    let theta = within(rotation, rng.uniform(-1, 1))
    let sx = Double(rng.uniform(Float(scaleRange.lowerBound), Float(scaleRange.upperBound)))
    let sy = Double(rng.uniform(Float(scaleRange.lowerBound), Float(scaleRange.upperBound)))
    let tx = within(translation, rng.uniform(-1, 1)), ty = within(translation, rng.uniform(-1, 1))
    let centre = Double(size - 1) / 2
    let (c, s) = (cos(theta), sin(theta))
    let dst = src.map { p -> SIMD2<Double> in
      let u = (p.x - centre) / sx, v = (p.y - centre) / sy
      let jx = Double(rng.uniform(-1, 1)) * jitter, jy = Double(rng.uniform(-1, 1)) * jitter
      return SIMD2(c * u - s * v + centre + tx + jx, s * u + c * v + centre + ty + jy)
    }
    return ThinPlateSpline(source: src, target: dst)
  }

  /// Warps a square image with a fresh draw (the identity if the draw is degenerate).
  public func callAsFunction(_ image: RGBImage, rng: inout SeededRNG) -> RGBImage {
    guard let tps = draw(size: image.width, rng: &rng) else { return image }
    return image.warped(by: tps)
  }
}
