// ReportFolder: a report is written into a temporary folder beside its destination and renamed
// into place only when complete, so a failed or interrupted report never half-overwrites an
// existing one (the old folder is moved aside, replaced, then removed).
import Foundation

public struct ReportFolder {
  public let destination: String
  /// Where files go while the report is written.
  public let staging: String

  /// Creates the staging folder; an unwritable parent is one error naming it.
  public init(_ destination: String) throws {
    let fm = FileManager.default
    let dest = (destination as NSString).standardizingPath
    let parent = (dest as NSString).deletingLastPathComponent.isEmpty ? "." : (dest as NSString).deletingLastPathComponent
    do {
      try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
    } catch {
      throw ReportsError.write(path: destination, reason: "cannot create its parent folder \(parent)")
    }
    guard fm.isWritableFile(atPath: parent) else {
      throw ReportsError.write(path: destination, reason: "its parent folder \(parent) is not writable")
    }
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: dest, isDirectory: &isDir) && !isDir.boolValue {
      throw ReportsError.write(path: destination, reason: "it exists and is not a folder")
    }
    self.destination = dest
    staging = dest + ".partial-\(getpid())"
    try? fm.removeItem(atPath: staging)
    do {
      try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
    } catch {
      throw ReportsError.write(path: staging, reason: "\(error.localizedDescription)")
    }
  }

  /// A path inside the staging folder.
  public func path(_ name: String) -> String { staging + "/" + name }

  /// Moves the finished report into place.
  public func commit() throws {
    let fm = FileManager.default
    let old = destination + ".old-\(getpid())"
    if fm.fileExists(atPath: destination) { try fm.moveItem(atPath: destination, toPath: old) }
    do {
      try fm.moveItem(atPath: staging, toPath: destination)
    } catch {
      if fm.fileExists(atPath: old) { try? fm.moveItem(atPath: old, toPath: destination) }
      throw ReportsError.write(path: destination, reason: "could not move the new report into place: \(error.localizedDescription)")
    }
    try? fm.removeItem(atPath: old)
  }

  /// Stages a report with `body`, then moves it into place; on any error the staging folder is
  /// removed and the old report stays as it was. Returns the path of `index.html`.
  public static func write(to destination: String, _ body: (ReportFolder) throws -> Void) throws -> String {
    let folder = try ReportFolder(destination)
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
  public func discard() { try? FileManager.default.removeItem(atPath: staging) }
}
