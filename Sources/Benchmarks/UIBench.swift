// `lmlab bench ui`: the live view's answer times at scale. A fresh registry of 10,000 runs
// (`bench registry`'s generator, 3 points each) plus one run with a 100,000-point loss curve;
// the server started in this process on a free loopback port; medians of several GETs of the
// runs page (unfiltered, filtered, sorted) and of the big run's chart, against the targets.
import Foundation
import LiveView
import Registry
import Workbench

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

public enum UIBench {
  public struct Figure: Sendable {
    public var what: String
    public var medianMs: Double
    public var targetMs: Double?
    public var bytes: Int
  }

  public static func run(runs: Int, points: Int, repeats: Int, print: @escaping @Sendable (String) -> Void) throws -> [Figure] {
    let dir = NSTemporaryDirectory() + "lmlab-bench-ui-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/bench.sqlite"
    let registry = try Registry(path: path)
    var t0 = Date()
    let (created, paramsEach) = try RegistryBench.createRuns(registry, count: runs)
    for run in 1...Int64(created) {
      try registry.writePoints(runId: run, (0..<3).map { PendingPoint(name: "loss", step: Int64($0), value: 1 / Double($0 + 1), time: 0) })
    }
    let big = try registry.createRun(RunSpec(name: "long-curve", kind: "train-landmarks", commandLine: "lmlab bench ui"), status: .finished)
    var rng = SystemRandomNumberGenerator()
    for chunk in stride(from: 0, to: points, by: 10_000) {
      let batch = (chunk..<min(chunk + 10_000, points)).map { s in
        PendingPoint(name: "loss", step: Int64(s), value: 2 / Double(s + 1) + 0.2 * Double.random(in: 0..<1, using: &rng), time: Double(s))
      }
      try registry.writePoints(runId: big.id, batch)
    }
    try registry.close()
    print(String(format: "bench ui: %d runs (%d params each) and run %d with %d points in %.1f s; registry %@", created, paramsEach, big.id, points, Date().timeIntervalSince(t0), path))

    // The server, in this process, on a free loopback port.
    var o = LiveServerOptions(registry: path)
    o.port = 0
    let url = URLBox()
    let ready = DispatchSemaphore(value: 0)
    Task {
      do {
        try await LiveServer.run(o) { u in
          url.value = u
          ready.signal()
        }
      } catch {
        print("bench ui: the server stopped: \(error)")
        ready.signal()
      }
    }
    guard ready.wait(timeout: .now() + 30) == .success, let base = url.value.map({ String($0.dropLast("/runs".count)) }) else {
      throw RegistryError.invalidState("bench ui: the server did not start within 30 s")
    }
    print("server: \(base)")
    let session = URLSession(configuration: .ephemeral)
    func get(_ p: String) throws -> (Double, Int) {
      let done = DispatchSemaphore(value: 0)
      let box = ResultBox()
      t0 = Date()
      session.dataTask(with: URL(string: base + p)!) { data, response, error in
        box.status = (response as? HTTPURLResponse)?.statusCode ?? -1
        box.bytes = data?.count ?? 0
        box.error = error
        done.signal()
      }.resume()
      done.wait()
      let ms = Date().timeIntervalSince(t0) * 1000
      if let e = box.error { throw e }
      guard box.status == 200 else { throw RegistryError.invalidState("bench ui: GET \(p) answered \(box.status)") }
      return (ms, box.bytes)
    }
    let cases: [(String, String, Double?)] = [
      ("runs page (first 500 of all)", "/runs", 300),
      ("runs page, filtered", "/runs?where=" + "status%3Dfinished%20and%20n_landmarks%3D30", 300),
      ("runs page, sorted by a param", "/runs?sort=-learning_rate", 300),
      ("runs rows (what the page polls)", "/runs/rows", 300),
      // The deepest full page: OFFSET makes the database step over the runs before it.
      ("runs page \(runs / 500) (rows \(runs - 499)–\(runs))", "/runs?page=\(runs / 500)", 300),
      ("chart of \(points) points", "/runs/\(big.id)/chart?name=loss", 500),
      ("run page with that chart", "/runs/\(big.id)", nil),
      ("CSV of \(points) points (exact values)", "/runs/\(big.id)/series.csv?name=loss", nil),
    ]
    _ = try get("/runs")  // warm-up: the first open of the registry
    var figures: [Figure] = []
    for (what, p, target) in cases {
      var times: [Double] = []
      var bytes = 0
      for _ in 0..<repeats {
        let (ms, b) = try get(p)
        times.append(ms)
        bytes = b
      }
      let median = times.sorted()[times.count / 2]
      figures.append(Figure(what: what, medianMs: median, targetMs: target, bytes: bytes))
      let verdict = target.map { median < $0 ? String(format: "< %.0f ms: ok", $0) : String(format: "TARGET %.0f ms MISSED", $0) } ?? ""
      let label = what.padding(toLength: 42, withPad: " ", startingAt: 0)
      print("  " + label + String(format: "median %7.1f ms of %d  (%d KB)  ", median, repeats, bytes / 1024) + verdict)
    }
    return figures
  }

  final class URLBox: @unchecked Sendable { var value: String? }
  final class ResultBox: @unchecked Sendable {
    var status = 0
    var bytes = 0
    var error: Error?
  }
}
