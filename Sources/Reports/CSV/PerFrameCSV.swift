// PerFrameCSV: the one writer of the per-frame metrics format (DESIGN §4,
// `method,sequence,frame,metric,value`, one row per value), used by `eval frames`,
// `eval keypoints`, the frame runs' scores.csv and the report's per_frame.csv.

public struct PerFrameCSV: Sendable {
  private var table = TidyCSV(header: TidyCSV.perFrameHeader)

  public init() {}

  public mutating func append(method: String, sequence: String, frame: String, metric: String, value: Double) {
    table.append([method, sequence, frame, metric, TidyCSV.number(value)])
  }

  public mutating func append(method: String, sequence: String, frame: Int, metric: String, value: Double) {
    append(method: method, sequence: sequence, frame: String(frame), metric: metric, value: value)
  }

  /// Header and rows, fields quoted where needed.
  public func render() -> String { table.render() }

  /// Writes the table atomically.
  public func write(to path: String) throws { try table.write(to: path) }
}
