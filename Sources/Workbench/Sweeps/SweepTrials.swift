// SweepTrials: a spec expanded into its trials (grid points × random draws × seeds), each a
// full, validated config ready to queue. Everything here only reads: a spec whose trials do not
// all load (an out-of-range value, a landmark run that is not finished) queues nothing.
import ConfigSchema
import Foundation
import Registry
import TensorEngine

/// One trial: the swept assignments (typed values) and its resolved config.
public struct SweepTrial: Sendable {
  public var assignments: [(key: String, value: ConfigValue)]
  public var loaded: LoadedConfig
  public var label: String {
    assignments.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
  }
}

/// A spec with its trials and what they build on: everything `queue` writes.
public struct SweepPlan: Sendable {
  public var spec: SweepSpec
  public var trials: [SweepTrial]
  /// The landmark run a dynamics sweep's trials train on.
  public var landmarksRun: Int64?

  public var runKind: String {
    spec.trainer == .landmarks ? LandmarkTraining.runKind : DynamicsTraining.runKind
  }

  /// The registry rows: one queued run per trial, named `SWEEP[key=value,...]`.
  public func runSpecs() -> [RunSpec] {
    trials.map {
      $0.loaded.runSpec(
        name: "\(spec.name)[\($0.label)]", kind: runKind, experiment: spec.name, parentId: landmarksRun,
        commandLine: "lmlab sweep \(spec.path)")
    }
  }

  public var record: SweepRecord {
    SweepRecord(
      trainer: spec.trainer.rawValue, rankField: spec.rankField, rankGoal: spec.rankGoal, sweptKeys: spec.sweptKeys,
      specPath: spec.path, spec: spec.text, maxResumes: spec.maxResumes)
  }
}

extension SweepSpec {
  /// The swept assignments of every trial, in a fixed order: grid points (first key slowest),
  /// then `randomSamples` draws per point from a generator seeded by `random.seed`, then seeds.
  public func assignments() -> [[(key: String, value: ConfigValue)]] {
    var points: [[(key: String, value: ConfigValue)]] = [[]]
    for axis in grid {
      points = points.flatMap { p in axis.values.map { p + [(axis.key, $0)] } }
    }
    if !random.isEmpty {
      var rng = SeededRNG(seed: randomSeed)
      points = points.flatMap { p in
        (0..<randomSamples).map { _ in p + random.map { ($0.key, Self.draw($0.distribution, &rng)) } }
      }
    }
    if seeds.isEmpty { return points }
    return points.flatMap { p in seeds.map { p + [("seed", .int($0))] } }
  }

  /// A draw as a value (numbers to 12 significant digits, as the spec's ranges step them).
  static func draw(_ d: Distribution, _ rng: inout SeededRNG) -> ConfigValue {
    let u = Double(rng.next() >> 11) / Double(1 << 53)
    func number(_ v: Double) -> ConfigValue {
      let text = overrideText(v)
      return Int(text).map(ConfigValue.int) ?? .double(Double(text)!)
    }
    switch d {
    case .uniform(let lo, let hi): return number(lo + (hi - lo) * u)
    case .logUniform(let lo, let hi): return number(exp(log(lo) + (log(hi) - log(lo)) * u))
    case .intUniform(let lo, let hi): return .int(lo + min(hi - lo, Int(Double(hi - lo + 1) * u)))
    case .choice(let items): return items[min(items.count - 1, Int(Double(items.count) * u))]
    }
  }

  /// Expands and loads every trial. `registry` resolves what a dynamics sweep builds on
  /// (nil: there is no registry yet, which only a landmarks sweep can do without).
  public func plan(registry: Registry?) throws -> SweepPlan {
    let points = assignments()
    if points.isEmpty { throw SweepSpecError("\(path): the sweep has no trials") }
    var landmarksRun: Int64?
    if trainer == .dynamics {
      guard let registry else { throw SweepSpecError("\(path): a dynamics sweep needs the registry holding its landmark run") }
      landmarksRun = try resolveLandmarks(registry: registry)
    }
    // The base is loaded once; each trial sets its typed values on a copy.
    let baseConfig: LoadedConfig
    do {
      if let lr = landmarksRun {
        baseConfig = try DynamicsTraining.plan(landmarksRun: lr, file: base, overrides: [], registry: registry!).loaded
      } else {
        baseConfig = try ConfigLoader.load(file: base)
      }
    } catch {
      throw SweepSpecError("\(location(landmarksRun != nil ? "landmarks_run" : "base")): \(error)")
    }
    var trials: [SweepTrial] = []
    var seen: [String: String] = [:]
    for (i, a) in points.enumerated() {
      let label = a.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
      let trial = "trial \(i + 1) (\(label.isEmpty ? "base config" : label))"
      var loaded = baseConfig
      do {
        for (key, value) in fixed { try ConfigLoader.apply(key, value, at: "\(location(key)) (set)", to: &loaded.config) }
        for (key, value) in a { try ConfigLoader.apply(key, value, at: "\(location(key)), \(trial)", to: &loaded.config) }
        do { try ConfigLoader.validate(loaded.config, at: path) } catch ConfigError.badValue(let key, let value, let expected, _) {
          throw ConfigError.badValue(key: key, value: value, expected: expected, at: "\(location(key)), \(trial)")
        } catch ConfigError.inconsistent(let message, _) {
          // Name the spec's key the message is about, else the first of the trial's keys.
          let given = (a.map(\.key) + fixed.map(\.key)).filter { marks[$0] != nil }
          let key = given.first { message.hasPrefix($0 + " ") || message.contains(" \($0)") } ?? given.first
          throw ConfigError.inconsistent(message: message, at: "\(key.map(location) ?? path), \(trial)")
        }
        loaded.sources.append("\(path)" + (label.isEmpty ? "" : " [\(label)]"))
        if let lr = landmarksRun { loaded = try DynamicsTraining.plan(loaded, landmarksRun: lr, registry: registry!).loaded }
      } catch let e as ConfigError {
        throw SweepSpecError("\(e)")
      } catch {
        let key = a.map(\.key).first { marks[$0] != nil }
        throw SweepSpecError("\(key.map(location) ?? path), \(trial): \(error)")
      }
      // Two points giving one config (e.g. a grid value equal to the base) would be one run.
      if let other = seen[loaded.config.hash] {
        throw SweepSpecError("\(path): trials '\(other)' and '\(label)' have the same config")
      }
      seen[loaded.config.hash] = label
      trials.append(SweepTrial(assignments: a, loaded: loaded))
    }
    // A dataset folder that is missing or malformed fails here, not in every trial (dynamics
    // trials were checked by their plan; the synthetic set needs no checking).
    if trainer == .landmarks {
      var opened = Set<String>()
      for t in trials where !t.loaded.config.data.datasetPath.isEmpty && opened.insert(t.loaded.config.data.datasetPath).inserted {
        do { _ = try TrainSetup.dataset(t.loaded.config) } catch {
          // The folder comes from the spec's dataset_path, else from its base config.
          let at = marks["dataset_path"] != nil ? location("dataset_path") : marks["base"] != nil ? location("base") : path
          throw SweepSpecError("\(at): \(error)")
        }
      }
    }
    return SweepPlan(spec: self, trials: trials, landmarksRun: landmarksRun)
  }

  /// The finished landmark run the dynamics trials train on.
  func resolveLandmarks(registry: Registry) throws -> Int64 {
    switch landmarks {
    case .run(let id)?:
      do {
        _ = try DynamicsSetup.finishedRun(id, kind: LandmarkTraining.runKind, registry: registry, role: "landmarks_run")
      } catch {
        throw SweepSpecError("\(location("landmarks_run")): \(error)")
      }
      return id
    case .sweep(let text)?:
      let s: Sweep
      do { s = try registry.sweep(text) } catch { throw SweepSpecError("\(location("landmarks_sweep")): \(error)") }
      guard s.record.trainer == Trainer.landmarks.rawValue else {
        throw SweepSpecError("\(location("landmarks_sweep")): '\(text)' is a \(s.record.trainer) sweep")
      }
      let status = try SweepStatus.load(s, registry: registry)
      guard let best = status.best else {
        throw SweepSpecError("\(location("landmarks_sweep")): '\(s.name)' has no finished trial with \(s.record.rankField) yet")
      }
      return best.run.id
    case nil:
      throw SweepSpecError("\(path): a dynamics sweep needs landmarks_run or landmarks_sweep")
    }
  }
}
