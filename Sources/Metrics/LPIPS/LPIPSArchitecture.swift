// LPIPS backbones as data: the torchvision AlexNet, VGG16 and SqueezeNet1.1 feature stacks cut
// into the `lpips` package's slices, with their state-dict keys (`net.slice<i>.<layer>`),
// and the channel count of each tapped layer (one calibrated `lin<i>` per tap).

/// The LPIPS v0.1 backbones.
public enum LPIPSNet: String, CaseIterable, Sendable {
  case alex, vgg, squeeze
}

/// One layer of a backbone slice. Every conv is followed by ReLU (as in all three networks).
enum LPIPSLayer {
  /// conv2d + ReLU; weight [out, in, k, k] and bias [out] under `key`.weight / `key`.bias.
  case conv(key: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int)
  /// max_pool2d (kernel, stride, ceil mode).
  case maxPool(kernel: Int, stride: Int, ceilMode: Bool)
  /// SqueezeNet Fire: squeeze 1×1 + ReLU, then concat(expand1x1 + ReLU, expand3x3 (pad 1) + ReLU).
  case fire(key: String, inChannels: Int, squeeze: Int, expand: Int)
}

extension LPIPSNet {
  /// The slices; the output of each is a tapped layer.
  var slices: [[LPIPSLayer]] {
    func conv(_ s: Int, _ l: Int, _ i: Int, _ o: Int, k: Int = 3, stride: Int = 1, pad: Int = 1) -> LPIPSLayer {
      .conv(key: "net.slice\(s).\(l)", inChannels: i, outChannels: o, kernel: k, stride: stride, padding: pad)
    }
    func fire(_ s: Int, _ l: Int, _ i: Int, _ q: Int, _ e: Int) -> LPIPSLayer {
      .fire(key: "net.slice\(s).\(l)", inChannels: i, squeeze: q, expand: e)
    }
    switch self {
    case .alex:
      let pool = LPIPSLayer.maxPool(kernel: 3, stride: 2, ceilMode: false)
      return [
        [conv(1, 0, 3, 64, k: 11, stride: 4, pad: 2)],
        [pool, conv(2, 3, 64, 192, k: 5, pad: 2)],
        [pool, conv(3, 6, 192, 384)],
        [conv(4, 8, 384, 256)],
        [conv(5, 10, 256, 256)],
      ]
    case .vgg:
      let pool = LPIPSLayer.maxPool(kernel: 2, stride: 2, ceilMode: false)
      return [
        [conv(1, 0, 3, 64), conv(1, 2, 64, 64)],
        [pool, conv(2, 5, 64, 128), conv(2, 7, 128, 128)],
        [pool, conv(3, 10, 128, 256), conv(3, 12, 256, 256), conv(3, 14, 256, 256)],
        [pool, conv(4, 17, 256, 512), conv(4, 19, 512, 512), conv(4, 21, 512, 512)],
        [pool, conv(5, 24, 512, 512), conv(5, 26, 512, 512), conv(5, 28, 512, 512)],
      ]
    case .squeeze:
      let pool = LPIPSLayer.maxPool(kernel: 3, stride: 2, ceilMode: true)
      return [
        [conv(1, 0, 3, 64, k: 3, stride: 2, pad: 0)],
        [pool, fire(2, 3, 64, 16, 64), fire(2, 4, 128, 16, 64)],
        [pool, fire(3, 6, 128, 32, 128), fire(3, 7, 256, 32, 128)],
        [pool, fire(4, 9, 256, 48, 192)],
        [fire(5, 10, 384, 48, 192)],
        [fire(6, 11, 384, 64, 256)],
        [fire(7, 12, 512, 64, 256)],
      ]
    }
  }

  /// Channels of each tapped layer.
  var tapChannels: [Int] {
    switch self {
    case .alex: return [64, 192, 384, 256, 256]
    case .vgg: return [64, 128, 256, 512, 512]
    case .squeeze: return [64, 128, 256, 384, 384, 512, 512]
    }
  }

  /// Every tensor a weights file must hold, with its shape.
  var expectedTensors: [(key: String, shape: [Int])] {
    var out: [(String, [Int])] = []
    for layer in slices.joined() {
      switch layer {
      case .conv(let key, let i, let o, let k, _, _):
        out += [("\(key).weight", [o, i, k, k]), ("\(key).bias", [o])]
      case .fire(let key, let i, let q, let e):
        out += [
          ("\(key).squeeze.weight", [q, i, 1, 1]), ("\(key).squeeze.bias", [q]),
          ("\(key).expand1x1.weight", [e, q, 1, 1]), ("\(key).expand1x1.bias", [e]),
          ("\(key).expand3x3.weight", [e, q, 3, 3]), ("\(key).expand3x3.bias", [e]),
        ]
      case .maxPool: break
      }
    }
    for (i, c) in tapChannels.enumerated() { out.append(("lin\(i).model.1.weight", [1, c, 1, 1])) }
    return out
  }

  /// Activation floats per image at the widest layer for an S×S input (for batch sizing).
  func widestActivation(size: Int) -> Int {
    switch self {
    case .alex: return 64 * (size / 4) * (size / 4)
    case .vgg: return 64 * size * size
    case .squeeze: return 128 * (size / 4) * (size / 4) + 64 * (size / 2) * (size / 2)
    }
  }
}
