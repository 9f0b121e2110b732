// Where the registry lives: `--registry PATH`, else $LMLAB_REGISTRY, else ./lmlab.sqlite.
// Re-exports the Registry module so the command line reaches it through Workbench only.
import Foundation
@_exported import Registry

public enum RegistryLocation {
  public static let defaultPath = "lmlab.sqlite"

  public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
    -> String
  {
    if let f = flag, !f.isEmpty { return f }
    if let e = environment["LMLAB_REGISTRY"], !e.isEmpty { return e }
    return defaultPath
  }

  /// Opens (creating if needed) the registry, with heartbeat settings from the environment.
  /// Opening also marks runs whose process died as interrupted.
  public static func open(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
    throws -> Registry
  {
    let path = resolve(flag: flag, environment: environment)
    let registry = try Registry(path: path, options: RegistryOptions.fromEnvironment(environment))
    if !registry.reapedOnOpen.isEmpty {
      LMLabLogging.logger("registry").notice(
        "marked interrupted (process gone): runs \(registry.reapedOnOpen.map(String.init).joined(separator: ", "))")
    }
    return registry
  }
}
