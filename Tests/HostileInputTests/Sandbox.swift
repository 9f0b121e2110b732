// A sandbox per test for careless and hostile input (issue 24): a fresh folder holding the
// test's crafted inputs, a decoy tree of "the user's files" and the registry; `lmlab` runs in it
// as a process under a memory ceiling and a deadline; before/after snapshots prove that nothing
// outside the folder a command may write changed. Crafted inputs are made here, tiny.
import Foundation
import Imaging
import Storage
import TestSupport
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

final class Sandbox {
  let root: String
  let lmlab: String
  /// The registry every command of the sandbox uses (via LMLAB_REGISTRY).
  var registry: String { root + "/reg.sqlite" }

  init(_ name: String) throws {
    root = NSTemporaryDirectory() + "lmlab-hostile-\(name)-\(UUID().uuidString.prefix(8))"
    lmlab = try builtLMLab()
    try FileManager.default.createDirectory(atPath: root + "/decoy/notes", withIntermediateDirectories: true)
    try Data("the user's own file\n".utf8).write(to: URL(fileURLWithPath: root + "/decoy/keep.txt"))
    try Data("more\n".utf8).write(to: URL(fileURLWithPath: root + "/decoy/notes/todo.md"))
    chmod(root, 0o755)
  }

  func remove() { try? FileManager.default.removeItem(atPath: root) }

  func path(_ rel: String) -> String { root + "/" + rel }

  /// Runs `lmlab args` in the sandbox under `memoryMB` of address space within `seconds`.
  func run(
    _ args: [String], memoryMB: Int = 1536, seconds: Double = 60, user: String? = nil,
    environment: [String: String] = [:]
  ) throws -> BoundedRun {
    var env = ["LMLAB_REGISTRY": registry, "OPENBLAS_NUM_THREADS": "1"]
    for (k, v) in environment { env[k] = v }
    return try runBounded(
      lmlab, args, in: root, memoryMB: memoryMB, seconds: seconds, user: user, environment: env)
  }

  func snapshot() -> TreeSnapshot { TreeSnapshot(root) }

  /// Fails when anything changed under the sandbox except under `allowed` (relative paths) and
  /// the registry's own files.
  func assertUnchanged(
    since before: TreeSnapshot, except allowed: [String] = [], file: StaticString = #filePath,
    line: UInt = #line
  ) {
    let changed = snapshot().changes(from: before).filter { c in
      let p = String(c.dropFirst(2))
      if p.hasPrefix("reg.sqlite") { return false }
      return !allowed.contains { p == $0 || p.hasPrefix($0 + "/") }
    }
    XCTAssertEqual(changed, [], "changed outside \(allowed)", file: file, line: line)
  }

  // MARK: crafted inputs

  /// Frame folder `rel` with `sequences` × `frames` real PNGs of size×size.
  func frames(_ rel: String, sequences: [String] = ["s0"], frames: Int = 3, size: Int = 16) throws {
    for s in sequences {
      try FileManager.default.createDirectory(atPath: path("\(rel)/\(s)"), withIntermediateDirectories: true)
      for t in 0..<frames {
        var im = RGBImage(width: size, height: size)
        for i in 0..<im.pixels.count { im.pixels[i] = Float((i * 7 + t * 13) % 255) / 255 }
        try writePNG(im, to: path(String(format: "\(rel)/\(s)/%04d.png", t)))
      }
    }
  }

  func write(_ rel: String, _ text: String) throws {
    try FileManager.default.createDirectory(
      atPath: (path(rel) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path(rel)))
  }

  func write(_ rel: String, bytes: [UInt8]) throws {
    try FileManager.default.createDirectory(
      atPath: (path(rel) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path(rel)))
  }

  func fifo(_ rel: String) throws {
    try FileManager.default.createDirectory(
      atPath: (path(rel) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    guard mkfifo(path(rel), 0o644) == 0 else { throw ProcessFailure("mkfifo \(rel): errno \(errno)") }
  }
}

/// A PNG of just a signature, an IHDR claiming `width`×`height` (8-bit RGB) and an IEND: the
/// header of a memory bomb, 45 bytes.
func pngHeaderBomb(width: Int, height: Int) -> [UInt8] {
  func be(_ v: Int) -> [UInt8] {
    [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]
  }
  func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return be(data.count) + body + be(Int(crc32(body)))
  }
  let ihdr = be(width) + be(height) + [8, 2, 0, 0, 0]
  return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IEND", [])
}

/// CRC-32 (PNG's polynomial) of `bytes`.
func crc32(_ bytes: [UInt8]) -> UInt32 {
  var c: UInt32 = 0xFFFF_FFFF
  for b in bytes {
    c ^= UInt32(b)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
  }
  return c ^ 0xFFFF_FFFF
}

/// Asserts a refusal: not a signal, `status`, one line on stderr holding every part of `mentions`,
/// and an end within `seconds`.
func assertRefused(
  _ r: BoundedRun, status: Int32 = 1, mentions: [String], within seconds: Double = 20,
  file: StaticString = #filePath,
  line: UInt = #line
) {
  XCTAssertFalse(r.signaled, "killed by a signal: \(r)", file: file, line: line)
  XCTAssertEqual(r.status, status, "exit status: \(r)", file: file, line: line)
  let errors = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
  XCTAssertEqual(errors.count, 1, "one line on stderr: \(r)", file: file, line: line)
  for m in mentions {
    XCTAssertTrue(r.stderr.contains(m), "`\(m)` in the message: \(r)", file: file, line: line)
  }
  XCTAssertLessThan(r.seconds, seconds, "took \(r.seconds) s: \(r)", file: file, line: line)
}
