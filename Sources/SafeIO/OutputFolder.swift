// OutputFolder: a folder a command writes as a whole (a report, a synthetic data set, a predict
// output). It never destroys what the user had:
//   - the folder is written under a hidden staging name beside the destination, holding the
//     marker `.lmlab-incomplete` (readers refuse such a folder), and renamed into place only when
//     complete; a failure or an interrupt removes the staging folder, an old folder stays as it was;
//   - a finished folder holds `.lmlab-output`, naming the command that wrote it;
//   - a destination that exists is replaced only when it is empty, when `--force` says so, or when
//     the policy is `.replaceOwn` and its marker names the same command (a report over the report
//     it wrote before); anything else is refused with one line;
//   - `.`, `/`, the working folder, the home folder and any folder holding them are refused by
//     name, even with --force.
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

public struct OutputFolder {
  public enum Policy: Sendable {
    /// A folder this command wrote before is replaced (reports: derived, written again at will).
    case replaceOwn
    /// Any non-empty folder is refused without --force (data sets, predictions: runs refer to them).
    case refuseNonEmpty
  }

  /// Written in every finished output folder: "lmlab <command>".
  public static let markerName = ".lmlab-output"
  /// Present while a folder is being written; readers refuse a folder holding it.
  public static let incompleteName = ".lmlab-incomplete"

  /// The folder as given.
  public let destination: String
  /// Where files go until `commit`.
  public let staging: String
  public let command: String

  /// Checks `destination` (see the header) and creates the staging folder beside it.
  /// - Parameters:
  ///   - command: the command writing it, as the marker records it ("report", "data synth").
  ///   - option: the flag that named the folder, for messages.
  public init(_ destination: String, command: String, option: String = "--out", force: Bool, policy: Policy)
    throws
  {
    try Self.check(destination, command: command, option: option, force: force, policy: policy)
    let fm = FileManager.default
    let dest = (destination as NSString).standardizingPath
    let parent = AtomicFile.folder(of: dest)
    do {
      try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
    } catch {
      throw InputRefused("\(option) \(destination): cannot create its parent folder \(parent)")
    }
    guard access(parent, W_OK) == 0 else {
      throw InputRefused("\(option) \(destination): its parent folder \(parent) is not writable")
    }
    self.destination = dest
    self.command = command
    staging = (parent as NSString).appendingPathComponent(
      ".\((dest as NSString).lastPathComponent).partial-\(getpid())")
    Self.removeStaleStaging(beside: dest)
    Self.removeTree(staging)
    do {
      try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
      try AtomicFile.write(
        Data("lmlab \(command): being written by process \(getpid())\n".utf8),
        to: (staging as NSString).appendingPathComponent(Self.incompleteName))
    } catch {
      Self.removeTree(staging)
      throw InputRefused("\(option) \(destination): cannot create \(staging) (\(error.localizedDescription))")
    }
  }

  /// Everything `init` checks, without creating anything: for commands that check all their
  /// inputs before any work.
  public static func check(
    _ destination: String, command: String, option: String = "--out", force: Bool, policy: Policy
  ) throws {
    let name = "\(option) \(destination)"
    if let why = refusedByName(destination) { throw InputRefused("\(name): \(why); name a new folder") }
    let dest = (destination as NSString).standardizingPath
    switch FileKind.of(dest) {
    case .missing: return
    case .regular: throw InputRefused("\(name): is a file, not a folder")
    case .special(let k): throw InputRefused("\(name): \(k), not a folder")
    case .directory: break
    }
    let entries: [String]
    do { entries = try FileManager.default.contentsOfDirectory(atPath: dest).sorted() } catch {
      throw InputRefused("\(name): cannot list it (\(error.localizedDescription))")
    }
    if entries.isEmpty || force { return }
    let owner = writer(of: dest)
    if owner == command && policy == .replaceOwn { return }
    let shown = entries.filter { $0 != markerName }.prefix(3).map(DataName.quoted).joined(separator: ", ")
    if owner == command {
      throw InputRefused(
        "\(name): holds an earlier `lmlab \(command)` output (\(shown)\(entries.count > 4 ? ", ..." : "")); name a new folder, or pass --force to replace it"
      )
    }
    if let owner {
      throw InputRefused(
        "\(name): holds the output of `lmlab \(owner)`, not of `lmlab \(command)`; name a new folder, or pass --force to replace it"
      )
    }
    throw InputRefused(
      "\(name): exists and holds files lmlab did not write (\(entries.count) entr\(entries.count == 1 ? "y" : "ies"): \(shown)\(entries.count > 3 ? ", ..." : "")); name a new folder, or pass --force to replace it and everything in it"
    )
  }

  /// For a folder a command fills over several steps and may resume (the demo): checks it as
  /// `check` does (its own earlier output is continued, not replaced), creates it when missing and
  /// marks it as this command's. With `force` a folder of other files is taken over as it is.
  public static func claim(_ destination: String, command: String, option: String = "--out", force: Bool)
    throws
  {
    try check(destination, command: command, option: option, force: force, policy: .replaceOwn)
    do {
      try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
      try AtomicFile.write(
        Data("lmlab \(command)\n".utf8), to: (destination as NSString).appendingPathComponent(markerName))
    } catch let e as InputRefused {
      throw e
    } catch {
      throw InputRefused("\(option) \(destination): cannot create (\(error.localizedDescription))")
    }
  }

  /// Staging folders of `dest` left by processes that are gone (killed before they could clean
  /// up): they hold `.lmlab-incomplete` and a pid that no longer runs.
  static func removeStaleStaging(beside dest: String) {
    let parent = AtomicFile.folder(of: dest)
    let prefix = ".\((dest as NSString).lastPathComponent).partial-"
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
    for n in names where n.hasPrefix(prefix) {
      guard let pid = Int32(n.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
      else { continue }
      let path = (parent as NSString).appendingPathComponent(n)
      if FileKind.of((path as NSString).appendingPathComponent(incompleteName)) == .regular {
        removeTree(path)
      }
    }
  }

  /// The command recorded in `folder`'s marker, nil when there is none.
  public static func writer(of folder: String) -> String? {
    let marker = (folder as NSString).appendingPathComponent(markerName)
    guard FileKind.of(marker) == .regular, (FileKind.size(marker) ?? 0) < 4096,
      let text = try? String(contentsOfFile: marker, encoding: .utf8)
    else { return nil }
    let line = text.split(separator: "\n").first.map(String.init) ?? ""
    return line.hasPrefix("lmlab ") ? String(line.dropFirst(6)) : nil
  }

  /// Why `path` may never be an output folder (nil: it may): the root, the working folder, the
  /// home folder, or a folder holding one of them (replacing it would take them along).
  public static func refusedByName(_ path: String) -> String? {
    if path.trimmingCharacters(in: .whitespaces).isEmpty { return "an empty path" }
    let target = resolved(path)
    if target == "/" { return "is the root folder" }
    let cwd = resolved(FileManager.default.currentDirectoryPath)
    if target == cwd { return "is the working folder" }
    if cwd.hasPrefix(target + "/") { return "holds the working folder" }
    if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
      let h = resolved(home)
      if target == h { return "is the home folder" }
      if h.hasPrefix(target + "/") { return "holds the home folder" }
    }
    return nil
  }

  /// An absolute path with `.`/`..` and symbolic links resolved (as far as it exists).
  static func resolved(_ path: String) -> String {
    let abs =
      path.hasPrefix("/")
      ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    let p = URL(fileURLWithPath: abs).standardizedFileURL.resolvingSymlinksInPath().path
    return p.count > 1 && p.hasSuffix("/") ? String(p.dropLast()) : p
  }

  /// A path inside the staging folder; each component is checked (names from data may not lead
  /// outside the folder).
  public func path(_ components: String...) throws -> String { try DataName.path(in: staging, components) }

  /// Moves the finished folder into place (replacing an old one only now) and marks it as this
  /// command's output.
  public func commit() throws {
    try AtomicFile.write(
      Data("lmlab \(command)\n".utf8), to: (staging as NSString).appendingPathComponent(Self.markerName))
    unlink((staging as NSString).appendingPathComponent(Self.incompleteName))
    let old = (AtomicFile.folder(of: destination) as NSString).appendingPathComponent(
      ".\((destination as NSString).lastPathComponent).old-\(getpid())")
    let hadOld = FileKind.of(destination) != .missing
    if hadOld {
      Self.removeTree(old)
      guard rename(destination, old) == 0 else {
        throw InputRefused(
          "\(destination): cannot move the old folder aside (\(String(cString: strerror(errno))))")
      }
    }
    guard rename(staging, destination) == 0 else {
      let reason = String(cString: strerror(errno))
      if hadOld { _ = rename(old, destination) }
      throw InputRefused("\(destination): cannot move the new folder into place (\(reason))")
    }
    if hadOld { Self.removeTree(old) }
  }

  /// Removes the staging folder (after a failure or an interrupt).
  public func discard() { Self.removeTree(staging) }

  /// Stages with `body`, then commits; on any error the staging folder is removed and the
  /// destination stays as it was.
  public static func write(
    to destination: String, command: String, option: String = "--out", force: Bool, policy: Policy,
    _ body: (OutputFolder) throws -> Void
  ) throws -> OutputFolder {
    let folder = try OutputFolder(destination, command: command, option: option, force: force, policy: policy)
    do {
      try body(folder)
      try folder.commit()
    } catch {
      folder.discard()
      throw error
    }
    return folder
  }

  /// Removes a file or folder tree without following symbolic links out of it.
  static func removeTree(_ path: String) {
    guard
      FileManager.default.fileExists(atPath: path)
        || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    else {
      return
    }
    try? FileManager.default.removeItem(atPath: path)
  }
}
