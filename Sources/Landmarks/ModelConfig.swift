// ModelConfig: the landmark model's config keys (DESIGN §2, §4 names; the reference's values
// as defaults) and their validation. The Workbench maps its experiment config onto this.
import Foundation

/// Architecture of `LandmarkModel`. Coded with the reference's option names (`n_landmarks`, …)
/// so it can travel in a checkpoint's `config` JSON.
public struct ModelConfig: Codable, Equatable, Sendable {
  /// K, the number of landmarks.
  public var nLandmarks = 30
  /// S: images are S×S, S divisible by 16.
  public var imgSize = 128
  /// Pose encoder first-block width f (0: twice the input channels).
  public var nsf = 6
  /// Appearance encoder first-block width (0: twice the input channels).
  public var naf = 0
  /// SPADE generator width nf.
  public var ngc = 64
  /// Appearance channels C.
  public var nFilters = 32
  /// Widths of the pose decoder's three steps.
  public var poseDecoderChannels = [512, 256, 128]
  /// Width of SPADE's shared conv.
  public var spadeHidden = 128
  /// "Ours (Lorenz)": heatmaps as extra generator input channels, plain InstanceNorm.
  public var disableSpade = false
  /// Replace the estimated Σ by `fixedCovar`·I.
  public var useIdentityCovariance = false
  /// Diagonal of the fixed covariance.
  public var fixedCovar = 0.008

  public init() {}

  enum CodingKeys: String, CodingKey {
    case nLandmarks = "n_landmarks"
    case imgSize = "img_size"
    case nsf, naf, ngc
    case nFilters = "n_filters"
    case poseDecoderChannels = "pose_decoder_channels"
    case spadeHidden = "spade_hidden"
    case disableSpade = "disable_spade"
    case useIdentityCovariance = "use_identity_covariance"
    case fixedCovar = "fixed_covar"
  }

  /// Decodes from JSON; keys left out keep their defaults, unknown keys are ignored
  /// (a checkpoint's config holds the whole run's options).
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func get<T: Decodable>(_ key: CodingKeys, _ current: T) throws -> T {
      try c.decodeIfPresent(T.self, forKey: key) ?? current
    }
    nLandmarks = try get(.nLandmarks, nLandmarks)
    imgSize = try get(.imgSize, imgSize)
    nsf = try get(.nsf, nsf)
    naf = try get(.naf, naf)
    ngc = try get(.ngc, ngc)
    nFilters = try get(.nFilters, nFilters)
    poseDecoderChannels = try get(.poseDecoderChannels, poseDecoderChannels)
    spadeHidden = try get(.spadeHidden, spadeHidden)
    disableSpade = try get(.disableSpade, disableSpade)
    useIdentityCovariance = try get(.useIdentityCovariance, useIdentityCovariance)
    fixedCovar = try get(.fixedCovar, fixedCovar)
  }

  /// Reads the model keys from a JSON object (e.g. a checkpoint's `config` attribute).
  public static func fromJSON(_ json: String) throws -> ModelConfig {
    do {
      return try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
    } catch {
      throw ModelConfigError.badJSON(reason: "\(error)")
    }
  }

  /// The keys as a JSON object (sorted keys).
  public func jsonString() -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return (try? e.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
  }

  /// Width of the pose encoder's first block output (4f), the appearance encoder's extra input.
  public var poseFirstBlockChannels: Int { 4 * (nsf == 0 ? 6 : nsf) }

  /// Checks every key; the error names the key and the allowed range.
  public func validate() throws {
    func need(_ ok: Bool, _ key: String, _ value: Any, _ rule: String) throws {
      if !ok { throw ModelConfigError.invalid(key: key, value: "\(value)", rule: rule) }
    }
    try need(nLandmarks >= 1, "n_landmarks", nLandmarks, "≥ 1")
    try need(imgSize >= 16 && imgSize % 16 == 0, "img_size", imgSize, "a positive multiple of 16")
    try need(nsf >= 0, "nsf", nsf, "≥ 0 (0: twice the input channels)")
    try need(naf >= 0, "naf", naf, "≥ 0 (0: twice the input channels)")
    try need(ngc >= 2, "ngc", ngc, "≥ 2 (the last block has ngc/2 channels)")
    try need(nFilters >= 1, "n_filters", nFilters, "≥ 1")
    try need(
      poseDecoderChannels.count == 3 && poseDecoderChannels.allSatisfy { $0 >= 1 }, "pose_decoder_channels",
      poseDecoderChannels, "three positive widths")
    try need(spadeHidden >= 1, "spade_hidden", spadeHidden, "≥ 1")
    try need(fixedCovar > 0 && fixedCovar.isFinite, "fixed_covar", fixedCovar, "> 0")
  }
}

/// A config a user wrote that the model cannot be built from.
public enum ModelConfigError: Error, CustomStringConvertible, Equatable {
  case invalid(key: String, value: String, rule: String)
  case badJSON(reason: String)

  public var description: String {
    switch self {
    case .invalid(let key, let value, let rule): return "config key '\(key)' is \(value), must be \(rule)"
    case .badJSON(let reason): return "model config JSON could not be read: \(reason)"
    }
  }
}
