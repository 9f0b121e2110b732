// CompareQueries: the registry read behind the live compare page — each run's record, params and
// series (through Registry.detail and Registry.series, as `runs compare` reads them), the method
// a prediction run recorded (its colour in the report), every logged series with its points.
import Foundation
import Registry
import Reports

public enum CompareQueries {
  /// At most this many runs on one page (each is a line in every chart).
  public static let maxRuns = 50

  /// The compare page's data for runs `ids` (duplicates dropped, order kept).
  /// - Throws: `LiveQueryError` `.notFound` naming a run id the registry lacks; `.badRequest`
  ///   for no ids or more than `maxRuns`.
  public static func data(ids: [Int64], onlyChanged: Bool, registry: Registry) throws -> CompareData {
    var seen = Set<Int64>()
    let ids = ids.filter { seen.insert($0).inserted }
    guard !ids.isEmpty else { throw LiveQueryError(.badRequest, "compare: no run ids given (?ids=1,2,3)") }
    guard ids.count <= maxRuns else {
      throw LiveQueryError(
        .badRequest, "compare: \(ids.count) runs asked for; at most \(maxRuns) fit on one page")
    }
    let details = try ids.map { id -> RunDetail in
      do { return try registry.detail(id) } catch RegistryError.noSuchRun {
        throw LiveQueryError(.notFound, "no run \(id) in the registry \(registry.path)")
      }
    }
    let runs = details.map { d -> CompareData.RunInfo in
      let key = ReportInputs.methodKey(kind: d.run.kind)
      return CompareData.RunInfo(
        id: d.run.id, name: d.run.name, kind: d.run.kind, status: d.run.status.rawValue,
        experiment: d.experiment?.name,
        method: key.flatMap { k in d.params.first { $0.key == k }?.text },
        imported: d.run.kind == PredictionImport.runKind)
    }
    let keys = Set(details.flatMap { $0.params.map(\.key) }).sorted()
    let byKey = details.map { d in
      Dictionary(d.params.map { ($0.key, $0.text) }, uniquingKeysWith: { a, _ in a })
    }
    let params = keys.map { k in CompareData.ParamRow(key: k, values: byKey.map { $0[k] }) }
    var series: [CompareData.Series] = []
    for name in Set(details.flatMap { $0.summaries.map(\.name) }).sorted() {
      var points: [Int64: [SeriesValue]] = [:]
      var goal: String?
      for d in details {
        guard let summary = d.summaries.first(where: { $0.name == name }) else { continue }
        goal = goal ?? summary.goal.rawValue
        points[d.run.id] = try registry.series(runId: d.run.id, name: name).map {
          SeriesValue(step: $0.step, value: $0.value)
        }
      }
      series.append(CompareData.Series(name: name, goal: goal, points: points))
    }
    return CompareData(runs: runs, params: params, series: series, onlyChanged: onlyChanged)
  }
}
