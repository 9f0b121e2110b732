// LiveResponse: what a route answers, independent of the HTTP library (the server turns it into
// a Hummingbird response; tests and the bench call the site directly).
import Foundation

public struct LiveResponse: Sendable {
  public var status: Int
  public var contentType: String
  public var body: Data
  public var headers: [(String, String)] = []

  public init(status: Int, contentType: String, body: Data, headers: [(String, String)] = []) {
    (self.status, self.contentType, self.body, self.headers) = (status, contentType, body, headers)
  }

  public var text: String { String(decoding: body, as: UTF8.self) }

  static func html(_ s: String, status: Int = 200) -> LiveResponse {
    LiveResponse(status: status, contentType: "text/html; charset=utf-8", body: Data(s.utf8))
  }
  static func json(_ s: String) -> LiveResponse {
    LiveResponse(status: 200, contentType: "application/json", body: Data(s.utf8))
  }
  static func csv(_ s: String, filename: String) -> LiveResponse {
    LiveResponse(
      status: 200, contentType: "text/csv; charset=utf-8", body: Data(s.utf8),
      headers: [("Content-Disposition", "inline; filename=\"\(filename)\"")])
  }
  static func redirect(_ location: String) -> LiveResponse {
    LiveResponse(status: 303, contentType: "text/plain", body: Data(), headers: [("Location", location)])
  }

  /// Content types of files served as they are (anything else is application/octet-stream).
  static let types: [String: String] = [
    "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css", "js": "text/javascript",
    "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "webp": "image/webp", "csv": "text/csv; charset=utf-8", "txt": "text/plain; charset=utf-8", "json": "application/json",
    "yaml": "text/plain; charset=utf-8", "yml": "text/plain; charset=utf-8", "mp4": "video/mp4",
  ]

  static func type(of path: String) -> String {
    types[(path as NSString).pathExtension.lowercased()] ?? "application/octet-stream"
  }
}
