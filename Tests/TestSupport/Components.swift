// Real components the tests check against: a PostgreSQL server, a Slurm cluster, headless
// Chromium, a python3 with h5py. Outside CI a missing one is a skip whose reason names it (and
// scripts/run-tests.sh's summary line lists every skip with its reason); with CI=true it fails
// the test with the same reason, so CI cannot go green without the real thing.
import Foundation
import InteropPython
import XCTest

public enum Component: String, Sendable {
  case postgres = "PostgreSQL"
  case slurm = "Slurm"
  case chromium = "Chromium"
  case h5py = "h5py"
  case imagenetWeights = "EfficientNet-Lite0 ImageNet weights"
}

/// Thrown under CI when a component is missing: XCTest records it as a failure with this text.
public struct ComponentMissing: Error, CustomStringConvertible {
  public let description: String
  public init(description: String) { self.description = description }
}

/// True when the environment says this is a CI run (`CI=true`, as CI services set it, or `CI=1`).
public var isCI: Bool {
  let v = (ProcessInfo.processInfo.environment["CI"] ?? "").lowercased()
  return v == "true" || v == "1" || v == "yes"
}

/// The error to throw when `component` is missing: a failure under CI, else a skip. Both say
/// "<component> missing: <reason>".
public func componentMissing(_ component: Component, _ reason: String) -> Error {
  if isCI {
    return ComponentMissing(
      description: "\(component.rawValue) missing under CI=true (it must run here): \(reason)")
  }
  return XCTSkip("\(component.rawValue) missing: \(reason)")
}

/// Throws `componentMissing(component, reason)` when `reason` is non-nil.
public func require(_ component: Component, missing reason: String?) throws {
  if let reason { throw componentMissing(component, reason) }
}

// MARK: - the components

/// Headless Chromium's executable, or a failure/skip naming where it was looked for.
public func requireChromium() throws -> String {
  let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
  if let found = candidates.first(where: FileManager.default.isExecutableFile) { return found }
  throw componentMissing(
    .chromium,
    "no executable at \(candidates.joined(separator: " or ")) (make test installs it: apt-get install -y chromium)")
}

/// Fails/skips unless a python3 with h5py and numpy exists (scripts/setup-deps.sh installs them).
public func requireH5py() throws {
  try require(.h5py, missing: InteropPython.executable == nil ? InteropPython.missingReason : nil)
}

/// `$LMLAB_TEST_POSTGRES`, the server the registry tests use, or nil.
public var testPostgresURL: String? {
  let v = ProcessInfo.processInfo.environment["LMLAB_TEST_POSTGRES"] ?? ""
  return v.isEmpty ? nil : v
}

/// Why there is no PostgreSQL server for the tests (nil when `$LMLAB_TEST_POSTGRES` names one).
/// scripts/run-tests.sh puts what `scripts/dev-cluster.sh status` said in `$LMLAB_POSTGRES_STATUS`.
public var postgresMissingReason: String? {
  guard testPostgresURL == nil else { return nil }
  let status = ProcessInfo.processInfo.environment["LMLAB_POSTGRES_STATUS"] ?? ""
  return "LMLAB_TEST_POSTGRES is not set"
    + (status.isEmpty ? "" : " (scripts/dev-cluster.sh status: \(status))")
    + "; start the server with `sudo bash scripts/dev-cluster.sh start --only postgres`"
    + " and export what `bash scripts/dev-cluster.sh env --only postgres` prints"
}
