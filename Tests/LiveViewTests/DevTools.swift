// A headless Chromium driven over the DevTools protocol: one page, `navigate` and `evaluate`
// (JavaScript run in the page, its value returned as text). The websocket is a minimal client
// on a raw socket (text frames, masked as clients must; the replies the test waits for).
import Foundation
import TestSupport
import XCTest

final class DevToolsPage {
  let chromium: Process
  let profile: String
  private var fd: Int32 = -1
  private var nextID = 1
  private var pending: [UInt8] = []

  init(chromiumPath: String, profile: String) throws {
    self.profile = profile
    chromium = Process()
    chromium.executableURL = URL(fileURLWithPath: chromiumPath)
    chromium.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
      "--remote-allow-origins=*", "--user-data-dir=\(profile)", "--window-size=1400,1000", "about:blank",
    ]
    chromium.standardOutput = FileHandle.nullDevice
    chromium.standardError = FileHandle.nullDevice
    try chromium.run()
    // Chromium writes the port it took into its profile.
    let portFile = profile + "/DevToolsActivePort"
    let deadline = Date().addingTimeInterval(30)
    var port = 0
    while port == 0 {
      if let s = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(s.split(separator: "\n").first ?? "") { port = p }
      if Date() > deadline { throw ProcessFailure("chromium wrote no DevToolsActivePort within 30 s") }
      Thread.sleep(forTimeInterval: 0.1)
    }
    var wsPath: String?
    while wsPath == nil {
      let list = try rawHTTP(port: port, "GET", "/json/list")
      if let data = list.body.data(using: .utf8),
        let targets = try JSONSerialization.jsonObject(with: data) as? [[String: Any]],
        let page = targets.first(where: { $0["type"] as? String == "page" }),
        let ws = page["webSocketDebuggerUrl"] as? String, let url = URL(string: ws)
      {
        wsPath = url.path
      }
      if wsPath == nil {
        if Date() > deadline { throw ProcessFailure("chromium lists no page: \(list.body)") }
        Thread.sleep(forTimeInterval: 0.2)
      }
    }
    try connect(port: port, path: wsPath!)
  }

  deinit {
    if fd >= 0 { close(fd) }
    if chromium.isRunning {
      chromium.terminate()
      chromium.waitUntilExit()
    }
  }

  func navigate(_ url: String) throws {
    _ = try call("Page.navigate", ["url": url])
  }

  /// Moves the mouse to (x, y) in CSS pixels of the viewport.
  func moveMouse(x: Double, y: Double) throws {
    _ = try call("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": x, "y": y])
  }

  /// The value of `expression` in the page, as text ("" for undefined/null).
  func evaluate(_ expression: String) throws -> String {
    let reply = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true])
    guard let result = (reply["result"] as? [String: Any])?["result"] as? [String: Any] else { return "" }
    guard let v = result["value"], !(v is NSNull) else { return "" }
    // JSON booleans and numbers both arrive as NSNumber: the protocol's type tells them apart.
    switch result["type"] as? String {
    case "boolean": return (v as? Bool) == true ? "true" : "false"
    case "number":
      let d = (v as? NSNumber)?.doubleValue ?? .nan
      return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    default: return "\(v)"
    }
  }

  /// Polls `expression` every 0.25 s until it is "true", within `seconds`.
  func waitFor(_ expression: String, within seconds: Double, _ what: String) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try evaluate(expression) != "true" {
      if Date() > deadline { throw ProcessFailure("\(what): not within \(seconds) s") }
      Thread.sleep(forTimeInterval: 0.25)
    }
  }

  private func call(_ method: String, _ params: [String: Any]) throws -> [String: Any] {
    let id = nextID
    nextID += 1
    let msg = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
    try sendFrame(Array(msg))
    while true {
      let text = try readMessage()
      if let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], obj["id"] as? Int == id {
        if let e = obj["error"] { throw ProcessFailure("DevTools \(method): \(e)") }
        return obj
      }
    }
  }

  private func connect(port: Int, path: String) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var tv = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard ok == 0 else { throw ProcessFailure("DevTools connect: errno \(errno)") }
    let handshake =
      "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    try write(Array(handshake.utf8))
    while true {
      if let end = find([13, 10, 13, 10], in: pending) {
        let head = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeSubrange(..<(end + 4))
        guard head.hasPrefix("HTTP/1.1 101") else { throw ProcessFailure("DevTools handshake: \(head)") }
        return
      }
      try fill()
    }
  }

  private func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
    guard hay.count >= needle.count else { return nil }
    for i in 0...(hay.count - needle.count) where Array(hay[i..<i + needle.count]) == needle { return i }
    return nil
  }

  private func fill() throws {
    var buf = [UInt8](repeating: 0, count: 65536)
    let n = recv(fd, &buf, buf.count, 0)
    guard n > 0 else { throw ProcessFailure("DevTools connection closed (errno \(errno))") }
    pending += buf[0..<n]
  }

  private func need(_ n: Int) throws { while pending.count < n { try fill() } }

  private func write(_ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
      guard n > 0 else { throw ProcessFailure("DevTools send: errno \(errno)") }
      sent += n
    }
  }

  private func sendFrame(_ payload: [UInt8]) throws {
    var frame: [UInt8] = [0x81]
    if payload.count < 126 {
      frame.append(0x80 | UInt8(payload.count))
    } else if payload.count < 65536 {
      frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    } else {
      frame.append(0x80 | 127)
      for s in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> s) & 0xFF)) }
    }
    let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
    frame += mask
    frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    try write(frame)
  }

  /// One whole message (fragments joined; control frames skipped).
  private func readMessage() throws -> String {
    var message: [UInt8] = []
    while true {
      try need(2)
      let fin = pending[0] & 0x80 != 0
      let opcode = pending[0] & 0x0F
      var len = Int(pending[1] & 0x7F)
      var offset = 2
      if len == 126 {
        try need(4)
        len = Int(pending[2]) << 8 | Int(pending[3])
        offset = 4
      } else if len == 127 {
        try need(10)
        len = (2..<10).reduce(0) { $0 << 8 | Int(pending[$1]) }
        offset = 10
      }
      try need(offset + len)
      let payload = Array(pending[offset..<offset + len])
      pending.removeSubrange(..<(offset + len))
      if opcode == 8 { throw ProcessFailure("DevTools closed the websocket") }
      if opcode >= 8 { continue }
      message += payload
      if fin { return String(decoding: message, as: UTF8.self) }
    }
  }
}
