// LiveRegistry: the live view's one handle on the registry, opened to look only (no writes, no
// migrations, no runs marked interrupted). A registry that cannot be read now — locked, being
// migrated, newer than this build, a PostgreSQL server that is down — is `LiveUnavailable` (the
// server answers 503 with the reason), and the handle is dropped so the next request opens it
// again: the view recovers by itself when the registry is back.
import Foundation
import Registry

/// The registry cannot be read now; `reason` is the registry's own message.
public struct LiveUnavailable: Error, CustomStringConvertible {
  public let registry: String
  public let reason: String
  public var description: String { reason }
}

/// What was asked for is not there (a run id, a series, a file).
public struct LiveNotFound: Error, CustomStringConvertible {
  public let what: String
  public init(what: String) { self.what = what }
  public var description: String { what }
}

public final class LiveRegistry: @unchecked Sendable {
  /// The registry as given (a file path or a PostgreSQL URL; shown with its password masked).
  public let location: String
  /// How long a read waits for a lock before the page says the registry is locked.
  let busyTimeout: TimeInterval
  private let lock = NSLock()
  private var handle: Registry?

  public init(location: String, busyTimeout: TimeInterval = 2) {
    self.location = location
    self.busyTimeout = busyTimeout
  }

  /// Where the registry is, for pages (a PostgreSQL password masked).
  public var shownLocation: String {
    guard Registry.isPostgresURL(location) else { return location }
    return location.replacingOccurrences(of: "://([^:/@]+):[^@]*@", with: "://$1:***@", options: .regularExpression)
  }

  /// Runs `body` on the open handle (opening it if needed). Not-found errors pass through; any
  /// other registry failure drops the handle and becomes `LiveUnavailable`.
  public func use<T>(_ body: (Registry) throws -> T) throws -> T {
    let registry: Registry
    do { registry = try open() } catch { throw LiveUnavailable(registry: shownLocation, reason: "\(error)") }
    do {
      return try body(registry)
    } catch let e as RegistryError {
      if case .noSuchRun = e { throw LiveNotFound(what: "\(e)") }
      drop(registry)
      throw LiveUnavailable(registry: shownLocation, reason: "\(e)")
    } catch let e as LiveNotFound {
      throw e
    } catch let e as LiveQueryError {
      throw e
    } catch let e as OptionError {
      throw e
    } catch {
      drop(registry)
      throw LiveUnavailable(registry: shownLocation, reason: "\(error)")
    }
  }

  private func open() throws -> Registry {
    lock.lock()
    defer { lock.unlock() }
    if let h = handle { return h }
    let h = try Registry(path: location, options: .lookingOnly(busyTimeout: busyTimeout))
    handle = h
    return h
  }

  private func drop(_ r: Registry) {
    lock.lock()
    if handle === r { handle = nil }
    lock.unlock()
    try? r.close()
  }

  public func close() {
    lock.lock()
    let h = handle
    handle = nil
    lock.unlock()
    try? h?.close()
  }
}
