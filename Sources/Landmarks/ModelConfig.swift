// ModelConfig: the landmark model's config section (DESIGN §2) — sizes and widths of the pose
// encoder, appearance encoder and SPADE decoder, and the covariance option. The reference's
// values are the defaults; `fields` is the one table its keys are loaded, checked and listed from.
import ConfigSchema
import Foundation

public struct ModelConfig: ConfigSection {
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
  /// The reference-frame skip (DESIGN §2): `none` (the report's model), `reference` (the
  /// appearance frame's image features), or `reference-pose` (its image and its own landmark
  /// heatmaps, so the decoder knows where the reference's parts were), with the reference
  /// encoder's channels at each scale.
  public var decoderSkip = "none"
  public var skipChannels = 16

  public init() {}

  public static let sectionName = "model"
  public static let reader = "Landmarks.LandmarkModel"
  public static let fields: [ConfigField<ModelConfig>] = [
    .int("n_landmarks", \.nLandmarks, 1...512, "number of landmarks K"),
    .int("img_size", \.imgSize, 16...1024, "frame size S (S×S, divisible by 16)"),
    .int("nsf", \.nsf, 0...1024, "pose encoder first-block width (0 = twice the input channels)"),
    .int("naf", \.naf, 0...1024, "appearance encoder first-block width (0 = twice the input channels)"),
    .int("ngc", \.ngc, 2...1024, "SPADE generator width nf (even)"),
    .int("n_filters", \.nFilters, 1...1024, "appearance channels"),
    .intList("pose_decoder_channels", \.poseDecoderChannels, count: 3, 1...4096, "pose decoder widths of its three steps"),
    .int("spade_hidden", \.spadeHidden, 1...1024, "SPADE shared conv width"),
    .bool("disable_spade", \.disableSpade, "heatmaps as input channels with plain InstanceNorm (Lorenz variant)"),
    .bool("use_identity_covariance", \.useIdentityCovariance, "isotropic fixed covariance fixed_covar·I"),
    .double("fixed_covar", \.fixedCovar, 1e-6...10, "covariance diagonal when use_identity_covariance"),
    .string(
      "decoder_skip", \.decoderSkip, allowed: ["none", "reference", "reference-pose"],
      "reference: the appearance frame's image features enter the decoder's SPADE at every scale; reference-pose: its image with its own landmark heatmaps (neither in the report's model)"),
    .int("skip_channels", \.skipChannels, 1...256, "channels of the reference-frame features at each scale (decoder_skip: reference, reference-pose)"),
  ]

  public func problems() -> [String] {
    var p: [String] = []
    if imgSize % 16 != 0 { p.append("img_size must be divisible by 16, got \(imgSize)") }
    if ngc % 2 != 0 { p.append("ngc must be even (the last SPADE block has ngc/2 channels), got \(ngc)") }
    if decoderSkip != "none" && disableSpade {
      p.append("decoder_skip: \(decoderSkip) feeds SPADE; it needs disable_spade: false")
    }
    if p.isEmpty && stateValueCount > Self.maxStateValues {
      p.append(
        String(
          format: "the model would hold %.2f G values (%.1f GB); at most %.2f G: lower nsf, naf, ngc, n_filters, pose_decoder_channels or spade_hidden",
          Double(stateValueCount) / 1e9, Double(stateValueCount) * 4 / 1e9, Double(Self.maxStateValues) / 1e9))
    }
    return p
  }

  /// Reads the model keys from a JSON object (e.g. a checkpoint's `config` attribute, which
  /// holds the whole run's options): keys left out keep their defaults, values are range-checked.
  public static func fromJSON(_ json: String) throws -> ModelConfig {
    do {
      return try ModelConfig(json: json)
    } catch {
      throw ModelConfigError.badJSON(reason: "\(error)")
    }
  }

  /// The keys as a JSON object (sorted keys).
  public func jsonString() -> String {
    "{" + Self.fields.sorted { $0.name < $1.name }.map { "\"\($0.name)\":\($0.get(self).json)" }.joined(separator: ",") + "}"
  }

  /// Width of the pose encoder's first block output (4f), the appearance encoder's extra input.
  public var poseFirstBlockChannels: Int { 4 * (nsf == 0 ? 6 : nsf) }

  /// Checks every key; the error names the key and the allowed range.
  public func validate() throws {
    if let v = violations().first { throw ModelConfigError.invalid(reason: v) }
  }
}

/// A config a user wrote that the model cannot be built from.
public enum ModelConfigError: Error, CustomStringConvertible, Equatable {
  case invalid(reason: String)
  case badJSON(reason: String)

  public var description: String {
    switch self {
    case .invalid(let reason): return "model config: \(reason)"
    case .badJSON(let reason): return "model config JSON could not be read: \(reason)"
    }
  }
}
