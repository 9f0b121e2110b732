// What the live-view tests share: `lmlab ui` started as a real process on a free loopback port
// (port 0; the URL it prints says which), and a raw HTTP/1.1 client that sends a path exactly as
// written (no client normalizes `..` or decodes `%2e` before the server sees it).
import Foundation
import TestSupport
import XCTest

/// A running `lmlab ui`; `stop()` sends SIGTERM and checks it exits cleanly.
final class UIServer {
  let process: Process
  let output: LineReader
  /// "http://127.0.0.1:PORT"
  let base: String
  let port: Int
  /// The URL it printed (with `?token=` when one is asked).
  let printedURL: String

  init(registry: String, extra: [String] = [], cwd: String) throws {
    process = Process()
    process.executableURL = URL(fileURLWithPath: try builtLMLab())
    process.arguments = ["ui", "--registry", registry, "--port", "0"] + extra
    process.currentDirectoryURL = URL(fileURLWithPath: cwd)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    output = LineReader(pipe)
    var found: String?
    while found == nil, let line = try output.nextLine(within: 30, "lmlab ui start") {
      if let r = line.range(of: "http://") { found = String(line[r.lowerBound...]) }
    }
    guard let url = found, let comps = URLComponents(string: url), let port = comps.port else {
      throw ProcessFailure("lmlab ui printed no URL: \(output.text)")
    }
    printedURL = url
    self.port = port
    base = "http://127.0.0.1:\(port)"
  }

  func stop(file: StaticString = #filePath, line: UInt = #line) throws {
    guard process.isRunning else { return XCTFail("lmlab ui died: \(exitDescription(process))\n\(output.text)", file: file, line: line) }
    process.terminate()
    try waitForExit(process, within: 15, "lmlab ui after SIGTERM")
    XCTAssertEqual(process.terminationReason, .exit, "lmlab ui ends by itself on SIGTERM", file: file, line: line)
  }

  deinit { if process.isRunning { process.terminate() } }
}

struct HTTPReply {
  var status: Int
  var headers: [String: String]
  var body: String
}

/// Sends `method path` with `headers` to 127.0.0.1:`port` and reads the whole reply.
func rawHTTP(port: Int, _ method: String, _ path: String, headers: [String: String] = [:], timeout: Double = 20) throws -> HTTPReply {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw ProcessFailure("socket: \(errno)") }
  defer { close(fd) }
  var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_port = in_port_t(UInt16(port).bigEndian)
  addr.sin_addr.s_addr = inet_addr("127.0.0.1")
  let ok = withUnsafePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
  }
  guard ok == 0 else { throw ProcessFailure("connect to port \(port): errno \(errno)") }
  // `headers["Host"]` replaces the loopback Host (a rebound domain's name, in a test).
  var request = "\(method) \(path) HTTP/1.1\r\nHost: \(headers["Host"] ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
  for (k, v) in headers where k != "Host" { request += "\(k): \(v)\r\n" }
  if method == "POST" || method == "PUT" { request += "Content-Length: 2\r\n\r\n{}" } else { request += "\r\n" }
  let bytes = Array(request.utf8)
  _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
  var data = Data()
  var buf = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = recv(fd, &buf, buf.count, 0)
    if n <= 0 { break }
    data.append(contentsOf: buf[0..<n])
  }
  let text = String(decoding: data, as: UTF8.self)
  guard let split = text.range(of: "\r\n\r\n") else { throw ProcessFailure("no HTTP reply to \(method) \(path): \(text)") }
  let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
  let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? -1
  var h: [String: String] = [:]
  for l in head.dropFirst() {
    if let c = l.firstIndex(of: ":") { h[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces) }
  }
  var body = String(text[split.upperBound...])
  if h["transfer-encoding"] == "chunked" { body = dechunk(body) }
  return HTTPReply(status: status, headers: h, body: body)
}

func dechunk(_ s: String) -> String {
  var out = ""
  var rest = Substring(s)
  while let nl = rest.range(of: "\r\n"), let n = Int(rest[..<nl.lowerBound], radix: 16), n > 0 {
    let start = nl.upperBound
    let bytes = Array(rest[start...].utf8)
    out += String(decoding: bytes.prefix(n), as: UTF8.self)
    rest = Substring(String(decoding: bytes.dropFirst(n + 2), as: UTF8.self))
  }
  return out
}

/// A temporary folder removed at the end of the test.
func temporaryFolder(_ test: XCTestCase) throws -> String {
  let dir = NSTemporaryDirectory() + "lmlab-ui-test-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
  return (dir as NSString).resolvingSymlinksInPath
}
