// Draws the synthetic figure: static textured background (rendered once per appearance), torso
// with a striped shirt, head with hair, two arms of two segments with hands — antialiased,
// parts occluding in a fixed order (torso, head, far arm, near arm).
import Foundation
import Imaging

public enum FigureRenderer {
  /// The static background of an appearance at size S: two colours mixed by two waves, plus soft blobs.
  public static func background(_ a: FigureAppearance, size: Int) -> RGBImage {
    let S = Float(size)
    var image = RGBImage(width: size, height: size)
    let c0 = a.background[0], c1 = a.background[1]
    let w = a.backgroundWaves, plane = size * size
    image.pixels.withUnsafeMutableBufferPointer { p in
      for y in 0..<size {
        for x in 0..<size {
          let u = Float(x) / S, v = Float(y) / S
          let m = 0.5 + 0.25 * sin(2 * Float.pi * (w[0] * u + w[1] * v) + w[2]) + 0.25 * sin(2 * Float.pi * (w[3] * u + w[4] * v) + w[5])
          let i = y * size + x
          p[i] = c0.r + m * (c1.r - c0.r)
          p[plane + i] = c0.g + m * (c1.g - c0.g)
          p[2 * plane + i] = c0.b + m * (c1.b - c0.b)
        }
      }
    }
    for b in stride(from: 0, to: a.blobs.count, by: 7) {
      let bl = Array(a.blobs[b..<(b + 7)])
      image.fillCircle(cx: bl[0] * S, cy: bl[1] * S, radius: bl[2] * S, color: RGBColor(bl[3], bl[4], bl[5]), opacity: bl[6])
    }
    return image
  }

  /// Draws the figure in `pose` onto `image` (normally a copy of the background).
  public static func draw(_ pose: FigurePose, appearance a: FigureAppearance, size: Int, onto image: inout RGBImage) {
    let S = Float(size)
    // Torso: rounded rectangle along the torso axis, striped shirt.
    let c = pose.torsoCentre, ang = pose.torsoAngle, half = pose.torsoHalf
    let (ca, sa) = (cos(ang), sin(ang))
    let r = Swift.min(half.x, half.y) * 0.45
    let ext = (half.x * half.x + half.y * half.y).squareRoot()
    let (sc, ss) = (cos(a.stripeAngle), sin(a.stripeAngle))
    let period = a.stripePeriod * S
    image.fill(box: (c.x - ext, c.y - ext, c.x + ext, c.y + ext),
      sdf: { x, y in
        let dx = x - c.x, dy = y - c.y
        let u = abs(ca * dx + sa * dy) - (half.x - r), v = abs(-sa * dx + ca * dy) - (half.y - r)
        let ox = Swift.max(u, 0), oy = Swift.max(v, 0)
        return (ox * ox + oy * oy).squareRoot() + Swift.min(Swift.max(u, v), 0) - r
      },
      shade: { x, y in
        let d = (x - c.x) * sc + (y - c.y) * ss
        let m = 0.5 + 0.5 * sin(2 * Float.pi * d / period)
        let k = Swift.min(Swift.max((m - 0.3) * 2.5, 0), 1)
        return RGBColor(a.shirt.r + k * (a.stripe.r - a.shirt.r), a.shirt.g + k * (a.stripe.g - a.shirt.g), a.shirt.b + k * (a.stripe.b - a.shirt.b))
      })
    // Neck and head with a hair cap on the upper half.
    image.drawLine(x0: pose.neck.x, y0: pose.neck.y, x1: pose.head.x, y1: pose.head.y, width: pose.headRadius * 0.8, color: a.skin)
    let h = pose.head, hr = pose.headRadius
    let tilt = pose.torsoAngle + pose.headTilt
    let upx = sin(tilt), upy = -cos(tilt)
    image.fill(box: (h.x - hr, h.y - hr, h.x + hr, h.y + hr),
      sdf: { x, y in ((x - h.x) * (x - h.x) + (y - h.y) * (y - h.y)).squareRoot() - hr },
      shade: { x, y in ((x - h.x) * upx + (y - h.y) * upy) > hr * 0.35 ? a.hair : a.skin })
    // Arms: image-left arm first, so the image-right arm is in front when they cross.
    for s in 0..<2 {
      let sh = pose.shoulder[s], el = pose.elbow[s], wr = pose.wrist[s], hd = pose.hand[s]
      image.drawLine(x0: sh.x, y0: sh.y, x1: el.x, y1: el.y, width: pose.upperWidth, color: a.upperArm[s])
      image.drawLine(x0: el.x, y0: el.y, x1: wr.x, y1: wr.y, width: pose.foreWidth, color: a.forearm[s])
      image.fillCircle(cx: hd.x, cy: hd.y, radius: pose.handRadius, color: a.skin)
    }
  }

  /// One frame: background, figure, and optional joint markers (discs of `markerColor`) at the
  /// listed keypoint indices — used by tests to check keypoints against what is drawn.
  public static func frame(
    appearance: FigureAppearance, motion: FigureMotion, t: Int, size: Int, background: RGBImage? = nil,
    markers: [Int] = [], markerColor: RGBColor = .magenta
  ) -> (image: RGBImage, pose: FigurePose) {
    let pose = FigurePose(appearance: appearance, motion: motion, frame: t, size: size)
    var image = background ?? FigureRenderer.background(appearance, size: size)
    draw(pose, appearance: appearance, size: size, onto: &image)
    let kp = pose.keypoints
    for k in markers { image.fillCircle(cx: kp[k].x, cy: kp[k].y, radius: 1.5, color: markerColor) }
    return (image, pose)
  }
}
