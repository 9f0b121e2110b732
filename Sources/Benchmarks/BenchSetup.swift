// What every comparing benchmark (`lmlab bench train|dynamics|metrics`) shares: one thread count
// for both sides (OpenBLAS, the engine's workers, PyTorch), the header lines that say what ran
// (threads, BLAS kernels, the reference side's versions, load), the shipped experiment configs a
// case is named for, and the reference side: a Python script run as a subprocess in the same
// invocation, one JSON object per line on its stdout.
import Workbench
import Foundation
import EvalMetrics
import TensorEngine

/// The thread count a bench run uses on both sides, and what each side actually gets.
public struct BenchThreads: Sendable {
  /// What was asked (`--threads N`).
  public let requested: Int
  /// OpenBLAS's thread count after setting it (openblas_get_num_threads).
  public let blas: Int
  /// The engine's worker count (`engineThreads`) and the metrics' frame workers.
  public let engine: Int
  /// Cores this process may run on: the engine's workers run on libdispatch's pool, one thread
  /// per core, so at most this many run at once.
  public let cores: Int
  /// OMP_WAIT_POLICY handed to PyTorch (PASSIVE unless the environment sets it).
  public let ompWaitPolicy: String

  /// Sets OpenBLAS, the engine and the metrics' workers to `n` threads.
  public static func apply(_ n: Int) -> BenchThreads {
    precondition(n >= 1, "threads must be ≥ 1")
    setBLASThreads(n)
    engineThreads = n
    metricWorkerLimit = n
    let cores = ProcessInfo.processInfo.activeProcessorCount
    return BenchThreads(
      requested: n, blas: blasThreads, engine: engineThreads, cores: cores,
      ompWaitPolicy: ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] ?? "PASSIVE")
  }

  /// Workers of ours that can run at once.
  public var engineAtOnce: Int { Swift.min(engine, cores) }

  /// The environment the reference side runs with: the same thread count for OpenMP, MKL and
  /// OpenBLAS (numpy), and the wait policy.
  public var referenceEnvironment: [String: String] {
    var env = ProcessInfo.processInfo.environment
    for key in ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"] { env[key] = String(requested) }
    env["OMP_WAIT_POLICY"] = ompWaitPolicy
    return env
  }

  /// "threads 2: ours OpenBLAS 2 + engine 2 workers; PyTorch 2 (...)" — with what differs from
  /// the request said.
  public func line(pytorch: Bool) -> String {
    var s = "threads \(requested): ours OpenBLAS \(blas) + engine \(engine) workers"
    if engine > cores { s += " (at most \(engineAtOnce) at once: libdispatch runs one thread per core, \(cores) cores)" }
    if blas != requested { s += " (OpenBLAS took \(blas) of \(requested))" }
    s += "; convs split the batch over the workers (channels within a sample when the batch is smaller), "
      + "OpenBLAS single-threaded inside"
    if pytorch {
      s += "; PyTorch torch.set_num_threads(\(requested)), OMP_NUM_THREADS=MKL_NUM_THREADS=OPENBLAS_NUM_THREADS=\(requested), "
        + "OMP_WAIT_POLICY=\(ompWaitPolicy)"
    }
    return s
  }
}

public enum BenchInfo {
  /// The 1-, 5- and 15-minute load averages (other work on the machine skews wall times; "-"
  /// when unreadable).
  public static var loadAverages: String {
    let fields = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ").prefix(3)
    return fields.isEmpty ? "-" : fields.joined(separator: " ")
  }

  /// The 1-minute load average ("-" when unreadable).
  public static var load: String { loadAverages.split(separator: " ").first.map(String.init) ?? "-" }

  /// The CPU's model name from /proc/cpuinfo.
  public static var cpu: String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
      if let v = line.split(separator: ":", maxSplits: 1).last { return v.trimmingCharacters(in: .whitespaces) }
    }
    return "unknown CPU"
  }

  /// The lines every comparing table starts with.
  public static func header(_ title: String, threads: BenchThreads, reference: ReferenceSide?, print out: (String) -> Void) {
    out("LandmarkLab \(title) (float32)")
    out("CPU: \(cpu), \(threads.cores) cores; load average \(load) at start")
    out(threads.line(pytorch: reference?.available == true))
    out("BLAS kernels: OpenBLAS \(NativeBLAS.description)")
    if let r = reference { out("reference side: " + r.summary) }
  }

  /// The median of `values` (the mean of the middle two for an even count).
  public static func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }
}

/// A shipped experiment config a bench case is named for (`landmarks-learn` reads
/// Experiments/landmarks-learn.yaml, found by `ExperimentsFolder.locate()`).
public enum BenchConfigs {
  /// The config file `name`.yaml in the experiments folder, loaded over `base` (or the defaults).
  public static func load(_ name: String, base: ExperimentConfig? = nil, baseName: String = "base config") throws -> (config: ExperimentConfig, path: String) {
    let dir = try ExperimentsFolder.locate()
    let path = dir + "/" + name + ".yaml"
    guard FileManager.default.fileExists(atPath: path) else {
      throw ConfigError.unreadable(path: path, detail: "no such config in \(dir)")
    }
    return (try ConfigLoader.load(file: path, base: base, baseName: baseName).config, path)
  }

  /// Names of the experiments folder's configs (without `.yaml`), sorted; empty when none is found.
  public static func available() -> [String] {
    guard let dir = try? ExperimentsFolder.locate(), let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
    return files.filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".sweep.yaml") }.map { String($0.dropLast(5)) }.sorted()
  }
}

/// The reference side of a benchmark: `python3 SCRIPT ARGS --json --threads N`, with the thread
/// environment of `BenchThreads`. Its first JSON line is {"what": "versions", ...}.
public final class ReferenceSide {
  public let script: String
  public let threads: BenchThreads
  /// Versions the script reported ("python", "torch", ...), from a `--versions` call.
  public private(set) var versions: [String: String] = [:]
  /// Why the reference side is not measured (nil when it is).
  public private(set) var unavailable: String?

  public var available: Bool { unavailable == nil }

  /// Checks python3, the script and its imports (`SCRIPT --versions --json`); `disabled` gives
  /// the reason when the user turned the side off.
  public init(script: String, threads: BenchThreads, disabled: String? = nil) {
    self.script = script
    self.threads = threads
    if let disabled {
      unavailable = disabled
      return
    }
    guard FileManager.default.fileExists(atPath: script) else {
      unavailable = "\(script) not found (run from the repository root, or pass --script)"
      return
    }
    let (lines, error) = run(["--versions"])
    if let error {
      unavailable = error
      return
    }
    for obj in lines where obj["what"] as? String == "versions" {
      for (k, v) in obj where k != "what" { versions[k] = "\(v)" }
    }
  }

  /// "python 3.11.2, torch 2.5 (…), OMP_WAIT_POLICY=PASSIVE; Experiments/tools/bench_train.py" or why not.
  public var summary: String {
    if let unavailable { return "not measured: \(unavailable) (our side only)" }
    let order = ["python", "torch", "numpy", "scikit-image", "lpips", "torch_threads", "omp_wait_policy"]
    let parts = order.compactMap { k in versions[k].map { "\(k) \($0)" } }
      + versions.keys.filter { !order.contains($0) }.sorted().map { "\($0) \(versions[$0]!)" }
    return parts.joined(separator: ", ") + " (\(script))"
  }

  /// Runs the script with `arguments` + `--json --threads N`; the JSON objects it printed, or an
  /// error naming the exit status and its last stderr line.
  public func run(_ arguments: [String]) -> (lines: [[String: Any]], error: String?) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", script] + arguments + ["--json", "--threads", String(threads.requested)]
    p.environment = threads.referenceEnvironment
    let out = Pipe()
    // stderr to a file: a pipe nobody drains would block a chatty script.
    let errPath = NSTemporaryDirectory() + "lmlab-bench-\(ProcessInfo.processInfo.processIdentifier)-stderr.txt"
    FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    p.standardOutput = out
    p.standardError = FileHandle(forWritingAtPath: errPath)
    do { try p.run() } catch { return ([], "cannot run python3: \(error)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      let errText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
      let last = errText.split(separator: "\n").last.map(String.init) ?? ""
      return ([], "\(script) exited \(p.terminationStatus): \(last)")
    }
    var lines: [[String: Any]] = []
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      if let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { lines.append(obj) }
    }
    return (lines, nil)
  }
}
