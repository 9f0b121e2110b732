// ModelSize: how many float32 values a landmark model of a config holds (parameters and
// buffers, i.e. its state dict), computed from the config without building anything. The
// counts mirror the constructors of UNet, SPADEResnetBlock and SPADEGenerator layer by layer
// (a test compares them with built models). A config is refused when its model would hold more
// than `ModelConfig.maxStateValues` (a YAML typo or a crafted checkpoint `config` of nsf 1024
// would otherwise allocate tens of gigabytes before anything could say no), and a checkpoint is
// refused when its config describes a model of another size than its tensors.
import Foundation

extension ModelConfig {
  /// Most values a model may hold: 1 G (4 GB of float32), ~100× the reference's largest model.
  public static let maxStateValues = 1 << 30

  /// Values (parameters + buffers) of the model this config builds.
  public var stateValueCount: Int {
    let pose = Self.unetValues(
      inChannels: 3, outChannels: poseDecoderChannels + [nLandmarks], downsamples: 4, upsamples: 3,
      filters: nsf)
    let appearance = Self.unetValues(
      inChannels: nLandmarks + poseFirstBlockChannels, outChannels: [64, nFilters], downsamples: 1,
      upsamples: 1, filters: naf)
    return pose + appearance + generatorValues
  }

  static func conv(_ cin: Int, _ cout: Int, _ k: Int, bias: Bool = true) -> Int {
    cout * cin * k * k + (bias ? cout : 0)
  }

  /// weight_orig, bias, weight_u [out], weight_v [in·k·k].
  static func spectralConv(_ cin: Int, _ cout: Int, _ k: Int, bias: Bool = true) -> Int {
    conv(cin, cout, k, bias: bias) + cout + cin * k * k
  }

  static func unetValues(inChannels: Int, outChannels: [Int], downsamples: Int, upsamples: Int, filters: Int)
    -> Int
  {
    let f = filters == 0 ? 2 * inChannels : filters
    var n = conv(inChannels, f, 3) + conv(f, 2 * f, 3)
    var widths = [4 * f]
    n += conv(2 * f, 4 * f, 3) + conv(4 * f, 4 * f, 3)
    for _ in 1..<Swift.max(downsamples, 1) {
      let w = widths.last!
      n += conv(w, 2 * w, 3) + conv(2 * w, 2 * w, 3)
      widths.append(2 * w)
    }
    let rev = Array(widths.reversed())
    var c = rev[0]
    n += conv(c, c, 1)
    for i in 1...Swift.max(upsamples, 1) {
      n += conv(rev[i - 1], c, 1)
      let out = outChannels[i - 1]
      n += conv(c, out, 3) + conv(out, out, 3)
      c = out
    }
    return n + conv(c, outChannels.last!, 1)
  }

  var generatorValues: Int {
    let nf = ngc
    let k = nLandmarks
    let spade = !disableSpade
    // The reference-frame skip widens every SPADE label map and adds its encoder (ReferenceEncoder).
    let skip = decoderSkip == "none" ? 0 : skipChannels
    let referenceEncoder =
      skip == 0 ? 0 : Self.conv(3 + (decoderSkip == "reference-pose" ? k : 0), skip, 3) + 4 * Self.conv(skip, skip, 3)
    func spadeNorm(_ channels: Int) -> Int {
      Self.conv(k + skip, spadeHidden, 3) + 2 * Self.conv(spadeHidden, channels, 3)
    }
    func block(_ fin: Int, _ fout: Int) -> Int {
      let mid = Swift.min(fin, fout)
      let learned = fin != fout
      var n = Self.spectralConv(fin, mid, 3) + Self.spectralConv(mid, fout, 3)
      if learned { n += Self.spectralConv(fin, fout, 1, bias: false) }
      if spade { n += spadeNorm(fin) + spadeNorm(mid) + (learned ? spadeNorm(fin) : 0) }
      return n
    }
    return Self.conv(nFilters + (spade ? 0 : k), 4 * nf, 3) + 3 * block(4 * nf, 4 * nf)
      + block(4 * nf, 2 * nf)
      + block(2 * nf, nf) + block(nf, nf / 2) + Self.conv(nf / 2, 3, 3) + referenceEncoder
  }
}
