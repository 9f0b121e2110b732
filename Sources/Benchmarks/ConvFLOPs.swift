// ConvFLOPs: multiply-adds ×2 of every convolution in one training step of the landmark
// model, counted by walking DESIGN §2's architecture with shape bookkeeping (each conv's input
// channels, output channels, kernel and output size). Convs dominate the step; elementwise
// ops, norms, softmax and the small matmuls are not counted.
//
// Training step = pose encoder twice (pose and appearance inputs) + appearance encoder +
// generator, each forward + backward (≈ 3× forward: input and weight gradients), + the VGG
// loss (target forward without graph, reconstruction forward, input-gradient backward ≈ 3×
// one VGG forward) + the discriminator when the GAN is on (D on fake and real for D's update,
// on fake for G's: ≈ 3 forwards + 3 backwards).
import Workbench
import Landmarks

public enum ConvFLOPs {
  /// 2·B·Cin·Cout·k²·H·W for one conv with output size h×h.
  static func conv(_ b: Int, _ cin: Int, _ cout: Int, _ k: Int, _ h: Int) -> Double {
    2 * Double(b) * Double(cin) * Double(cout) * Double(k * k) * Double(h * h)
  }

  /// The reference U-Net at input size s.
  static func unet(_ b: Int, inC: Int, outs: [Int], downs: Int, ups: Int, filters: Int, size s: Int) -> Double {
    let f = filters == 0 ? 2 * inC : filters
    var total = conv(b, inC, f, 3, s) + conv(b, f, 2 * f, 3, s)
    total += conv(b, 2 * f, 4 * f, 3, s / 2) + conv(b, 4 * f, 4 * f, 3, s / 2)
    var widths = [4 * f]
    var sizes = [s / 2]
    for _ in 1..<downs {
      let (w, r) = (widths.last!, sizes.last! / 2)
      total += conv(b, w, 2 * w, 3, r) + conv(b, 2 * w, 2 * w, 3, r)
      widths.append(2 * w)
      sizes.append(r)
    }
    let (rw, rs) = (Array(widths.reversed()), Array(sizes.reversed()))
    var c = rw[0]
    var r = rs[0]
    total += conv(b, c, c, 1, r)
    for i in 1...ups {
      total += conv(b, rw[i - 1], c, 1, r)  // skip conv at the encoder output's size
      total += conv(b, c, outs[i - 1], 3, r) + conv(b, outs[i - 1], outs[i - 1], 3, 2 * r)
      c = outs[i - 1]
      r *= 2
    }
    return total + conv(b, c, outs.last!, 1, r)
  }

  /// One SPADE ResNet block at size h (SPADE convs included).
  static func spadeBlock(_ b: Int, _ fin: Int, _ fout: Int, k: Int, hidden: Int, spade: Bool, _ h: Int) -> Double {
    let mid = min(fin, fout)
    var total = conv(b, fin, mid, 3, h) + conv(b, mid, fout, 3, h)
    func norm(_ c: Int) -> Double { spade ? conv(b, k, hidden, 3, h) + 2 * conv(b, hidden, c, 3, h) : 0 }
    total += norm(fin) + norm(mid)
    if fin != fout { total += conv(b, fin, fout, 1, h) + norm(fin) }
    return total
  }

  /// Forward conv FLOPs of the model's parts for batch b.
  public static func modelForward(_ m: ModelConfig, batch b: Int) -> (pose: Double, appearance: Double, generator: Double) {
    let s = m.imgSize
    let k = m.nLandmarks
    let pose = unet(b, inC: 3, outs: m.poseDecoderChannels + [k], downs: 4, ups: 3, filters: m.nsf, size: s)
    let app = unet(b, inC: k + m.poseFirstBlockChannels, outs: [64, m.nFilters], downs: 1, ups: 1, filters: m.naf, size: s / 2)
    let nf = m.ngc
    let spade = !m.disableSpade
    let fcIn = m.nFilters + (spade ? 0 : k)
    var g = conv(b, fcIn, 4 * nf, 3, s / 16) + conv(b, fcIn, 4 * nf, 3, s / 8)
    func blk(_ a: Int, _ c: Int, _ h: Int) -> Double { spadeBlock(b, a, c, k: k, hidden: m.spadeHidden, spade: spade, h) }
    g += blk(4 * nf, 4 * nf, s / 16) + blk(4 * nf, 4 * nf, s / 8)
    g += 2 * blk(4 * nf, 4 * nf, s / 8)
    g += blk(4 * nf, 2 * nf, s / 4) + blk(2 * nf, nf, s / 2) + blk(nf, nf / 2, s)
    g += conv(b, nf / 2, 3, 3, s)
    return (pose, app, g)
  }

  /// VGG19 features up to relu4_2 (10 convs) on b images of size s.
  public static func vggForward(batch b: Int, size s: Int) -> Double {
    conv(b, 3, 64, 3, s) + conv(b, 64, 64, 3, s) + conv(b, 64, 128, 3, s / 2) + conv(b, 128, 128, 3, s / 2)
      + conv(b, 128, 256, 3, s / 4) + 3 * conv(b, 256, 256, 3, s / 4) + conv(b, 256, 512, 3, s / 8)
      + conv(b, 512, 512, 3, s / 8)
  }

  /// Multiscale PatchGAN forward on b images of size s (padding 2, kernel 4).
  public static func discriminatorForward(batch b: Int, size s: Int, ndf: Int, layers: Int, numD: Int) -> Double {
    var total = 0.0
    var size = s
    for _ in 0..<numD {
      var h = size
      var c = 3
      var nf = ndf
      for i in 0...(layers + 1) {
        let stride = i < layers ? 2 : 1
        let out = i == layers + 1 ? 1 : nf
        h = (h + 4 - 4) / stride + 1
        total += conv(b, c, out, 4, h)
        c = out
        if i < layers { nf = min(nf * 2, 512) }
      }
      size = (size - 1) / 2 + 1
    }
    return total
  }

  /// FLOPs of one training step.
  public static func trainingStep(_ m: ModelConfig, trainer t: TrainerConfig, batch b: Int) -> Double {
    let f = modelForward(m, batch: b)
    var total = 3 * (2 * f.pose + f.appearance + f.generator)
    if t.useVgg { total += 3 * vggForward(batch: b, size: m.imgSize) }
    if t.useGan { total += 6 * discriminatorForward(batch: b, size: m.imgSize, ndf: t.ndf, layers: t.nLayersD, numD: t.numD) }
    if t.equivarianceLambda > 0 { total += 3 * f.pose }
    return total
  }
}
