// LPIPSModel: the weights of one LPIPS v0.1 network (backbone + calibrated lin layers), loaded
// strictly from HDF5 files made by Experiments/tools/export_lpips_weights.py, and the name the
// metric carries (plain "lpips-<net>" only for an ImageNet backbone with calibrated lins).
import Foundation
import Storage
import TensorEngine

/// LPIPS v0.1 weights for one backbone.
public final class LPIPSModel {
  /// Version of the LPIPS definition computed (input shift/scale, unit-normalised features,
  /// squared differences, calibrated 1×1 lin, spatial mean, summed over layers).
  public static let version = "lpips-v0.1"
  /// Backbone attribute of a real LPIPS file.
  public static let pretrainedBackbone = "torchvision-imagenet"
  public static let calibratedLin = "lpips-v0.1-calibrated"
  /// Backbone and lin provenance of a PyTorch weights file, which records none.
  public static let unverifiedSource = "pytorch-file"

  public let net: LPIPSNet
  public let path: String
  /// Where the backbone came from (`backbone` attribute: "torchvision-imagenet", "random-seed-0", ...).
  public let backbone: String
  /// "lpips-alex" for the real metric; "lpips-alex-randombackbone" (or "-uncalibrated") otherwise.
  public let metricName: String
  /// True when this is the published LPIPS (pretrained backbone, calibrated lin layers).
  public var isCalibrated: Bool { metricName == "lpips-\(net.rawValue)" }

  /// Backbone tensors by state-dict key: conv weights [out, in, k, k], biases [out].
  let tensors: [String: Tensor]
  /// lin weights per tapped layer, [C] each.
  let lins: [[Float]]

  /// Loads `path`, checking that it holds exactly the tensors of `net` with the right shapes.
  /// An HDF5 file made by export_lpips_weights.py says where its backbone and lins come from;
  /// a PyTorch file (the state dict of `lpips.LPIPS(net=...)`, told by its first bytes; its
  /// `lins.*` aliases and `scaling_layer.*` constants are not read) says nothing, so its
  /// metric is named `lpips-<net>-backbone-pytorch-file-uncalibrated`, never plain `lpips-<net>`.
  /// - Throws: `MetricsError.lpipsWeights` naming a missing, unused or mis-shaped key;
  ///   `.lpipsWrongFile` when its attributes name another net or metric; Storage errors.
  public init(contentsOf path: String, net: LPIPSNet) throws {
    let backbone: String, lin: String
    var unused: Set<String>
    let read: (String) throws -> Tensor
    if try WeightsFile.kind(ofFileAt: path) == .pytorch {
      let tensors = try WeightsFile.read(path: path) { !$0.hasPrefix("lins.") && !$0.hasPrefix("scaling_layer.") }
      (backbone, lin) = (Self.unverifiedSource, Self.unverifiedSource)
      unused = Set(tensors.keys)
      read = { tensors[$0]! }
    } else {
      let file = try HDF5File(path: path)
      func attribute(_ name: String) throws -> String {
        guard file.hasAttribute(name) else {
          throw MetricsError.lpipsWrongFile(
            path: path, reason: "attribute `\(name)` missing; make the file with Experiments/tools/export_lpips_weights.py")
        }
        return try file.readStringAttribute(name)
      }
      let metric = try attribute("metric"), version = try attribute("version"), fileNet = try attribute("net")
      guard metric == "lpips", version == "0.1" else {
        throw MetricsError.lpipsWrongFile(path: path, reason: "holds \(metric) version \(version), not lpips 0.1")
      }
      guard fileNet == net.rawValue else {
        throw MetricsError.lpipsWrongFile(path: path, reason: "holds the \(fileNet) network, \(net.rawValue) was asked for")
      }
      (backbone, lin) = (try attribute("backbone"), try attribute("lin"))
      unused = Set(try file.datasetPaths().map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 })
      read = { try file.readTensor($0) }  // the closure keeps the file open until init returns
    }
    var loaded: [String: Tensor] = [:]
    for (key, shape) in net.expectedTensors {
      guard unused.remove(key) != nil else {
        throw MetricsError.lpipsWeights(path: path, key: key, reason: "missing (expected shape \(shape))")
      }
      let t = try read(key)
      guard t.shape == shape else {
        throw MetricsError.lpipsWeights(path: path, key: key, reason: "shape \(t.shape), expected \(shape)")
      }
      loaded[key] = t
    }
    if let extra = unused.sorted().first {
      throw MetricsError.lpipsWeights(path: path, key: extra, reason: "not used by the \(net.rawValue) LPIPS network")
    }
    self.net = net
    self.path = path
    self.backbone = backbone
    lins = net.tapChannels.indices.map { loaded["lin\($0).model.1.weight"]!.values }
    tensors = loaded.filter { $0.key.hasPrefix("net.") }
    var name = "lpips-\(net.rawValue)"
    if backbone != LPIPSModel.pretrainedBackbone {
      name += backbone.hasPrefix("random") ? "-randombackbone" : "-backbone-\(backbone)"
    }
    if lin != LPIPSModel.calibratedLin { name += "-uncalibrated" }
    metricName = name
  }

  init(uncheckedNet net: LPIPSNet, path: String, backbone: String, tensors: [String: Tensor], lins: [[Float]], metricName: String) {
    self.net = net
    self.path = path
    self.backbone = backbone
    self.tensors = tensors
    self.lins = lins
    self.metricName = metricName
  }

  /// Finds the weights file for `net`: `explicit` if given (a file, or a folder holding
  /// lpips_<net>.h5), else $LMLAB_LPIPS_WEIGHTS (same rules), else ./weights/lpips_<net>.h5 (in
  /// the working folder). These are the only places: no fallback weights are ever used.
  /// - Throws: `.lpipsWeightsMissing` naming each place looked at and how to make a file.
  /// `--lpips-weights none`: LPIPS not scored, by choice.
  public static let noWeights = "none"

  public static func locate(net: LPIPSNet, explicit: String? = nil) throws -> String {
    let fm = FileManager.default
    let fileName = "lpips_\(net.rawValue).h5"
    func candidate(_ base: String) -> String {
      var isDir: ObjCBool = false
      if fm.fileExists(atPath: base, isDirectory: &isDir), !isDir.boolValue { return base }
      return (base as NSString).appendingPathComponent(fileName)
    }
    var looked: [String] = []
    var candidates: [String] = []
    if let explicit {
      candidates = [candidate(explicit)]
      looked = ["--lpips-weights \(candidates[0])"]
    } else {
      if let env = ProcessInfo.processInfo.environment["LMLAB_LPIPS_WEIGHTS"], !env.isEmpty {
        candidates.append(candidate(env))
        looked.append("$LMLAB_LPIPS_WEIGHTS \(candidates[0])")
      } else {
        looked.append("$LMLAB_LPIPS_WEIGHTS (not set)")
      }
      candidates.append("weights/" + fileName)
      looked.append("weights/\(fileName) in the working folder")
    }
    if let found = candidates.first(where: { fm.fileExists(atPath: $0) }) { return found }
    throw MetricsError.lpipsWeightsMissing(net: net.rawValue, looked: looked)
  }
}

extension LPIPSModel {
  /// A model with the architecture of `net` and seeded random weights, for speed measurements
  /// only (`lmlab bench metrics` without weight files): named "lpips-<net>-speedtest", never
  /// "lpips-<net>".
  public static func speedTestModel(net: LPIPSNet, seed: UInt64 = 1) -> LPIPSModel {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    func next() -> Float {  // xorshift64*, uniform in [-1, 1)
      state ^= state >> 12
      state ^= state << 25
      state ^= state >> 27
      return Float((state &* 0x2545_F491_4F6C_DD1D) >> 40) / Float(1 << 23) - 1
    }
    var tensors: [String: Tensor] = [:]
    var lins: [[Float]] = []
    for (key, shape) in net.expectedTensors {
      let fanIn = shape.count == 4 ? shape[1] * shape[2] * shape[3] : 1
      let scale = (3 / Float(fanIn)).squareRoot()
      let values = (0..<shape.reduce(1, *)).map { _ in next() * scale }
      if key.hasPrefix("lin") { lins.append(values.map { abs($0) }) } else { tensors[key] = Tensor(values, shape: shape) }
    }
    return LPIPSModel(net: net, tensors: tensors, lins: lins, metricName: "lpips-\(net.rawValue)-speedtest")
  }

  private convenience init(net: LPIPSNet, tensors: [String: Tensor], lins: [[Float]], metricName: String) {
    self.init(uncheckedNet: net, path: "<random>", backbone: "random", tensors: tensors, lins: lins, metricName: metricName)
  }
}
