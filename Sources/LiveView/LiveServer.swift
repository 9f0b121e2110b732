// LiveServer: `lmlab ui` over Hummingbird — binds (127.0.0.1 unless told otherwise; another
// address needs a token), hands each request to LiveSite on a dispatch queue (registry reads
// block, and must not hold up the server's event loop or Swift's few cooperative threads), and
// serves until SIGINT or SIGTERM.
import Dispatch
import Foundation
import Hummingbird
import Logging
import Workbench

public struct LiveServerOptions: Sendable {
  public var registry: String
  public var host = "127.0.0.1"
  /// 0: any free port (the URL printed says which).
  public var port = 8080
  /// nil: none asked on loopback; generated when the host is not loopback.
  public var token: String?
  public init(registry: String) { self.registry = registry }
}

public enum LiveServerError: Error, CustomStringConvertible {
  case badOption(String)
  public var description: String {
    switch self { case .badOption(let s): return s }
  }
}

/// HTTPTypes' HTTPField (Hummingbird re-exports HTTPFields only).
typealias Field = HTTPFields.Element

public enum LiveServer {
  /// The token the server will ask for: the one given, or a new one when the host is not
  /// loopback; nil on loopback without --token.
  public static func effectiveToken(_ o: LiveServerOptions) throws -> String? {
    if let t = o.token {
      guard t.count >= 16, t.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
        throw LiveServerError.badOption("--token: at least 16 letters, digits, '-' or '_'")
      }
      return t
    }
    return AccessGuard.isLoopback(o.host) ? nil : AccessGuard.newToken()
  }

  /// Serves until SIGINT/SIGTERM. `announce` gets the URL to open (with the token when one is
  /// asked) once the port is bound.
  public static func run(_ o: LiveServerOptions, announce: @escaping @Sendable (String) -> Void) async throws {
    guard (0...65535).contains(o.port) else { throw LiveServerError.badOption("--port \(o.port): not a port (0-65535)") }
    let token = try effectiveToken(o)
    let site = LiveSite(registry: LiveRegistry(location: o.registry), access: AccessGuard(token: token))
    let queue = DispatchQueue(label: "lmlab.ui.requests", attributes: .concurrent)
    let responder = CallbackResponder<BasicRequestContext> { request, _ in
      var collected: [String: String] = [:]
      for f in request.headers {
        let k = f.name.canonicalName
        collected[k] = collected[k].map { $0 + (k == "cookie" ? "; " : ", ") + f.value } ?? f.value
      }
      // HTTP/1.1's Host header arrives as the request's authority (swift-http-types).
      if collected["host"] == nil, let authority = request.head.authority { collected["host"] = authority }
      let headers = collected
      let method = request.method.rawValue
      let path = request.uri.path
      let query = request.uri.query
      let r: LiveResponse = await withCheckedContinuation { c in
        queue.async { c.resume(returning: site.respond(method: method, path: path, query: query, headers: headers)) }
      }
      var fields = HTTPFields()
      fields[.contentType] = r.contentType
      for (k, v) in r.headers { if let name = Field.Name(k) { fields.append(Field(name: name, value: v)) } }
      return Response(
        status: HTTPResponse.Status(code: r.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: r.body)))
    }
    var logger = Logger(label: "lmlab.ui")
    logger.logLevel = .warning
    let host = o.host
    let app = Application(
      responder: responder, configuration: ApplicationConfiguration(address: .hostname(host, port: o.port), serverName: "lmlab-ui"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? o.port
        let shownHost = host.contains(":") ? "[\(host)]" : host
        announce("http://\(shownHost):\(port)/runs" + (token.map { "?token=\($0)" } ?? ""))
      }, logger: logger)
    try await app.runService()
    site.registry.close()
  }
}
