// SweepSpec: `Experiments/NAME.sweep.yaml` parsed and checked, before anything is queued.
//
//   name: table1-demo                  # the sweep (an experiment); default: file name
//   trainer: landmarks                 # or dynamics (then landmarks_run or landmarks_sweep)
//   base: landmarks-table1-demo.yaml   # config the trials start from (relative to this file)
//   set: {max_steps: 300}              # fixed overrides on the base
//   grid:                              # every combination
//     use_spade: [true, false]         #   a list of values
//     n_landmarks: {range: [10, 40, 10]}        # lo, hi (inclusive), step
//     learning_rate: {log_range: [1e-4, 1e-2, 3]}  # lo, hi, count (log-spaced)
//   random:                            # `samples` independent draws per grid point
//     samples: 4
//     seed: 7
//     keys:
//       learning_rate: {log_uniform: [1e-4, 1e-2]}   # also uniform, int_uniform, choice
//   seeds: [1, 2, 3]                   # each trial once per seed (or {range: [1, 3]})
//   rank: metric.keypoint_acc          # a `--where` metric field: metric./best./min./max.NAME
//   goal: max                          # default: inferred from the metric's name
//   max_resumes: 10                    # an interrupted trial is requeued at most this often
// A sweep has at most `SweepSpec.maxTrials` trials (grid points × random samples × seeds), counted
// before any is expanded: a spec of 9 keys × 10 values is refused in one line, not expanded.
import ConfigSchema
import Foundation
import Registry
import SafeIO
import Yams

public struct SweepSpecError: Error, CustomStringConvertible, LocalizedError, Equatable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
  public var errorDescription: String? { message }
}

public struct SweepSpec: Sendable {
  public enum Trainer: String, Sendable, CaseIterable { case landmarks, dynamics }
  /// What a dynamics sweep builds on.
  public enum LandmarkSource: Equatable, Sendable {
    case run(Int64)
    /// The best finished trial (by that sweep's rank) of a landmark sweep, by name or id.
    case sweep(String)
  }
  public enum Distribution: Equatable, Sendable {
    case uniform(Double, Double)
    case logUniform(Double, Double)
    case intUniform(Int, Int)
    case choice([ConfigValue])
  }

  public var name: String
  public var path: String
  public var text: String
  public var trainer: Trainer
  /// The base config file, resolved (nil: the defaults, or the landmark run's config).
  public var base: String?
  /// Values set on every trial (typed and range-checked when the spec is read).
  public var fixed: [(key: String, value: ConfigValue)] = []
  /// Grid axes in spec order, each value typed and range-checked.
  public var grid: [(key: String, values: [ConfigValue])] = []
  public var randomSamples = 0
  public var randomSeed: UInt64 = 0
  public var random: [(key: String, distribution: Distribution)] = []
  /// Empty: one trial per point with the base config's seed.
  public var seeds: [Int] = []
  public var landmarks: LandmarkSource?
  public var rankField: String
  public var rankGoal: MetricGoal
  public var maxResumes: Int64 = 10
  /// Where each config key (set, grid, random) and `base`, `landmarks_run`, `landmarks_sweep`
  /// stand in the spec (":line:column"): errors found later, when trials are loaded, name it.
  public var marks: [String: String] = [:]

  /// "FILE:LINE:COL KEY" for a key the spec names, else "FILE" (the key comes from the base).
  func location(_ key: String) -> String {
    marks[key].map { "\(path)\($0) \(key)" } ?? path
  }

  /// Most trials one sweep may have (a cluster sweep of thousands fits; a typo of a billion does not).
  public static let maxTrials = 10_000

  /// The number of trials the spec expands to (grid points × random samples × seeds), nil when
  /// it overflows.
  public var trialCount: Int? {
    MemoryBudget.product(grid.map(\.values.count) + [random.isEmpty ? 1 : randomSamples, Swift.max(seeds.count, 1)])
  }

  /// The config keys the trials vary (grid then random), seed excluded.
  public var sweptKeys: [String] { grid.map(\.key) + random.map(\.key) }

  static let topKeys: Set<String> = [
    "name", "trainer", "base", "set", "grid", "random", "seeds", "landmarks_run", "landmarks_sweep", "rank", "goal",
    "max_resumes", "description",
  ]

  /// Reads and checks the spec at `path`: unknown spec or config keys, empty grids, bad ranges
  /// and distributions are errors naming the file, line and key.
  public static func load(path: String) throws -> SweepSpec {
    let text: String
    do { text = try ConfigLoader.readText(path) } catch let e as ConfigError {
      guard case .unreadable(_, let detail) = e else { throw e }
      throw SweepSpecError("\(path): cannot read sweep spec (\(detail))")
    }
    return try parse(text, path: path)
  }

  public static func parse(_ text: String, path: String) throws -> SweepSpec {
    if let line = YAMLDepth.firstLineTooDeep(text) { throw SweepSpecError("\(path):\(line): \(YAMLDepth.message)") }
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let e as YamlError {
      throw SweepSpecError("\(path)\(ConfigLoader.location(of: e)): YAML: \(ConfigLoader.oneLine(e))")
    }
    guard let top = root?.mapping else { throw SweepSpecError("\(path): expected a mapping (name, trainer, base, grid, ...)") }
    let p = SpecReader(path: path)
    var fields: [String: Node] = [:]
    for (k, v) in top {
      guard let key = k.string else { throw p.error(k, "a spec key must be a string") }
      guard topKeys.contains(key) else {
        let hint = nearestName(key, among: Array(topKeys)).map { " (did you mean '\($0)'?)" } ?? ""
        let configHint = ConfigKeys.key(key) != nil ? " ('\(key)' is a config key: put it under set: or grid:)" : ""
        throw p.error(k, "unknown sweep key '\(key)'\(hint)\(configHint)")
      }
      fields[key] = v
    }
    let fileName = (path as NSString).lastPathComponent
    let defaultName =
      fileName.hasSuffix(".sweep.yaml") ? String(fileName.dropLast(".sweep.yaml".count)) : (fileName as NSString).deletingPathExtension
    let name = try fields["name"].map { try p.string($0, "name") } ?? defaultName
    guard !name.isEmpty, Int64(name) == nil else { throw p.error(fields["name"], "name must be a non-empty word, not a number") }
    guard let tNode = fields["trainer"] else {
      throw SweepSpecError("\(path): trainer is missing (landmarks or dynamics)")
    }
    guard let trainer = Trainer(rawValue: try p.string(tNode, "trainer")) else {
      throw p.error(tNode, "trainer must be landmarks or dynamics, got '\(tNode.string ?? "")'")
    }
    guard let rankNode = fields["rank"] else {
      throw SweepSpecError("\(path): rank is missing (the metric trials are ranked by, e.g. metric.keypoint_acc)")
    }
    let rankField = try p.string(rankNode, "rank")
    guard case .metric(let metricName, _) = WhereField.parse(rankField) else {
      throw p.error(rankNode, "rank must be a metric field (metric.NAME, best.NAME, min.NAME or max.NAME), got '\(rankField)'")
    }
    var goal = MetricGoal.infer(metricName)
    if let g = fields["goal"] {
      guard let v = MetricGoal(rawValue: try p.string(g, "goal")) else { throw p.error(g, "goal must be max or min") }
      goal = v
    }
    var spec = SweepSpec(name: name, path: path, text: text, trainer: trainer, rankField: rankField, rankGoal: goal)
    for key in ["base", "landmarks_run", "landmarks_sweep"] { if let n = fields[key] { spec.marks[key] = ConfigLoader.mark(n) } }
    if let b = fields["base"] { spec.base = try p.resolveFile(try p.string(b, "base"), b) }
    if let s = fields["set"] {
      guard let m = s.mapping else { throw p.error(s, "set must be a mapping of config keys to values") }
      for (k, v) in m {
        let key = try p.configKey(k, section: "set")
        spec.marks[key.name] = ConfigLoader.mark(k)
        spec.fixed.append((key.name, try p.typedValue(v, key: key, section: "set")))
      }
    }
    if let g = fields["grid"] {
      guard let m = g.mapping else { throw p.error(g, "grid must be a mapping of config keys to lists or ranges") }
      if m.count == 0 { throw p.error(g, "grid is empty") }
      for (k, v) in m {
        let key = try p.configKey(k, section: "grid")
        spec.marks[key.name] = ConfigLoader.mark(k)
        spec.grid.append((key.name, try p.gridValues(v, key: key)))
      }
    }
    if let r = fields["random"] { try p.random(r, into: &spec) }
    if let s = fields["seeds"] {
      spec.seeds = try p.gridValues(s, key: ConfigKeys.key("seed")!).map { v in
        guard case .int(let i) = v else { throw p.error(s, "seeds must be integers, got '\(v)'") }
        return i
      }
    }
    if let mr = fields["max_resumes"] {
      guard let v = Int64(try p.string(mr, "max_resumes")), v >= 0 else { throw p.error(mr, "max_resumes must be an integer >= 0") }
      spec.maxResumes = v
    }
    let keys = spec.sweptKeys
    if let dup = Dictionary(grouping: keys, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
      throw SweepSpecError("\(path): '\(dup)' is swept twice (grid and random name it both)")
    }
    if keys.contains("seed"), !spec.seeds.isEmpty {
      throw SweepSpecError("\(path): seed is swept and seeds: is given; use one of them")
    }
    let count = spec.trialCount
    guard let count, count <= maxTrials else {
      let axes = spec.grid.map { "\($0.values.count)" } + (spec.random.isEmpty ? [] : ["\(spec.randomSamples) samples"])
        + (spec.seeds.isEmpty ? [] : ["\(spec.seeds.count) seeds"])
      throw SweepSpecError(
        "\(path): the sweep has \(count.map { "\($0)" } ?? "more than \(Int.max)") trials (\(axes.joined(separator: " × "))); at most \(maxTrials): "
          + "sweep fewer keys or values, or split it into several sweeps")
    }
    switch (trainer, fields["landmarks_run"], fields["landmarks_sweep"]) {
    case (.landmarks, nil, nil): break
    case (.landmarks, let n?, _), (.landmarks, _, let n?):
      throw p.error(n, "landmarks_run / landmarks_sweep are for trainer: dynamics")
    case (.dynamics, let r?, nil):
      guard let id = Int64(try p.string(r, "landmarks_run")), id > 0 else { throw p.error(r, "landmarks_run must be a run id") }
      spec.landmarks = SweepSpec.LandmarkSource.run(id)
    case (.dynamics, nil, let s?):
      spec.landmarks = SweepSpec.LandmarkSource.sweep(try p.string(s, "landmarks_sweep"))
    case (.dynamics, _?, _?):
      throw SweepSpecError("\(path): give landmarks_run or landmarks_sweep, not both")
    case (.dynamics, nil, nil):
      throw SweepSpecError("\(path): a dynamics sweep needs landmarks_run: ID or landmarks_sweep: NAME to build on")
    }
    return spec
  }
}

/// Turns spec nodes into override texts, with errors that name the file, line and key.
struct SpecReader {
  let path: String

  func error(_ n: Node?, _ message: String) -> SweepSpecError {
    SweepSpecError("\(path)\(n.map(ConfigLoader.mark) ?? ""): \(message)")
  }

  func string(_ n: Node, _ key: String) throws -> String {
    guard let s = n.scalar?.string else { throw error(n, "\(key) must be a single value") }
    return s
  }

  /// The config key `k` names (an unknown key names the nearest one, a removed key what
  /// replaced it), with the spec's file and line.
  func configKey(_ k: Node, section: String) throws -> ConfigKey {
    guard let name = k.string else { throw error(k, "a config key must be a string") }
    do {
      return try ConfigLoader.known(name, at: section)
    } catch let e as ConfigError {
      throw error(k, e.description)
    }
  }

  /// One value, typed and range-checked as its key's reader will get it.
  func typedValue(_ v: Node, key: ConfigKey, section: String) throws -> ConfigValue {
    let raw: RawConfigValue
    if let s = v.scalar {
      raw = .scalar(s.string, isNull: false)
    } else if let seq = v.sequence {
      raw = .list(
        try seq.map { item -> String in
          guard let s = item.scalar else { throw error(item, "\(section).\(key.name): nested lists are not values") }
          return s.string
        })
    } else {
      throw error(v, "\(section).\(key.name): expected a value, got a mapping")
    }
    return try typed(raw, key: key, at: v, section: section)
  }

  /// `raw` as `key`'s typed value; a bad one names the spec's line, the section and the key.
  func typed(_ raw: RawConfigValue, key: ConfigKey, at n: Node, section: String) throws -> ConfigValue {
    var scratch = ExperimentConfig()
    do { try key.assign(raw, to: &scratch) } catch { throw self.error(n, "\(section): \(error)") }
    return key.get(scratch)
  }

  /// A drawn or stepped number as `key`'s value (12 significant digits, so a range stepping by
  /// 0.1 gives 0.3, not 0.30000000000000004).
  func number(_ v: Double, key: ConfigKey, at n: Node, section: String) throws -> ConfigValue {
    try typed(.scalar(overrideText(v), isNull: false), key: key, at: n, section: section)
  }

  func numbers(_ n: Node, _ what: String, count: ClosedRange<Int>) throws -> [Double] {
    guard let seq = n.sequence, count.contains(seq.count) else {
      throw error(n, "\(what) takes a list of \(count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound)-\(count.upperBound)") numbers")
    }
    return try seq.map { item in
      guard let t = item.scalar?.string, let v = Double(t.replacingOccurrences(of: "_", with: "")), v.isFinite else {
        throw error(item, "\(what): '\(item.scalar?.string ?? "?")' is not a number")
      }
      return v
    }
  }

  /// A grid axis: a non-empty list, `{range: [lo, hi(, step)]}` or `{log_range: [lo, hi, n]}`.
  func gridValues(_ v: Node, key k: ConfigKey) throws -> [ConfigValue] {
    let key = k.name
    if let seq = v.sequence {
      if seq.count == 0 { throw error(v, "grid \(key): empty list") }
      return try seq.map { try typedValue($0, key: k, section: "grid") }
    }
    guard let m = v.mapping, m.count == 1, let (kind, arg) = m.first.map({ ($0.key.string ?? "", $0.value) }) else {
      throw error(v, "\(key): expected a list of values, {range: [lo, hi, step]} or {log_range: [lo, hi, count]}")
    }
    switch kind {
    case "range":
      let a = try numbers(arg, "\(key).range", count: 2...3)
      let (lo, hi, step) = (a[0], a[1], a.count == 3 ? a[2] : 1)
      if lo > hi { throw error(arg, "\(key).range: low \(overrideText(lo)) > high \(overrideText(hi))") }
      if step <= 0 { throw error(arg, "\(key).range: step must be > 0, got \(overrideText(step))") }
      let count = ((hi - lo) / step + 1e-9).rounded(.down) + 1
      if !(count <= Double(SweepSpec.maxTrials)) {
        throw error(arg, "\(key).range gives \(overrideText(count)) values; at most \(SweepSpec.maxTrials)")
      }
      let n = Int(count)
      return try (0..<n).map { try number(lo + Double($0) * step, key: k, at: arg, section: "grid") }
    case "log_range":
      let a = try numbers(arg, "\(key).log_range", count: 3...3)
      let (lo, hi) = (a[0], a[1])
      guard let n = Int(exactly: a[2]), n >= 1 else { throw error(arg, "\(key).log_range: count must be an integer >= 1") }
      if n > SweepSpec.maxTrials { throw error(arg, "\(key).log_range gives \(n) values; at most \(SweepSpec.maxTrials)") }
      if lo <= 0 { throw error(arg, "\(key).log_range: low must be > 0, got \(overrideText(lo))") }
      if lo > hi { throw error(arg, "\(key).log_range: low \(overrideText(lo)) > high \(overrideText(hi))") }
      if n == 1 { return [try number(lo, key: k, at: arg, section: "grid")] }
      return try (0..<n).map {
        try number(exp(log(lo) + (log(hi) - log(lo)) * Double($0) / Double(n - 1)), key: k, at: arg, section: "grid")
      }
    default:
      throw error(m.first!.key, "\(key): unknown range kind '\(kind)' (range or log_range)")
    }
  }

  func random(_ r: Node, into spec: inout SweepSpec) throws {
    guard let m = r.mapping else { throw error(r, "random must be a mapping with samples, seed and keys") }
    var keysNode: Node?
    for (k, v) in m {
      switch k.string ?? "" {
      case "samples":
        guard let n = Int(try string(v, "random.samples")), n >= 1 else { throw error(v, "random.samples must be an integer >= 1") }
        if n > SweepSpec.maxTrials { throw error(v, "random.samples is \(n); at most \(SweepSpec.maxTrials)") }
        spec.randomSamples = n
      case "seed":
        guard let s = UInt64(try string(v, "random.seed")) else { throw error(v, "random.seed must be an integer >= 0") }
        spec.randomSeed = s
      case "keys": keysNode = v
      default: throw error(k, "unknown random key '\(k.string ?? "")' (samples, seed, keys)")
      }
    }
    guard let kn = keysNode, let keys = kn.mapping, keys.count > 0 else { throw error(r, "random.keys is missing or empty") }
    if spec.randomSamples == 0 { throw error(r, "random.samples is missing") }
    for (k, v) in keys {
      let configKey = try configKey(k, section: "random.keys")
      let key = configKey.name
      spec.marks[key] = ConfigLoader.mark(k)
      guard let dm = v.mapping, dm.count == 1, let (kind, arg) = dm.first.map({ ($0.key.string ?? "", $0.value) }) else {
        throw error(v, "random \(key): expected {uniform|log_uniform|int_uniform: [lo, hi]} or {choice: [...]}")
      }
      let d: SweepSpec.Distribution
      switch kind {
      case "choice":
        guard let seq = arg.sequence, seq.count > 0 else { throw error(arg, "random \(key).choice: empty list") }
        d = .choice(try seq.map { try typedValue($0, key: configKey, section: "random") })
      case "uniform", "log_uniform", "int_uniform":
        let a = try numbers(arg, "random \(key).\(kind)", count: 2...2)
        if a[0] > a[1] { throw error(arg, "random \(key).\(kind): low \(overrideText(a[0])) > high \(overrideText(a[1]))") }
        if kind == "uniform" {
          d = .uniform(a[0], a[1])
        } else if kind == "log_uniform" {
          if a[0] <= 0 { throw error(arg, "random \(key).log_uniform: low must be > 0, got \(overrideText(a[0]))") }
          d = .logUniform(a[0], a[1])
        } else {
          guard let lo = Int(exactly: a[0]), let hi = Int(exactly: a[1]) else { throw error(arg, "random \(key).int_uniform: bounds must be integers") }
          d = .intUniform(lo, hi)
        }
      default:
        throw error(dm.first!.key, "random \(key): unknown distribution '\(kind)' (uniform, log_uniform, int_uniform, choice)")
      }
      spec.random.append((key, d))
      // A draw outside the key's range fails when the spec is read, naming this line.
      switch d {
      case .uniform(let lo, let hi), .logUniform(let lo, let hi):
        for x in [lo, hi] { _ = try number(x, key: configKey, at: arg, section: "random") }
      case .intUniform(let lo, let hi):
        for x in [lo, hi] { _ = try typed(.scalar(String(x), isNull: false), key: configKey, at: arg, section: "random") }
      case .choice: break
      }
    }
  }

  func resolveFile(_ name: String, _ n: Node) throws -> String {
    let fm = FileManager.default
    let beside = (Paths.parentFolder(of: path) as NSString).appendingPathComponent(name)
    for c in [name.hasPrefix("/") ? name : beside, name] where fm.fileExists(atPath: c) { return c }
    throw error(n, "base config '\(name)' not found (looked beside the spec: \(beside), and in the current folder)")
  }
}

/// A number as override text: integers without a fraction, others to 12 significant digits
/// (so a range stepping by 0.1 gives 0.3, not 0.30000000000000004).
func overrideText(_ v: Double) -> String {
  if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
  return String(format: "%.12g", v)
}
