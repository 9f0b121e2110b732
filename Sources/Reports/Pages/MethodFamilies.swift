// MethodFamilies: the two families of predictors the report compares (its Figs. 5 and 8) —
// the landmark methods (the LSTM, the hold-state and constant-velocity baselines, the
// reconstruction bound; every landmark run or decoder variant the report is given) and the
// pixel-space predictors (`pixel`, and any method whose frames were imported) — beside pixel
// copy-last; the pairs whose crossings the report writes under each plot, and their sentences.
import EvalMetrics

/// A prediction method's part in the comparison, read from the method it recorded.
public enum PredictionRole: String, Sendable, CaseIterable {
  case lstm
  case landmarkBaseline = "landmark baseline"
  case bound = "reconstruction bound"
  case pixel = "pixel-space predictor"
  case copyLast = "copy-last"
  case other

  /// Imported frames come from another pixel-space predictor (SAVP and its kin), whatever the
  /// name they were imported under.
  public init(method: String, imported: Bool) {
    if imported {
      self = .pixel
      return
    }
    switch method {
    case "lstm": self = .lstm
    case "hold-state", "constant-velocity": self = .landmarkBaseline
    case "reconstruction": self = .bound
    case "pixel": self = .pixel
    case "copy-last": self = .copyLast
    default: self = .other
    }
  }

  public var family: String {
    switch self {
    case .lstm, .landmarkBaseline, .bound: return "landmark"
    case .pixel: return "pixel-space"
    case .copyLast: return "copy-last"
    case .other: return "other"
    }
  }
}

enum MethodFamilies {
  /// The pairs of roles the report writes crossings for, in this order (method A first).
  static let pairRoles: [(PredictionRole, PredictionRole)] = [
    (.lstm, .pixel), (.lstm, .copyLast), (.pixel, .copyLast), (.bound, .pixel), (.bound, .copyLast),
  ]

  /// Every method of the first role against every method of the second, in `pairRoles` order
  /// and the runs' order within a role (several LSTMs: one pair each).
  static func pairs(_ runs: [FrameRunResult]) -> [(a: String, b: String)] {
    var out: [(a: String, b: String)] = []
    for (ra, rb) in pairRoles {
      for a in runs where a.role == ra {
        for b in runs where b.role == rb && !out.contains(where: { $0.a == a.method && $0.b == b.method }) {
          out.append((a.method, b.method))
        }
      }
    }
    return out
  }

  /// Metrics crossings are written for: the decoded frames' scores (PSNR, SSIM, LPIPS, feature
  /// distances), not the landmark error (copy-last and pixel predictors have no landmarks).
  static func crossingMetric(_ metric: String) -> MetricDirection? {
    metric.contains("error") ? nil : MetricDirection(metricName: metric)
  }

  /// The families present, named for the page: "landmark: lstm, reconstruction; pixel-space: pixel; copy-last: copy-last".
  static func summary(_ runs: [FrameRunResult]) -> String {
    var parts: [String] = []
    for family in ["landmark", "pixel-space", "copy-last", "other"] {
      let names = runs.filter { $0.role?.family == family }.map { $0.imported ? "\($0.method) (imported)" : $0.method }
      if !names.isEmpty { parts.append("\(family): \(names.joined(separator: ", "))") }
    }
    return parts.joined(separator: "; ")
  }
}
