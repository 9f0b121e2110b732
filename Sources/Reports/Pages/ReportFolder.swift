// ReportFolder: a report is a whole folder (SafeIO's OutputFolder): written into a hidden staging
// folder beside its destination and renamed into place only when complete, so a failed or
// interrupted report never half-overwrites an existing one. A destination that exists is replaced
// only when it is empty, holds a report this command wrote (its `.lmlab-output` marker says so)
// or `force` says so; anything else — a folder of the user's files, `.`, the working or home
// folder — is refused with one line. A replaced report keeps nothing the new one did not write.
import Foundation
import SafeIO

public struct ReportFolder {
  let folder: OutputFolder
  public var destination: String { folder.destination }
  /// Where files go while the report is written.
  public var staging: String { folder.staging }

  /// Checks the destination and creates the staging folder; every refusal is one error naming it.
  /// `command` is what the folder's marker records ("report", "worst").
  public init(_ destination: String, command: String = "report", force: Bool = false) throws {
    do {
      folder = try OutputFolder(destination, command: command, force: force, policy: .replaceOwn)
    } catch let e as InputRefused {
      throw ReportsError.option(e.message)
    }
  }

  /// Everything `init` checks, without creating anything.
  public static func check(_ destination: String, command: String = "report", force: Bool = false) throws {
    do {
      try OutputFolder.check(destination, command: command, force: force, policy: .replaceOwn)
    } catch let e as InputRefused {
      throw ReportsError.option(e.message)
    }
  }

  /// A file name inside the staging folder (checked: it may not lead outside).
  public func path(_ name: String) throws -> String {
    do { return try folder.path(name) } catch let e as InputRefused {
      throw ReportsError.write(path: destination, reason: e.message)
    }
  }

  /// A file name made from data (a sequence name, a method): characters other than letters,
  /// digits, '.', '_' and '-' become '_', at most 80 of them.
  public static func fileName(_ text: String) -> String {
    let safe = text.unicodeScalars.map { s -> Character in
      s.isASCII && (CharacterSet.alphanumerics.contains(s) || s == "." || s == "_" || s == "-") ? Character(s) : "_"
    }
    let cut = String(safe.prefix(80))
    return cut.hasPrefix(".") ? "_" + cut.dropFirst() : cut
  }

  /// Moves the finished report into place.
  public func commit() throws {
    do { try folder.commit() } catch let e as InputRefused {
      throw ReportsError.write(path: destination, reason: e.reason(without: destination))
    }
  }

  /// Stages a report with `body`, then moves it into place; on any error the staging folder is
  /// removed and the old report stays as it was. Returns the path of `index.html`.
  public static func write(
    to destination: String, command: String = "report", force: Bool = false, _ body: (ReportFolder) throws -> Void
  ) throws -> String {
    let folder = try ReportFolder(destination, command: command, force: force)
    do {
      try body(folder)
      try folder.commit()
    } catch {
      folder.discard()
      throw error
    }
    return folder.destination + "/index.html"
  }

  /// Removes the staging folder (after a failure).
  public func discard() { folder.discard() }
}
