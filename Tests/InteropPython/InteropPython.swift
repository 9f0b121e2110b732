// InteropPython: finds a python3 that imports h5py and numpy and runs scripts with it, for the
// tests that check our HDF5 files against another reader (h5py). Shared by several test targets.
// Which python: pyenv's `python3` on PATH may lack h5py while Debian's python3-h5py (installed by
// scripts/setup-deps.sh) lives in /usr/bin/python3, so each candidate is asked to import both.
import Foundation

public enum InteropPython {
  /// Candidates in order: $LMLAB_PYTHON, `python3` on PATH, /usr/bin/python3.
  public static var candidates: [String] {
    var c: [String] = []
    if let p = ProcessInfo.processInfo.environment["LMLAB_PYTHON"], !p.isEmpty { c.append(p) }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for dir in path.split(separator: ":") {
      let p = "\(dir)/python3"
      if FileManager.default.isExecutableFile(atPath: p) {
        c.append(p)
        break
      }
    }
    c.append("/usr/bin/python3")
    return c
  }

  /// The first candidate where `import h5py, numpy` succeeds; nil when none does.
  public static let executable: String? = candidates.first { candidate in
    FileManager.default.isExecutableFile(atPath: candidate)
      && (try? run(candidate, ["-c", "import h5py, numpy"], in: nil))?.status == 0
  }

  /// Why the h5py checks cannot run (for the skip message and the run-tests.sh summary).
  public static var missingReason: String {
    "no python3 with h5py and numpy (tried \(candidates.joined(separator: ", "))); "
      + "scripts/setup-deps.sh installs python3-h5py and python3-numpy where apt-get exists"
  }

  /// Runs the found python with `arguments` in `directory`; returns (exit status, stdout+stderr).
  /// nil when there is no python with h5py.
  public static func run(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String)? {
    guard let executable else { return nil }
    return try run(executable, arguments, in: directory)
  }

  static func run(_ executable: String, _ arguments: [String], in directory: URL?) throws -> (
    status: Int32, output: String
  ) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let directory { p.currentDirectoryURL = directory }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
