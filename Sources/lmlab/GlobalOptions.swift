// Options shared by every command that touches the registry: `--registry PATH`, `--verbose`.
import ArgumentParser
import Foundation
import Workbench

struct GlobalOptions: ParsableArguments {
  @Option(name: .long, help: "Registry: a SQLite file or a postgres://user[:password]@host[:port]/db[?schema=S] URL (default: $LMLAB_REGISTRY, else ./lmlab.sqlite).")
  var registry: String?

  @Flag(name: [.short, .long], help: "Log debug details to standard error.")
  var verbose = false

  var registryPath: String { RegistryLocation.resolve(flag: registry) }

  /// Sets up logging, then opens the registry. Commands that only read what is recorded
  /// pass `mustExist` so a mistyped path is an error, not a new empty file.
  func openRegistry(mustExist: Bool = true) throws -> RunRegistry {
    LMLabLogging.bootstrap(verbose: verbose)
    return try RegistryLocation.open(flag: registry, mustExist: mustExist)
  }
}
