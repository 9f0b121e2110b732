// Bounded runs of a command for tests of careless and hostile input: the process runs under an
// address-space ceiling (`ulimit -v`, so a memory bomb fails instead of swapping the machine),
// within a deadline (a hang is killed and named), as another user when asked (root ignores file
// permissions, so read-only checks run as `nobody`), with its output captured; and snapshots of
// a folder tree (every entry's kind, size and content hash) to show that nothing outside an
// output folder changed.
import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// How a bounded run ended.
public struct BoundedRun: CustomStringConvertible {
  public var arguments: [String]
  /// Exit status, or the signal number when `signaled`.
  public var status: Int32
  public var signaled: Bool
  public var stdout: String
  public var stderr: String
  public var seconds: Double

  /// stdout and stderr together.
  public var output: String { stdout + stderr }
  /// The non-empty lines of the output.
  public var lines: [String] { output.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }
  public var description: String {
    "`\(arguments.joined(separator: " "))` → \(signaled ? "signal \(status)" : "exit \(status)") in "
      + String(format: "%.2f s", seconds) + "\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
  }
}

/// Runs `executable` with `arguments` under `ulimit -v memoryMB` and a deadline of `seconds`
/// (past it the process is killed and `DeadlineExceeded` thrown). `user`: run as that user (via
/// setpriv; only when this process is root). `environment` entries are added to this process's.
public func runBounded(
  _ executable: String, _ arguments: [String], in directory: String? = nil, memoryMB: Int = 2048,
  seconds: Double = 60,
  user: String? = nil, environment: [String: String] = [:]
) throws -> BoundedRun {
  let fm = FileManager.default
  let tmp = NSTemporaryDirectory() + "lmlab-bounded-\(UUID().uuidString)"
  try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
  defer { try? fm.removeItem(atPath: tmp) }
  let out = tmp + "/stdout"
  let err = tmp + "/stderr"
  fm.createFile(atPath: out, contents: nil)
  fm.createFile(atPath: err, contents: nil)
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/bin/sh")
  var command = [executable] + arguments
  if let user, getuid() == 0 {
    command = ["/usr/bin/setpriv", "--reuid=\(user)", "--regid=nogroup", "--clear-groups", "--"] + command
  }
  p.arguments = ["-c", "ulimit -v \(memoryMB * 1024) && exec \"$@\"", "sh"] + command
  if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
  var env = ProcessInfo.processInfo.environment
  for (k, v) in environment { env[k] = v }
  p.environment = env
  p.standardOutput = FileHandle(forWritingAtPath: out)
  p.standardError = FileHandle(forWritingAtPath: err)
  p.standardInput = FileHandle.nullDevice
  let start = Date()
  try p.run()
  try waitForExit(p, within: seconds, "\(([executable] + arguments).joined(separator: " "))")
  return BoundedRun(
    arguments: arguments, status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
    stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
    stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "",
    seconds: Date().timeIntervalSince(start))
}

/// Every entry under a folder: relative path → kind, size and a 64-bit FNV-1a hash of the bytes
/// ("f 1234 9f3a…", "d", "l -> target", "p" for FIFOs and other special files).
public struct TreeSnapshot: Equatable, CustomStringConvertible {
  public var entries: [String: String]

  public init(_ root: String) {
    var out: [String: String] = [:]
    let fm = FileManager.default
    func walk(_ dir: String, _ rel: String) {
      guard let names = try? fm.contentsOfDirectory(atPath: dir) else { return }
      for n in names {
        let path = dir + "/" + n
        let r = rel.isEmpty ? n : rel + "/" + n
        var st = stat()
        guard lstat(path, &st) == 0 else { continue }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
          out[r] = "d"
          walk(path, r)
        case S_IFLNK: out[r] = "l -> " + ((try? fm.destinationOfSymbolicLink(atPath: path)) ?? "?")
        case S_IFREG:
          var h: UInt64 = 0xcbf2_9ce4_8422_2325
          if let d = fm.contents(atPath: path) { for b in d { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
          out[r] = "f \(st.st_size) \(String(h, radix: 16))"
        default: out[r] = "p"
        }
      }
    }
    walk(root, "")
    entries = out
  }

  /// What differs from `other`, one line per path ("+ a/b", "- c", "~ d").
  public func changes(from other: TreeSnapshot) -> [String] {
    var lines: [String] = []
    for k in Set(entries.keys).union(other.entries.keys).sorted() {
      switch (other.entries[k], entries[k]) {
      case (nil, _?): lines.append("+ \(k)")
      case (_?, nil): lines.append("- \(k)")
      case (let a?, let b?) where a != b: lines.append("~ \(k)")
      default: break
      }
    }
    return lines
  }

  public var description: String {
    entries.keys.sorted().map { "\($0): \(entries[$0]!)" }.joined(separator: "\n")
  }
}

/// The `lmlab` executable built next to the test bundle (missing is a failure, not a skip).
public func builtLMLab() throws -> String {
  var dirs = [
    Bundle.main.bundleURL.deletingLastPathComponent(),
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
  ]
  if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
  for d in dirs {
    for c in [d, d.deletingLastPathComponent()]
    where FileManager.default.isExecutableFile(atPath: c.appendingPathComponent("lmlab").path) {
      return c.appendingPathComponent("lmlab").path
    }
  }
  throw ProcessFailure(
    "lmlab is not built next to the tests (looked in \(dirs.map(\.path))): swift build --build-tests")
}
