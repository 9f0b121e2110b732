// `lmlab bench registry`: fills a fresh registry with N runs (full configs as params) and M
// series points written in batches, then times filtered `runs list` the way the command
// does it (open + reap check + parse + query + render), in-process and as a new process.
import Workbench
import Foundation
import Registry

public enum RegistryBench {
  public struct Options: Sendable {
    public var runs = 10_000
    public var points = 10_000_000
    /// Points per write transaction (one run's points are split into batches of this size).
    public var batch = 1_000
    /// Registry file; nil = a temporary file, deleted afterwards unless `keep`.
    public var path: String?
    public var keep = false
    public var repeats = 7
    /// The `lmlab` executable, to time `runs list` as a separate process too.
    public var cliExecutable: String?
    /// A PostgreSQL URL: the same bench runs there too (in a new schema, dropped after unless
    /// `keep`), after SQLite's, and the two are printed side by side.
    public var postgres: String?
    public init() {}

    /// `--registry`: a postgres:// URL runs the bench there too, beside SQLite; anything else
    /// is a file path, the same as `path`.
    public mutating func setRegistry(_ location: String) {
      if Registry.isPostgresURL(location) { postgres = location } else { path = location }
    }
  }

  public struct Result: Sendable {
    public var pointsPerSecond: Double
    /// Median wall time of each filtered listing, in milliseconds (in-process).
    public var listMedianMs: [Double]
    /// Median wall time of the same listings as `lmlab runs list` processes.
    public var cliMedianMs: [Double]
  }

  public static let queries: [(where: String, sort: String?, limit: Int)] = [
    ("n_landmarks=30 and status=finished and metric.keypoint_acc>0.7", nil, 50),
    ("use_gan=true and learning_rate<0.0005 and best.loss<0.5", "-metric.keypoint_acc", 20),
    ("experiment=sweep-07 and (seed=1 or seed=2) and not status=failed", "n_landmarks", 0),
  ]

  static func now() -> Double { ProcessInfo.processInfo.systemUptime }

  /// The bench on SQLite, and on PostgreSQL too when `o.postgres` is set (same data, same
  /// queries, one after the other in this process), ending with both side by side.
  public static func run(_ o: Options, print: (String) -> Void) throws -> [(backend: String, result: Result)] {
    var results = [("sqlite", try runSQLite(o, print: print))]
    guard let url = o.postgres else { return results }
    let schema = "lmlab_bench_\(getpid())"
    let location = url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    print("")
    let pg = try runOne(o, location: location, print: print) { r in
      let bytes = try r.read { c in
        try c.queryOne(
          """
          SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'
          """)?.double("bytes") ?? 0
      }
      return String(format: "%.2f GB in schema %@ (tables and indexes)", bytes / 1e9, schema)
    }
    results.append(("postgres", pg))
    if !o.keep {
      let r = try Registry(path: location)
      _ = try r.write { c in try c.execute("DROP SCHEMA \(schema) CASCADE") }
      try r.close()
    } else {
      print("kept:    schema \(schema)")
    }
    let (a, b) = (results[0].1, results[1].1)
    print("")
    print("side by side (same run):")
    print(String(format: "  logging points/s:  SQLite %.0f, PostgreSQL %.0f (PostgreSQL/SQLite %.2f)", a.pointsPerSecond, b.pointsPerSecond, b.pointsPerSecond / a.pointsPerSecond))
    for (i, q) in queries.enumerated() {
      let sa = a.cliMedianMs.isEmpty ? a.listMedianMs[i] : a.cliMedianMs[i]
      let sb = b.cliMedianMs.isEmpty ? b.listMedianMs[i] : b.cliMedianMs[i]
      print(String(format: "  list %d (%@): SQLite %.1f ms, PostgreSQL %.1f ms (%.2f×)", i + 1, q.where, sa, sb, sb / sa))
    }
    return results
  }

  static func runSQLite(_ o: Options, print: (String) -> Void) throws -> Result {
    let tmpDir = NSTemporaryDirectory() + "lmlab-bench-registry-\(getpid())"
    let path = o.path ?? tmpDir + "/bench.sqlite"
    if o.path == nil {
      try FileManager.default.createDirectory(atPath: tmpDir, withIntermediateDirectories: true)
    }
    defer {
      if !o.keep && o.path == nil { try? FileManager.default.removeItem(atPath: tmpDir) }
    }
    if FileManager.default.fileExists(atPath: path) {
      throw RegistryError.invalidState(
        "\(path) exists; the bench needs a fresh file (remove it or pick another --path)")
    }
    return try runOne(o, location: path, print: print) { _ in
      let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
      return String(format: "%.2f GB", Double(bytes) / 1e9)
    }
  }

  /// `count` runs with varied full configs (~70 typed params each), in statuses finished, failed
  /// and interrupted by blocks of 500 (the `bench ui` registry too). Returns (created, params per run).
  public static func createRuns(_ registry: Registry, count: Int) throws -> (Int, Int) {
    var specs: [RunSpec] = []
    for i in 0..<count {
      var c = ExperimentConfig()
      c.model.nLandmarks = [10, 20, 30, 40][i % 4]
      c.run.seed = (i / 4) % 5
      c.trainer.learningRate = [1e-4, 3e-4, 1e-3][(i / 20) % 3]
      c.trainer.useGan = (i / 60) % 2 == 1
      c.model.imgSize = [64, 128][(i / 120) % 2]
      specs.append(
        RunSpec(
          name: "trial-\(i)", kind: "train-landmarks", experiment: String(format: "sweep-%02d", i % 40),
          configJSON: c.canonicalJSON(), configHash: c.hash, params: c.paramEntries(), seed: Int64(c.run.seed),
          commandLine: "lmlab bench registry"))
    }
    let statuses: [RunStatus] = [
      .finished, .finished, .finished, .finished, .finished, .failed, .interrupted,
    ]
    var created = 0
    for chunk in stride(from: 0, to: specs.count, by: 500) {
      let part = Array(specs[chunk..<min(chunk + 500, specs.count)])
      let status = statuses[(chunk / 500) % statuses.count]
      created += try registry.createRuns(part, status: status).count
    }
    return (created, specs.first?.params.count ?? 0)
  }

  /// Fills the registry at `location` and times logging and listings; `size` says how big it got.
  static func runOne(
    _ o: Options, location path: String, print: (String) -> Void, size: (Registry) throws -> String
  ) throws -> Result {
    let registry = try Registry(path: path)
    print("registry bench: \(o.runs) runs, \(o.points) series points, batches of \(o.batch), registry \(registry.path)")
    let shown = registry.path

    // Runs: varied full configs, so params hold ~70 typed keys each.
    var t0 = now()
    let (created, paramsEach) = try createRuns(registry, count: o.runs)
    var dt = now() - t0
    print(
      String(
        format: "runs:    %d created in %.2f s (%.0f runs/s, %d params each)", created, dt,
        Double(created) / dt,
        paramsEach))

    // Series: per run, a loss curve, a psnr curve and one keypoint_acc, in batches.
    var rng = SplitMix(seed: 42)
    let perRun = max(o.points / max(o.runs, 1), 3)
    var latencies: [Double] = []
    var written = 0
    var batch: [PendingPoint] = []
    batch.reserveCapacity(o.batch)
    t0 = now()
    var lastReport = t0
    for run in 1...Int64(o.runs) {
      let accStep = Int64(perRun - 1)
      let quality = rng.nextUnit()
      for s in 0..<perRun {
        let step = Int64(s)
        let p: PendingPoint
        if step == accStep {
          p = PendingPoint(name: "keypoint_acc", step: step, value: 0.4 + 0.55 * quality, time: 0)
        } else if s % 10 == 9 {
          p = PendingPoint(name: "psnr", step: step, value: 20 + 10 * quality, time: 0)
        } else {
          p = PendingPoint(
            name: "loss", step: step, value: 2.0 / Double(s + 1) + 0.3 * rng.nextUnit(), time: 0)
        }
        batch.append(p)
        if batch.count == o.batch || s == perRun - 1 {
          let b0 = now()
          try registry.writePoints(runId: run, batch)
          latencies.append(now() - b0)
          written += batch.count
          batch.removeAll(keepingCapacity: true)
        }
      }
      if now() - lastReport > 10 {
        lastReport = now()
        print(
          String(
            format: "  ... %d points, %.0f points/s so far", written, Double(written) / (lastReport - t0)))
      }
    }
    dt = now() - t0
    let pps = Double(written) / dt
    let lat = latencies.sorted()
    print(
      String(
        format: "logging: %d points in %d batches in %.1f s: %.0f points/s (batch p50 %.1f ms, p99 %.1f ms)",
        written, latencies.count, dt, pps, 1000 * lat[lat.count / 2],
        1000 * lat[min(lat.count - 1, lat.count * 99 / 100)]))
    print("size:    \(try size(registry))")
    try registry.close()

    // Listing, as `runs list` does it: a fresh open each time.
    var medians: [Double] = []
    var cliMedians: [Double] = []
    for q in queries {
      var times: [Double] = []
      var matches = 0
      for _ in 0..<o.repeats {
        let q0 = now()
        let r = try Registry(path: path)
        let filter = try WhereExpr.parse(q.where)
        let sort = try q.sort.map { [try SortKey.parse($0)] } ?? []
        let listing = try r.listRuns(filter: filter, sort: sort, limit: q.limit)
        let text = RunFormat.listing(listing)
        times.append(1000 * (now() - q0))
        matches = listing.totalMatching
        precondition(!text.isEmpty)
        try r.close()
      }
      let m = BenchInfo.median(times)
      medians.append(m)
      var line = String(
        format: "list:    --where '%@'%@ → %d matches: median %.1f ms (min %.1f, max %.1f, %d runs)", q.where,
        q.sort.map { " --sort=\($0)" } ?? "", matches, m, times.min() ?? 0, times.max() ?? 0, o.repeats)
      if let exe = o.cliExecutable {
        var cli: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<o.repeats {
          var args = ["runs", "list", "--registry", path, "--where", q.where, "--limit", String(q.limit)]
          if let s = q.sort { args += ["--sort=" + s] }
          let p = Process()
          p.executableURL = URL(fileURLWithPath: exe)
          p.arguments = args
          p.standardOutput = FileHandle.nullDevice
          let c0 = now()
          let u0 = childCPUSeconds()
          try p.run()
          p.waitUntilExit()
          cli.append(1000 * (now() - c0))
          cpu.append(1000 * (childCPUSeconds() - u0))
          if p.terminationStatus != 0 { throw RegistryError.invalidState("lmlab runs list failed: \(args)") }
        }
        cliMedians.append(BenchInfo.median(cli))
        line += String(format: "; as a process: median %.1f ms (CPU %.1f ms)", BenchInfo.median(cli), BenchInfo.median(cpu))
      }
      print(line)
    }
    print("machine: load average \(BenchInfo.loadAverages) on \(ProcessInfo.processInfo.activeProcessorCount) cores")
    let worstList = (cliMedians.isEmpty ? medians : cliMedians).max() ?? 0
    print(
      String(
        format:
          "verdict: filtered list %.1f ms (goal < 200 ms): %@; batched logging %.0f points/s (goal ≥ 100000): %@",
        worstList, worstList < 200 ? "met" : "NOT met", pps, pps >= 100_000 ? "met" : "NOT met"))
    if (o.keep || o.path != nil) && !Registry.isPostgresURL(path) { print("kept:    \(shown)") }
    return Result(pointsPerSecond: pps, listMedianMs: medians, cliMedianMs: cliMedians)
  }
}

/// User + system CPU seconds of finished child processes.
func childCPUSeconds() -> Double {
  var u = rusage()
  #if os(Linux)
    getrusage(RUSAGE_CHILDREN.rawValue, &u)
  #else
    getrusage(RUSAGE_CHILDREN, &u)
  #endif
  return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec)
    + Double(u.ru_stime.tv_usec) / 1e6
}


/// Deterministic, fast generator for bench data.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
