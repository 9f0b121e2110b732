// EvalConfig: the evaluation config section — the keypoint-accuracy threshold (report Table 1,
// in pixels of the stored frames), the SSIM window, and the LPIPS backbone.
import ConfigSchema

public struct EvalConfig: ConfigSection {
  /// PCK threshold in pixels of the stored frames (6 on BBC Pose).
  public var keypointThreshold = 6.0
  public var lpipsNet = "alex"
  /// SSIM with scikit-image's Gaussian window σ 1.5 (else its 7×7 uniform default).
  public var ssimGaussian = true

  public init() {}

  public static let sectionName = "eval"
  public static let reader = "EvalMetrics (keypoint accuracy, SSIM, LPIPS)"
  public static let fields: [ConfigField<EvalConfig>] = [
    .double("keypoint_threshold", \.keypointThreshold, 1e-3...1e4, "keypoint accuracy threshold in pixels of the stored frames"),
    .string("lpips_net", \.lpipsNet, allowed: LPIPSNet.allCases.map(\.rawValue), "LPIPS backbone"),
    .bool("ssim_gaussian", \.ssimGaussian, "SSIM with a Gaussian window, sigma 1.5 (false: 7x7 uniform, sample covariance)"),
  ]

  public var ssimWindow: SSIMWindow { ssimGaussian ? .wang : .skimageDefault }

  /// The LPIPS backbone `lpips_net` names (the field admits only their names).
  public var lpips: LPIPSNet {
    guard let n = LPIPSNet(rawValue: lpipsNet) else { preconditionFailure("lpips_net '\(lpipsNet)' is not a backbone") }
    return n
  }
}
