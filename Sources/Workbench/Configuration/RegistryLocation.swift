// Where the registry lives: `--registry PATH`, else $LMLAB_REGISTRY, else ./lmlab.sqlite, and
// the handle the command line holds: it opens the registry here and passes it back to
// Workbench's functions (RegistryAccess/ and the pipelines), calling none of its methods itself.
import Foundation
import Registry

/// An open registry, as the command line holds it.
public typealias RunRegistry = Registry

public enum RegistryLocation {
  public static let defaultPath = "lmlab.sqlite"

  public static func resolve(
    flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> String
  {
    if let f = flag, !f.isEmpty { return f }
    if let e = environment["LMLAB_REGISTRY"], !e.isEmpty { return e }
    return defaultPath
  }

  /// Opens (creating if needed) the registry, with heartbeat settings from the environment.
  /// Opening also marks runs whose process died as interrupted.
  /// With `mustExist`, a missing file is an error instead of a new empty registry (for
  /// commands that only look at what is recorded).
  public static func open(
    flag: String?, mustExist: Bool = false,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> Registry {
    let path = resolve(flag: flag, environment: environment)
    var options = RegistryOptions.fromEnvironment(environment)
    options.createIfMissing = !mustExist
    let registry = try Registry(path: path, options: options)
    if !registry.reapedOnOpen.isEmpty {
      LMLabLogging.logger("registry").notice(
        "marked interrupted (process gone): runs \(registry.reapedOnOpen.map(String.init).joined(separator: ", "))"
      )
    }
    return registry
  }
}
