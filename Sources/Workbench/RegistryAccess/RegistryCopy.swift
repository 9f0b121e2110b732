// `lmlab registry copy --from A --to B`: a whole registry into an empty one, any backend to any
// backend, with a progress line every few seconds, then the table of checks (rows and sha256
// of every table on both sides), then the files the rows name relative to the source's folder
// copied to the same place under the destination's (what is left behind is listed). A
// destination file made only for a copy that failed is removed.
import Foundation
import Registry

/// What a finished copy found.
public struct RegistryCopyResult: Sendable {
  /// One row per table: rows in the source and the destination, the source's checksum, the check.
  public var table: String
  /// Tables whose destination differs from the source (empty: the copy is verified).
  public var mismatched: [String]
  public var rows: Int
  public var sourcePath: String
  public var destinationPath: String
  public var seconds: Double
  /// The files the rows name, carried to the destination's folder (Registry.carryFiles).
  public var files: FileCarry
  /// What happened to the files, in one line.
  public var filesSummary: String { files.summary }

  /// Why the copy is not to be trusted, or nil.
  public var mismatch: String? {
    mismatched.isEmpty
      ? nil
      : "registry copy: \(mismatched.joined(separator: ", ")) differ after the copy into \(destinationPath)"
  }

  public var summary: String {
    String(
      format: "copied %d rows from %@ to %@ in %.1f s; every table's count and checksum match", rows,
      sourcePath,
      destinationPath, seconds)
  }
}

public enum RegistryCopy {
  /// Copies the registry at `from` (which must exist) into `to` (created if missing; must hold no
  /// runs). Neither side's dead runs are marked interrupted on open: the copy is as recorded.
  /// `print` gets a progress line at most every 2 s.
  public static func run(
    from: String, to: String, environment: [String: String] = ProcessInfo.processInfo.environment,
    print: (String) -> Void
  ) throws -> RegistryCopyResult {
    var readOnly = RegistryOptions.fromEnvironment(environment)
    readOnly.createIfMissing = false
    readOnly.reapOnOpen = false
    let source = try Registry(path: from, options: readOnly)
    let isNewFile = !Registry.isPostgresURL(to) && !FileManager.default.fileExists(atPath: to)
    var destOptions = RegistryOptions.fromEnvironment(environment)
    destOptions.reapOnOpen = false
    let destination = try Registry(path: to, options: destOptions)
    let start = Date()
    var lastPrint = Date.distantPast
    let tables: [TableCopy]
    do {
      tables = try source.copy(to: destination) { table, rows in
        if Date().timeIntervalSince(lastPrint) > 2 {
          lastPrint = Date()
          print(
            String(format: "  copying %@: %d rows (%.0f s)", table, rows, Date().timeIntervalSince(start)))
        }
      }
    } catch {
      try? destination.close()
      // A file made only for this copy is removed, so a failed copy leaves nothing behind.
      if isNewFile {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: to + suffix) }
      }
      throw error
    }
    let files = try source.carryFiles(to: destination)
    try destination.close()
    try source.close()
    var table = TextTable(header: ["table", "rows", "copied", "sha256 (source)", "check"])
    for t in tables {
      table.rows.append([
        t.table, String(t.sourceRows), String(t.destinationRows), String(t.sourceChecksum.prefix(16)),
        t.matches ? "ok" : "MISMATCH (destination \(t.destinationChecksum.prefix(16)))",
      ])
    }
    return RegistryCopyResult(
      table: table.render(), mismatched: tables.filter { !$0.matches }.map(\.table),
      rows: tables.reduce(0) { $0 + $1.sourceRows }, sourcePath: source.path,
      destinationPath: destination.path,
      seconds: Date().timeIntervalSince(start), files: files)
  }
}
