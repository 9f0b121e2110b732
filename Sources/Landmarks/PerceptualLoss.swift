// VGG19 perceptual loss (DESIGN §2): MSE between features of torchvision's vgg19().features[:23]
// at relu1_2, relu2_2, relu3_2, relu4_2, plus the image itself, weighted 1/32, 1/16, 1/8, 1/4, 1
// (`reduced_w`) or uniformly. Images enter as they are ([-1, 1]), as in the reference.
// Weights: an HDF5 file from Experiments/tools/export_vgg19.py, datasets `features.<i>.weight`
// [O, C, 3, 3] and `features.<i>.bias` [O], or torchvision's vgg19 .pth itself; frozen (buffers,
// no gradient).
import FeatureNetworks
import Foundation
import Storage
import TensorEngine

/// vgg19().features up to relu4_2: 10 convs (3×3, pad 1) with ReLU, 2×2 max pools after
/// conv indices 2, 7 and 16.
public final class VGG19Features: Module {
  /// Sequential indices of the convs in torchvision's layout.
  public static let convIndices = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21]
  /// Output channels per stage in torchvision's VGG19 (stage widths 64, 128, 256, 512).
  public static let standardWidths = [64, 128, 256, 512]
  static let stageOfConv = [0, 0, 1, 1, 2, 2, 2, 2, 3, 3]

  let weights: [Tensor]  // [O, C, 3, 3] each
  let biases: [Tensor]  // [O] each
  /// True when the weights are not ImageNet-trained (random init or a file that says so).
  public private(set) var isRandom: Bool
  /// Where the weights came from (a path, or "random").
  public private(set) var source: String

  /// Random (He-uniform) weights with stage widths `widths`: only for tests and for runs that
  /// say loudly they have no pretrained VGG.
  public init(widths: [Int] = VGG19Features.standardWidths, rng: inout SeededRNG) {
    precondition(widths.count == 4, "VGG19Features: 4 stage widths")
    var ws: [Tensor] = []
    var bs: [Tensor] = []
    var c = 3
    for stage in Self.stageOfConv {
      let o = widths[stage]
      let bound = (6 / Float(c * 9)).squareRoot()
      ws.append(Tensor.uniform([o, c, 3, 3], -bound, bound, rng: &rng))
      bs.append(Tensor(zeros: [o]))
      c = o
    }
    weights = ws
    biases = bs
    isRandom = true
    source = "random"
    super.init()
    for (i, idx) in Self.convIndices.enumerated() {
      let m = child("\(idx)", Module())
      m.buffer("weight", ws[i])
      m.buffer("bias", bs[i])
    }
  }

  /// Loads `features.<i>.*` from a weights file strictly (a missing, unexpected or mis-shaped
  /// tensor is an error naming it). Widths are read from the file. An HDF5 file is what
  /// export_vgg19.py writes; a PyTorch file (.pth, told by its first bytes) is torchvision's
  /// vgg19 state dict, of which the layers after relu4_2 (`features.23` on) and `classifier.*`
  /// are not used and not read: the cut export_vgg19.py makes.
  public static func load(path: String) throws -> VGG19Features {
    let isPyTorch = try WeightsFile.kind(ofFileAt: path) == .pytorch
    let file = try WeightsFile.read(path: path) { name in
      guard isPyTorch else { return true }
      let parts = name.split(separator: ".")
      return parts.count == 3 && parts[0] == "features" && (Int(parts[1]).map { $0 < 23 } ?? true)
    }
    var widths: [Int] = []
    for stage in 0..<4 {
      let i = stageOfConv.firstIndex(of: stage)!
      let name = "features.\(convIndices[i]).weight"
      guard let width = file[name]?.shape.first else {
        throw StorageError.stateDict(path: path, .missing(key: name))
      }
      widths.append(width)
    }
    var rng = SeededRNG(seed: 0)
    let model = VGG19Features(widths: widths, rng: &rng)
    var dict: [String: Tensor] = [:]
    for key in file.keys.sorted() {
      guard key.hasPrefix("features.") else {
        throw StorageError.stateDict(path: path, .unexpected(key: key))
      }
      dict[String(key.dropFirst("features.".count))] = file[key]
    }
    do {
      try model.loadStateDict(dict)
    } catch let e as StateDictError {
      throw StorageError.stateDict(path: path, e)
    }
    var flagged = false
    if !isPyTorch {
      let f = try HDF5File(path: path, mode: .readOnly)
      defer { try? f.close() }
      flagged = f.hasAttribute("random_weights") ? (try f.readInt64Attribute("random_weights")) != 0 : false
    }
    model.isRandom = flagged
    model.source = path
    return model
  }

  /// Features at relu1_2, relu2_2, relu3_2, relu4_2 of x [B, 3, H, W] (H, W divisible by 8).
  public func taps(_ x: Tensor) -> [Tensor] {
    var h = x
    var out: [Tensor] = []
    for (i, idx) in Self.convIndices.enumerated() {
      h = Tensor.conv2d(h, weight: weights[i], bias: biases[i], stride: 1, padding: 1).relu()
      if [2, 7, 12, 21].contains(idx) { out.append(h) }
      if [2, 7, 16].contains(idx) { h = h.maxPool2d(kernel: 2, stride: 2) }
    }
    return out
  }
}

/// A frozen ImageNet feature network the perceptual loss compares images through.
public protocol PerceptualFeatures: AnyObject {
  /// The config's name for it (`perceptual_net`).
  var perceptualName: String { get }
  /// False for random weights (said loudly wherever the loss is reported).
  var isPretrainedOnImageNet: Bool { get }
  /// Feature maps of images in [-1, 1] ([B, 3, H, W]), shallow to deep, carrying the graph.
  func perceptualTaps(_ x: Tensor) -> [Tensor]
}

extension VGG19Features: PerceptualFeatures {
  public var perceptualName: String { "vgg19" }
  public var isPretrainedOnImageNet: Bool { !isRandom }
  /// relu1_2, relu2_2, relu3_2, relu4_2 (images enter as they are, as in the reference).
  public func perceptualTaps(_ x: Tensor) -> [Tensor] { taps(x) }
}

extension EfficientNetLite0: PerceptualFeatures {
  public var perceptualName: String { "effnet-lite0" }
  public var isPretrainedOnImageNet: Bool { isPretrained }
  /// The stem and the end of each resolution stage (DESIGN §2 "Offline perceptual features"),
  /// after the network's own input scaling.
  public func perceptualTaps(_ x: Tensor) -> [Tensor] { features(EfficientNetLite0.input(fromMinusOneToOne: x)) }
}

/// L_perc = Σ_i w_i · MSE(φ_i(x), φ_i(y)) + w_img · MSE(x, y) over a frozen feature network φ:
/// the reference's VGG19 loss, or the same over EfficientNet-Lite0's features.
public final class PerceptualLoss {
  public let network: PerceptualFeatures
  /// Weights of the network's taps, then of the image itself.
  public let layerWeights: [Float]
  /// The loss series it is logged as: `loss_vgg` (the reference's name) or `loss_<network>`.
  public let seriesName: String

  /// `reducedWeights` (the reference's `reduced_w`): tap i of n weighs 2^-(n - i + 2) (VGG19's
  /// 1/32, 1/16, 1/8, 1/4) and the image 1; else all 1.
  public init(network: PerceptualFeatures, taps: Int, reducedWeights: Bool = true) {
    self.network = network
    seriesName = network.perceptualName == "vgg19" ? "loss_vgg" : "loss_" + network.perceptualName
    layerWeights =
      reducedWeights ? (1...taps).map { Float(pow(2.0, -Double(taps - $0 + 2))) } + [1] : [Float](repeating: 1, count: taps + 1)
  }

  /// The reference's VGG19 loss.
  public convenience init(features: VGG19Features, reducedWeights: Bool = true) {
    self.init(network: features, taps: 4, reducedWeights: reducedWeights)
  }

  /// x: reconstruction (carries the graph), y: target; both [B, 3, H, W].
  public func callAsFunction(_ x: Tensor, _ y: Tensor) -> Tensor {
    precondition(x.shape == y.shape, "perceptual loss: \(x.shape) vs \(y.shape)")
    let fy = withNoGrad { network.perceptualTaps(y.detached()) + [y.detached()] }
    let fx = network.perceptualTaps(x) + [x]
    precondition(fx.count == layerWeights.count, "perceptual loss: \(fx.count) taps, \(layerWeights.count) weights")
    var total = Tensor.mseLoss(fx[0], fy[0]) * layerWeights[0]
    for i in 1..<fx.count { total = total + Tensor.mseLoss(fx[i], fy[i]) * layerWeights[i] }
    return total
  }
}

extension PerceptualLoss {
  /// The perceptual loss a trainer config asks for: nil when `use_vgg` is off or `perceptual_net`
  /// is none; VGG19 from the file `vgg_weights` names, or with none named random weights said
  /// loudly (`warn` gets the message, seeded by `seed`); EfficientNet-Lite0 from the weights
  /// cache (an error naming the path and how to fetch it when absent).
  public static func forTraining(_ c: TrainerConfig, seed: Int, warn: (String) -> Void) throws -> PerceptualLoss? {
    guard c.perceptualOn else { return nil }
    return try named(c.perceptualNet, vggWeights: c.vggWeights, reducedWeights: c.reducedW, seed: seed, warn: warn)
  }

  /// The perceptual loss over network `net` (`perceptual_net`: vgg19 or effnet-lite0): the one
  /// place a network name becomes weights, shared by the decoder's term and the pixel predictor's.
  public static func named(_ net: String, vggWeights: String, reducedWeights: Bool, seed: Int, warn: (String) -> Void) throws
    -> PerceptualLoss
  {
    if net == "effnet-lite0" {
      let model = try EfficientNetLite0Weights.loadCached()
      return PerceptualLoss(network: model, taps: EfficientNetLite0.featureNames.count, reducedWeights: reducedWeights)
    }
    precondition(net == "vgg19", "perceptual network '\(net)'")
    if !vggWeights.isEmpty {
      return PerceptualLoss(features: try VGG19Features.load(path: vggWeights), reducedWeights: reducedWeights)
    }
    warn(
      "WARNING: the perceptual loss uses RANDOM VGG19 weights: vgg_weights is empty "
        + "(make ImageNet weights with Experiments/tools/export_vgg19.py and set vgg_weights, or set "
        + "perceptual_net: effnet-lite0 for the ImageNet EfficientNet-Lite0 that scripts/fetch-weights.sh fetches)")
    var rng = SeededRNG(seed: UInt64(seed) ^ 0x76_6767)
    return PerceptualLoss(features: VGG19Features(rng: &rng), reducedWeights: reducedWeights)
  }
}
