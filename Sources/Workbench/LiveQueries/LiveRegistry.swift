// LiveRegistry: the live view's one handle on the registry, opened to look only (no writes, no
// migrations, no runs marked interrupted). A registry that cannot be read now — locked, being
// migrated, newer than this build, a PostgreSQL server that is down — is `LiveUnavailable` (the
// server answers 503 with the reason), and the handle is dropped so the next request opens it
// again: the view recovers by itself when the registry is back. A dropped handle is closed when
// the last request using it is done, never under one.
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
  /// The handle new requests use; nil until the first one or after a failure.
  private var current: Lease?

  /// One opened handle and the requests using it. A failed request retires it (the next
  /// request opens a new one) and it is closed when its last user is done: closing it under a
  /// request still reading made that request fail too (a spurious 503).
  private final class Lease {
    let registry: Registry
    var users = 0
    var retired = false
    init(_ registry: Registry) { self.registry = registry }
  }

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
    let lease: Lease
    do { lease = try open() } catch { throw LiveUnavailable(registry: shownLocation, reason: "\(error)") }
    var failed = false
    defer { release(lease, failed: failed) }
    do {
      return try body(lease.registry)
    } catch let e as RegistryError {
      if case .noSuchRun = e { throw LiveNotFound(what: "\(e)") }
      failed = true
      throw LiveUnavailable(registry: shownLocation, reason: "\(e)")
    } catch let e as LiveNotFound {
      throw e
    } catch let e as LiveQueryError {
      throw e
    } catch let e as OptionError {
      throw e
    } catch {
      failed = true
      throw LiveUnavailable(registry: shownLocation, reason: "\(error)")
    }
  }

  /// The current handle (opened if needed), counted as used until `release`.
  private func open() throws -> Lease {
    lock.lock()
    defer { lock.unlock() }
    if current == nil { current = Lease(try Registry(path: location, options: .lookingOnly(busyTimeout: busyTimeout))) }
    current!.users += 1
    return current!
  }

  /// Done with `lease`; a failure retires it. Closed once retired and unused.
  private func release(_ lease: Lease, failed: Bool) {
    lock.lock()
    lease.users -= 1
    if failed {
      lease.retired = true
      if current === lease { current = nil }
    }
    let close = lease.retired && lease.users == 0
    lock.unlock()
    if close { try? lease.registry.close() }
  }

  public func close() {
    lock.lock()
    let lease = current
    current = nil
    lease?.retired = true
    let close = lease.map { $0.users == 0 } ?? false
    lock.unlock()
    if close { try? lease?.registry.close() }
  }
}
