// DemoRegistry: where `lmlab demo` records its runs. By default inside `--out`
// (`<out>/lmlab.sqlite`, run folders in `<out>/runs-lmlab/`), so a demo writes nothing outside
// its output folder and a demo with a new `--out` starts afresh there instead of reusing the
// stages (and frame folders) of a demo elsewhere. `--registry` or $LMLAB_REGISTRY choose another
// registry, as for every command: then stages finished there are reused.
import Foundation
import Registry
import SafeIO

public enum DemoRegistry {
  /// The registry file's name inside `--out`.
  public static let fileName = "lmlab.sqlite"

  /// `flag`, else $LMLAB_REGISTRY, else `<out>/lmlab.sqlite`.
  public static func location(
    out: String, flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> String
  {
    if let f = flag, !f.isEmpty { return f }
    if let e = environment["LMLAB_REGISTRY"], !e.isEmpty { return e }
    return (out as NSString).appendingPathComponent(fileName)
  }

  /// Opens (creating) the demo's registry. When it goes inside `out`, `out` is claimed for the demo
  /// first (created and marked, or refused when it holds files the demo did not write), so the
  /// registry is the demo's own file there.
  public static func open(
    _ r: DemoRequest, flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> Registry {
    let path = location(out: r.out, flag: flag, environment: environment)
    _ = try DemoPipeline.configs(r)  // a bad config or --set is refused before anything is created
    if path == (r.out as NSString).appendingPathComponent(fileName) {
      try OutputFolder.claim(r.out, command: "demo", force: r.force)
    }
    return try RegistryLocation.open(flag: path, environment: environment)
  }
}
