// Copying a whole registry into an empty one, across backends (SQLite → PostgreSQL and back):
// every table row by row in one destination transaction (an interrupted copy leaves the
// destination as it was), then verified by per-table row counts and content checksums read
// back from both sides.
import Foundation
import SafeIO

/// One table's result: rows in the source and the destination, and both checksums.
public struct TableCopy: Sendable {
  public var table: String
  public var sourceRows: Int
  public var destinationRows: Int
  public var sourceChecksum: String
  public var destinationChecksum: String
  public var matches: Bool { sourceRows == destinationRows && sourceChecksum == destinationChecksum }
}

extension Registry {
  /// Tables in insertion order (parents before the rows that reference them), each with the
  /// key it is ordered by for checksums. `runs.parent_id` is filled in a second pass.
  static let copiedTables: [(table: String, columns: [String], key: String)] = [
    (Experiment.table, Experiment.columns, "id"),
    (Run.table, Run.columns, "id"),
    (Param.table, Param.columns, "run_id, key"),
    (SeriesPoint.table, SeriesPoint.columns, "run_id, name, step"),
    (SeriesSummary.table, SeriesSummary.columns, "run_id, name"),
    (Checkpoint.table, Checkpoint.columns, "id"),
    (FrameScore.table, FrameScore.columns, "run_id, method, sequence, frame, metric"),
    (Artifact.table, Artifact.columns, "id"),
    (SweepRecord.table, SweepRecord.columns, "experiment_id"),
  ]

  /// Copies everything in `self` into `destination`, which must hold no experiments or runs.
  /// `progress` gets (table, rows copied so far) now and then.
  public func copy(to destination: Registry, progress: (String, Int) -> Void = { _, _ in }) throws -> [TableCopy] {
    if destination.path == path {
      throw RegistryError.invalidState("registry copy: --from and --to are the same registry (\(path))")
    }
    let held = try destination.read { c in
      (try c.int("SELECT COUNT(*) FROM runs") ?? 0) + (try c.int("SELECT COUNT(*) FROM experiments") ?? 0)
    }
    if held > 0 {
      throw RegistryError.invalidState(
        "registry copy: \(destination.path) already holds runs or experiments; copy needs an empty registry (nothing written)")
    }
    try destination.write { dst in
      try read { src in
        for (table, columns, key) in Registry.copiedTables {
          let prefix = "INSERT INTO \(table) (\(columns.joined(separator: ", ")))"
          let select = "SELECT \(columns.joined(separator: ", ")) FROM \(table) ORDER BY \(key)"
          let parentColumn = table == Run.table ? columns.firstIndex(of: "parent_id") : nil
          var batch: [[SQLValue]] = []
          var parents: [(Int64, Int64)] = []
          var copied = 0
          func flush() throws {
            try dst.insertMany(prefix, rows: batch, suffix: "")
            copied += batch.count
            batch.removeAll(keepingCapacity: true)
            progress(table, copied)
          }
          try src.forEachRow(select, []) { row in
            var values = row.values
            // A run may name a parent with a higher id (rare); parents are set after all runs exist.
            if let p = parentColumn, case .int(let parent) = values[p] {
              parents.append((try row.int("id"), parent))
              values[p] = .null
            }
            batch.append(values)
            if batch.count >= 5_000 { try flush() }
          }
          try flush()
          for (id, parent) in parents { try dst.execute("UPDATE runs SET parent_id = ? WHERE id = ?", parent, id) }
        }
      }
    }
    return try Registry.copiedTables.map { table, columns, key in
      let (n, sum) = try checksum(table, columns, key)
      let (m, dsum) = try destination.checksum(table, columns, key)
      return TableCopy(table: table, sourceRows: n, destinationRows: m, sourceChecksum: sum, destinationChecksum: dsum)
    }
  }

  /// Row count and a SHA-256 over every row's values (typed, in key order), the same on both
  /// engines for the same content.
  func checksum(_ table: String, _ columns: [String], _ key: String) throws -> (Int, String) {
    try read { c in
      var hasher = SHA256()
      var n = 0
      try c.forEachRow("SELECT \(columns.joined(separator: ", ")) FROM \(table) ORDER BY \(key)", []) { row in
        var line = ""
        for v in row.values {
          switch v {
          case .null: line += "N|"
          case .int(let i): line += "i\(i)|"
          // Bit patterns, so a value that prints the same but differs is caught.
          case .double(let d): line += "d\(d.bitPattern)|"
          case .text(let s): line += "t\(s.utf8.count):\(s)|"
          }
        }
        hasher.update(Data((line + "\n").utf8))
        n += 1
      }
      return (n, SHA256.hex(hasher.finalize()))
    }
  }
}

/// What `carryFiles` did with the files the registry's rows name.
public struct FileCarry: Sendable {
  /// Files (or folders) copied into the destination's root, and their bytes.
  public var copied = 0
  public var bytes: Int64 = 0
  /// Both registries have the same file root: the rows name the same files, nothing to copy.
  public var sameRoot = false
  /// Stored absolute (outside the source's root): left where they are, still named by the rows.
  public var outside: [String] = []
  /// Named by a row but not found under the source's root (nor the working folder).
  public var missing: [String] = []
  /// Already present at the destination: left as they are, not overwritten.
  public var kept: [String] = []

  /// One line per kind of file, for the command line.
  public var summary: String {
    if sameRoot { return "files: the destination's file root is the source's; the rows name the same files (nothing copied)" }
    var s = "files: copied \(copied) (\(bytes) bytes) to the destination's folder"
    if !kept.isEmpty { s += "; \(kept.count) already there, left as they were: " + kept.joined(separator: ", ") }
    if !outside.isEmpty {
      s += "; \(outside.count) outside the source registry's folder, left in place (absolute paths): " + outside.joined(separator: ", ")
    }
    if !missing.isEmpty { s += "; \(missing.count) missing at the source, not copied: " + missing.joined(separator: ", ") }
    return s
  }
}

extension Registry {
  /// Copies the files the rows name by a path relative to this registry's file root (checkpoints,
  /// artifacts, `resume_from`) to the same relative path under `destination`'s root, so the copied
  /// rows resolve there. Absolute paths stay as they are. An existing destination file is kept.
  public func carryFiles(to destination: Registry) throws -> FileCarry {
    var carry = FileCarry()
    if fileRoot.absolute == destination.fileRoot.absolute {
      carry.sameRoot = true
      return carry
    }
    let stored = try read { c in
      try Registry.pathColumns.flatMap { table, _, column in
        try c.strings("SELECT DISTINCT \(column) FROM \(table) WHERE \(column) IS NOT NULL ORDER BY \(column)")
      }
    }
    let fm = FileManager.default
    var seen = Set<String>()
    for p in stored where !p.isEmpty && seen.insert(p).inserted {
      if p.hasPrefix("/") {
        carry.outside.append(p)
        continue
      }
      let from = fileRoot.resolved(p)
      guard fm.fileExists(atPath: from) else {
        carry.missing.append(p)
        continue
      }
      let to = destination.fileRoot.absolute + "/" + p
      if fm.fileExists(atPath: to) {
        carry.kept.append(p)
        continue
      }
      try fm.createDirectory(atPath: Paths.parentFolder(of: to), withIntermediateDirectories: true)
      try fm.copyItem(atPath: from, toPath: to)
      carry.copied += 1
      carry.bytes += Registry.bytes(at: to)
    }
    return carry
  }

  /// A file's size, or the total of the files in a folder.
  static func bytes(at path: String) -> Int64 {
    let fm = FileManager.default
    func size(_ p: String) -> Int64 {
      guard let attrs = try? fm.attributesOfItem(atPath: p), (attrs[.type] as? FileAttributeType) == .typeRegular else { return 0 }
      return (attrs[.size] as? NSNumber)?.int64Value ?? 0
    }
    guard let names = fm.enumerator(atPath: path) else { return size(path) }
    var total = size(path)
    while let name = names.nextObject() as? String { total += size(path + "/" + name) }
    return total
  }
}
