// The typed experiment config: every key a run can set, with the reference's values as
// defaults (NVIDIA/UnsupervisedLandmarkLearning `train_args_bbc_pose.yaml` over its
// `defaults.yaml`, and DESIGN §2). Key names, ranges and help live in `ConfigKeys.swift`;
// `Experiments/defaults.yaml` lists the same values and a test keeps the two equal.
import Foundation

public struct ExperimentConfig: Equatable, Sendable {
  // MARK: data
  public var dataset = "synthetic"
  public var datasetPath = ""
  public var savePath = ""
  public var resumeCkpt = ""
  public var imgSize = 128  // S: frames are S×S, S divisible by 16
  public var flipProbability = 0.0
  public var valFrac = 0.01

  // MARK: landmark model
  public var nLandmarks = 30  // K
  public var nsf = 6  // pose encoder first-block width f (0: twice the input channels)
  public var naf = 0  // appearance encoder first-block width (0: twice the input channels)
  public var ngc = 64  // SPADE generator width nf
  public var nFilters = 32  // appearance channels
  public var poseDecoderChannels = [512, 256, 128]
  public var spadeHidden = 128
  public var disableSpade = false  // "Ours (Lorenz)": heatmaps as input channels, plain IN
  public var useIdentityCovariance = false
  public var fixedCovar = 0.008

  // MARK: losses
  public var useVgg = true
  public var vggLambda = 5.0
  public var reducedW = true  // VGG layer weights 1/32 … 1 (false: uniform)
  public var vggWeights = ""  // HDF5 of ImageNet VGG19 weights
  public var mseLambda = 0.0
  public var useGan = false
  public var ganLambda = 1.0
  public var numD = 2
  public var nLayersD = 3
  public var ndf = 64
  public var noLsgan = false

  // MARK: training pairs
  public var colorJitter = true
  public var brightness = 0.4
  public var contrast = 0.4
  public var saturation = 0.4
  public var hue = 0.3
  public var useTemporal = true
  public var temporalMinGap = 3
  public var temporalMaxGap = 60
  public var useWarped = false
  public var tpsGrid = 10
  public var tpsMargin = 10
  public var tpsJitter = 2.0
  public var transLb = -10.0
  public var transUb = 10.0
  public var scaleLb = 1.05
  public var scaleUb = 1.15
  public var rotLb = -Double.pi / 8
  public var rotUb = Double.pi / 8

  // MARK: optimisation
  public var learningRate = 1e-4
  public var lrSchedule = "constant"
  public var weightDecay = 5e-6
  public var batchSize = 16
  public var epochs = 2000
  public var maxSteps = 0  // 0: no step limit, epochs decide
  public var noGradClip = true
  public var seed = 0
  public var saveFreq = 2
  public var valFreq = 2

  // MARK: dynamics (LSTM predictor)
  public var nInputs = 10
  public var nFuture = 10
  public var lstmLayers = 3
  public var lstmHidden = 256
  public var dynLearningRate = 1e-3
  public var dynBatchSize = 32
  public var dynSteps = 20_000
  public var nContext = 2
  public var nRollout = 98
  public var dynResidualScale = 1.0  // c: the LSTM reads c·velocity and predicts c·residual
  public var dynGradClip = 0.0  // max gradient norm of the LSTM (0: no clipping)
  public var dynCheckpointEvery = 500
  public var choleskyFloor = 1e-3  // floor on L's diagonal when a pose state is decoded

  // MARK: evaluation
  public var keypointThreshold = 6.0
  public var lpipsNet = "alex"
  public var ssimGaussian = true

  // MARK: training loop (TrainingKeys.swift)
  public var training = TrainingSettings()

  public init() {}
}

/// A config value in its typed form.
public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
  case int(Int)
  case double(Double)
  case bool(Bool)
  case string(String)
  case intList([Int])

  public var description: String {
    switch self {
    case .int(let v): return String(v)
    case .double(let v): return ConfigValue.format(v)
    case .bool(let v): return v ? "true" : "false"
    case .string(let v): return v
    case .intList(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
    }
  }

  /// Shortest text that reads back as the same Double (always with a '.' or exponent).
  static func format(_ v: Double) -> String {
    var s = "\(v)"
    if s.hasSuffix(".0") && abs(v) < 1e15 { s = String(s.dropLast(2)) + ".0" }
    return s
  }

  /// JSON literal for the canonical config JSON.
  var json: String {
    switch self {
    case .int(let v): return String(v)
    case .double(let v): return v.isFinite ? ConfigValue.format(v) : "null"
    case .bool(let v): return v ? "true" : "false"
    case .string(let v):
      var out = "\""
      for u in v.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
          if u.value < 0x20 {
            out += String(format: "\\u%04x", u.value)
          } else {
            out.unicodeScalars.append(u)
          }
        }
      }
      return out + "\""
    case .intList(let v): return "[" + v.map(String.init).joined(separator: ",") + "]"
    }
  }
}
