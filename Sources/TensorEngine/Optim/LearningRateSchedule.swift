// LearningRateSchedule: the factor on a base learning rate at each step of a run of known
// length. A function of the step alone, so a resumed run continues on the same curve.
import Foundation

public enum LearningRateSchedule: String, CaseIterable, Sendable {
  /// The base rate throughout (the reference's recipe).
  case constant
  /// Half a cosine from the base rate at step 0 to 0 at the last step:
  /// factor = ½ (1 + cos(π · step / total)).
  case cosine

  /// Config names, in declaration order.
  public static var names: [String] { allCases.map(\.rawValue) }

  /// The factor for the update after `step` completed steps of `total` (0 ≤ step < total).
  public func factor(step: Int, total: Int) -> Double {
    switch self {
    case .constant: return 1
    case .cosine:
      guard total > 0 else { return 1 }
      return 0.5 * (1 + cos(Double.pi * Double(Swift.min(Swift.max(step, 0), total)) / Double(total)))
    }
  }
}
