// CompareData: what the live compare page shows, as plain values the Workbench reads from the
// registry — the runs (with the prediction method that decides their colour), every parameter
// side by side with whether it differs, and every logged series with each run's points.
import Foundation

public struct CompareData: Sendable {
  public struct RunInfo: Sendable {
    public var id: Int64
    public var name: String
    public var kind: String
    public var status: String
    public var experiment: String?
    /// The method a predict, import or interpolate run recorded (its colour and name in the
    /// report); nil for training runs.
    public var method: String?
    /// Frames imported from elsewhere (a pixel-space predictor's family).
    public var imported: Bool

    public init(
      id: Int64, name: String, kind: String, status: String, experiment: String? = nil, method: String? = nil,
      imported: Bool = false
    ) {
      (self.id, self.name, self.kind, self.status) = (id, name, kind, status)
      (self.experiment, self.method, self.imported) = (experiment, method, imported)
    }
  }

  /// One parameter key: each run's value (nil: the run has no such key).
  public struct ParamRow: Sendable, Equatable {
    public var key: String
    public var values: [String?]
    /// Some run's value differs from another's (a missing value differs from any value).
    public var differs: Bool { Set(values.map { $0 ?? "\u{0}missing" }).count > 1 }

    public init(key: String, values: [String?]) { (self.key, self.values) = (key, values) }
  }

  /// One series name: the points of each run that logged it.
  public struct Series: Sendable {
    public var name: String
    /// "min" or "max": which way is better (as the registry infers or the run logged it).
    public var goal: String?
    public var points: [Int64: [SeriesValue]]

    public init(name: String, goal: String?, points: [Int64: [SeriesValue]]) {
      (self.name, self.goal, self.points) = (name, goal, points)
    }
  }

  public var runs: [RunInfo]
  /// Every key any run has, sorted by key.
  public var params: [ParamRow]
  /// Every series any run logged, by name.
  public var series: [Series]
  /// Show only the differing parameters (`?only_changed=1`).
  public var onlyChanged: Bool

  public init(runs: [RunInfo], params: [ParamRow], series: [Series], onlyChanged: Bool) {
    for p in params {
      precondition(
        p.values.count == runs.count, "param \(p.key): \(p.values.count) values for \(runs.count) runs")
    }
    (self.runs, self.params, self.series, self.onlyChanged) = (runs, params, series, onlyChanged)
  }
}
