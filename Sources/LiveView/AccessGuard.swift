// AccessGuard: who may ask. Only GET and HEAD exist (anything else is 405: no endpoint writes).
// With a token (required when the server listens on anything but loopback), a request must carry
// it: `?token=T` once (answered with a cookie and a redirect to the same URL without it), then
// the cookie, or an `Authorization: Bearer T` / `X-LMLab-Token: T` header; without it, 401.
import Foundation

public struct AccessGuard: Sendable {
  /// nil: no token asked (loopback without --token).
  public let token: String?
  public static let cookieName = "lmlab_token"

  public init(token: String?) { self.token = token }

  /// A token of 32 random hex digits (128 bits, from the system's generator).
  public static func newToken() -> String {
    var g = SystemRandomNumberGenerator()
    return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &g)) }.joined()
  }

  /// True for addresses only this machine can reach: localhost, ::1, or an IPv4 address 127.x.y.z
  /// (a hostname such as 127.example.org is not one).
  public static func isLoopback(_ host: String) -> Bool {
    if host == "localhost" || host == "::1" || host == "[::1]" { return true }
    let octets = host.split(separator: ".", omittingEmptySubsequences: false)
    return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
  }

  /// The host part of a Host header ("127.0.0.1:8080" → "127.0.0.1", "[::1]:80" → "[::1]").
  static func hostName(_ header: String) -> String {
    if header.hasPrefix("["), let end = header.firstIndex(of: "]") { return String(header[...end]) }
    return String(header.split(separator: ":", maxSplits: 1).first ?? "")
  }

  public enum Verdict: Equatable {
    case allowed
    /// Allowed, and the token came in the query: set the cookie and redirect to `location`.
    case setCookie(location: String)
    case methodNotAllowed
    case unauthorized
  }

  /// `query`: the raw query string; `headers` keyed by lowercased name.
  public func check(method: String, path: String, query: String?, headers: [String: String]) -> Verdict {
    guard method == "GET" || method == "HEAD" else { return .methodNotAllowed }
    // Without a token only loopback names may be asked for: a page elsewhere whose domain is
    // rebound to 127.0.0.1 sends its own name as Host (DNS rebinding) and is refused.
    guard let token else {
      guard let host = headers["host"], AccessGuard.isLoopback(AccessGuard.hostName(host)) else { return .unauthorized }
      return .allowed
    }
    if let auth = headers["authorization"], auth.hasPrefix("Bearer "), same(String(auth.dropFirst(7)), token) { return .allowed }
    if let h = headers["x-lmlab-token"], same(h, token) { return .allowed }
    if let cookies = headers["cookie"] {
      for c in cookies.split(separator: ";") {
        let kv = c.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
        if kv.count == 2, kv[0] == AccessGuard.cookieName, same(kv[1], token) { return .allowed }
      }
    }
    if let q = query {
      var rest: [String] = []
      var found = false
      for part in q.split(separator: "&") {
        if part.hasPrefix("token="), same(PathGuard.percentDecoded(String(part.dropFirst(6))) ?? "", token) {
          found = true
        } else {
          rest.append(String(part))
        }
      }
      let here = AccessGuard.isSameOriginPath(path) ? path : "/"
      if found { return .setCookie(location: here + (rest.isEmpty ? "" : "?" + rest.joined(separator: "&"))) }
    }
    return .unauthorized
  }

  /// True when a browser reads `path` as a path on this server: one '/' first, then neither
  /// '/' nor '\' (browsers read "/\host" as "//host", another site), no '\' at all, no
  /// spaces or control characters (browsers drop tabs and newlines: "/\t/host" is "//host"),
  /// also once percent-decoded.
  static func isSameOriginPath(_ path: String) -> Bool {
    func plain(_ p: String) -> Bool {
      guard p.hasPrefix("/"), !p.hasPrefix("//") else { return false }
      return !p.unicodeScalars.contains { $0 == "\\" || $0.value < 0x20 || $0.value == 0x7f }
    }
    // Raw, a space is not a path character either; decoded, "%20" is a fine one.
    guard plain(path), !path.contains(" "), let decoded = PathGuard.percentDecoded(path) else { return false }
    return plain(decoded)
  }

  /// Constant-time comparison (the time taken does not tell how much of a guess was right).
  func same(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var d: UInt8 = 0
    for i in x.indices { d |= x[i] ^ y[i] }
    return d == 0
  }

  public var cookieHeader: String {
    "\(AccessGuard.cookieName)=\(token ?? ""); Path=/; HttpOnly; SameSite=Strict"
  }
}
