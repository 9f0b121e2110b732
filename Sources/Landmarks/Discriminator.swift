// Multiscale PatchGAN discriminator (pix2pixHD layout, DESIGN §2) and the LSGAN loss.
// Keys as the reference's: layer<i>.{0,2,5,8,11}.{weight,bias}; layer<num_D−1> sees the full
// image, layer<num_D−2> the 3×3/2 average-pooled one (count_include_pad=false), and so on.
import TensorEngine

/// One PatchGAN: conv4×4/2 · LReLU, (n_layers − 1)× [conv4×4/2 · IN · LReLU],
/// conv4×4/1 · IN · LReLU, conv4×4/1 → 1 channel. Padding 2, widths ndf·2ⁱ capped at 512.
final class PatchDiscriminator: Module {
  let convs: [Conv2d]
  let strides: [Int]

  init(inChannels: Int, ndf: Int, layers: Int, rng: inout SeededRNG) {
    var convs: [Conv2d] = [Conv2d(inChannels, ndf, kernel: 4, stride: 2, padding: 2, rng: &rng)]
    var strides = [2]
    var nf = ndf
    for _ in 1..<layers {
      let prev = nf
      nf = Swift.min(nf * 2, 512)
      convs.append(Conv2d(prev, nf, kernel: 4, stride: 2, padding: 2, rng: &rng))
      strides.append(2)
    }
    let prev = nf
    nf = Swift.min(nf * 2, 512)
    convs.append(Conv2d(prev, nf, kernel: 4, stride: 1, padding: 2, rng: &rng))
    convs.append(Conv2d(nf, 1, kernel: 4, stride: 1, padding: 2, rng: &rng))
    self.convs = convs
    self.strides = strides + [1, 1]
    super.init()
    // Sequential indices: conv, LReLU | conv, IN, LReLU | ... | conv.
    var index = 0
    for (i, c) in convs.enumerated() {
      child("\(index)", c)
      index += i == 0 ? 2 : 3
    }
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    var h = convs[0](x).leakyRelu(0.2)
    for c in convs.dropFirst().dropLast() { h = c(h).instanceNorm(eps: 1e-5, activation: .leakyRelu(0.2)) }
    return convs[convs.count - 1](h)
  }
}

/// `num_D` PatchGANs on an image pyramid. Input [B, 3, S, S] → one patch map per scale.
public final class MultiscaleDiscriminator: Module {
  let scales: [PatchDiscriminator]  // scales[i] is `layer<i>`

  public init(inChannels: Int = 3, ndf: Int = 64, layers: Int = 3, numD: Int = 2, rng: inout SeededRNG) {
    precondition(numD >= 1 && layers >= 1, "discriminator: num_D \(numD), n_layers_D \(layers)")
    var s: [PatchDiscriminator] = []
    for _ in 0..<numD {
      s.append(PatchDiscriminator(inChannels: inChannels, ndf: ndf, layers: layers, rng: &rng))
    }
    scales = s
    super.init()
    for (i, d) in scales.enumerated() { child("layer\(i)", d) }
  }

  /// Patch maps, full resolution first (as the reference orders them).
  public func callAsFunction(_ x: Tensor) -> [Tensor] {
    var input = x
    var outs: [Tensor] = []
    for i in 0..<scales.count {
      outs.append(scales[scales.count - 1 - i](input))
      if i != scales.count - 1 {
        input = input.avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludePad: false)
      }
    }
    return outs
  }
}

/// GAN losses over the scales' patch maps.
public enum GANLoss {
  /// LSGAN: Σ_scales mean((D − t)²) with t = 1 (real) or 0 (fake).
  public static func lsgan(_ outputs: [Tensor], real: Bool) -> Tensor {
    let t: Float = real ? 1 : 0
    let terms = outputs.map { ($0 - t).pow(2).mean() }
    return terms.dropFirst().reduce(terms[0], +)
  }

  /// Non-LSGAN (`no_lsgan`): Σ_scales BCE(sigmoid(D), t) = mean(softplus(D) − t·D).
  public static func bce(_ outputs: [Tensor], real: Bool) -> Tensor {
    let terms = outputs.map { d -> Tensor in
      // softplus(d) = max(d, 0) + log(1 + exp(−|d|))
      let sp = d.relu() + ((-d.abs()).exp() + 1).log()
      return (real ? sp - d : sp).mean()
    }
    return terms.dropFirst().reduce(terms[0], +)
  }
}
