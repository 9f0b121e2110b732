// FileRoot: where a registry's files are, so the registry can be opened from any folder and moved.
// Paths of checkpoints, artifacts and `resume_from` are stored relative to the registry's file
// root when they lie inside it, absolute when they lie outside (a path given relative to the
// working folder is made absolute: the working folder is not recorded). The root is
//   - SQLite: the folder of the registry file (the files move with it);
//   - PostgreSQL: `registry_info.artifact_root`, an absolute folder recorded when the database
//     was created or migrated to v6 (the opener's working folder then).
// Reading resolves a stored relative path against the root. Runs keep their folders under the
// root in `runs-<registry stem>/<id>` (SQLite: the file name without its extension; PostgreSQL:
// the database name, with `-schema` for a `?schema=`), so two registries in one folder do not
// share run folders.
//
// Registries before v6 stored paths relative to the working folder of the process that wrote
// them. On the first open by a v6 lmlab (writable), each such path is rewritten when its file is
// found relative to the working folder but not relative to the root; the registry then records
// `path_base = registry`. A path still not found is resolved against the working folder as a
// fallback on read, said once on standard error.
import Foundation
import SafeIO

/// A registry's file root, as this process reaches it.
public struct FileRoot: Sendable {
  /// The root as a path usable from this process's working folder ("." for a registry file
  /// named without a folder, so stored paths print as they always did there).
  public let folder: String
  /// The same, absolute and standardized: what stored paths are made relative to.
  public let absolute: String
  /// `runs-<registry stem>`: the folder under the root where runs keep their folders.
  public let runFolderName: String

  init(folder: String, runFolderName: String) {
    self.folder = folder
    absolute = FileRoot.absolutePath(folder)
    self.runFolderName = runFolderName
  }

  /// `path` (as this process reaches it) → the form stored in the registry.
  public func stored(_ path: String) -> String {
    if path.isEmpty { return path }
    let abs = FileRoot.absolutePath(path)
    if let rel = FileRoot.relative(abs, to: absolute) { return rel }
    // The same file may be reached through a symbolic link on either side.
    let realAbs = URL(fileURLWithPath: abs).resolvingSymlinksInPath().path
    let realRoot = URL(fileURLWithPath: absolute).resolvingSymlinksInPath().path
    if let rel = FileRoot.relative(realAbs, to: realRoot) { return rel }
    return abs
  }

  /// A stored path → the path this process opens. Relative paths are joined to the root.
  public func resolved(_ stored: String) -> String {
    if stored.isEmpty || stored.hasPrefix("/") { return stored }
    let joined = folder == "." ? stored : (folder.hasSuffix("/") ? folder + stored : folder + "/" + stored)
    // A pre-v6 path the migration could not place (the registry was read-only, or the file was
    // not found from the working folder then): relative to the working folder, if it is there.
    if !FileManager.default.fileExists(atPath: joined), FileManager.default.fileExists(atPath: stored) {
      FileRoot.sayFallback(stored, root: folder)
      return stored
    }
    return joined
  }

  /// The default folder of run `id`: `<root>/runs-<stem>/<id>`.
  public func runFolder(_ id: Int64) -> String {
    (folder == "." ? "" : folder + "/") + runFolderName + "/\(id)"
  }

  static func relative(_ abs: String, to root: String) -> String? {
    if abs == root { return "." }
    let prefix = root.hasSuffix("/") ? root : root + "/"
    return abs.hasPrefix(prefix) ? String(abs.dropFirst(prefix.count)) : nil
  }

  static func absolutePath(_ path: String) -> String {
    let base = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return URL(fileURLWithPath: base).standardized.path
  }

  /// The stem a run folder is named after: the file name up to its last dot.
  static func stem(ofFile path: String) -> String {
    let name = (path as NSString).lastPathComponent
    let s = (name as NSString).deletingPathExtension
    return s.isEmpty ? name : s
  }

  nonisolated(unsafe) private static var said = Set<String>()
  private static let saidLock = NSLock()
  private static func sayFallback(_ stored: String, root: String) {
    saidLock.lock()
    let first = said.insert(root).inserted
    saidLock.unlock()
    guard first else { return }
    FileHandle.standardError.write(
      Data(
        ("note: registry file \(stored) is not under the registry's folder \(root); found relative to the working folder "
          + "(a path recorded before lmlab v6 that the registry's migration could not place; open the registry once, "
          + "writable, from the folder it was used in to rewrite such paths)\n").utf8))
  }
}

extension Registry {
  /// The stored file paths: (table, key column, path column).
  static let pathColumns: [(table: String, key: String, column: String)] = [
    ("checkpoints", "id", "path"), ("artifacts", "id", "path"), ("runs", "id", "resume_from"),
  ]

  /// The root on open: SQLite's folder; PostgreSQL's recorded `artifact_root` (nil before v6's
  /// rebase recorded it: the working folder, as such registries were written).
  static func fileRoot(location: String, database: SQLDatabase, postgresStem: String?) throws -> FileRoot {
    if let stem = postgresStem {
      let recorded = try database.read { c in
        try c.queryOne("SELECT value FROM registry_info WHERE key = 'artifact_root'")?.string("value")
      }
      return FileRoot(
        folder: recorded ?? FileManager.default.currentDirectoryPath, runFolderName: "runs-" + stem)
    }
    return FileRoot(
      folder: Paths.folder(of: location), runFolderName: "runs-" + FileRoot.stem(ofFile: location))
  }

  /// The v6 rewrite of paths stored relative to the working folder (see the file header). Runs
  /// once per registry, in one transaction; a read-only registry is left as it is.
  static func rebaseLegacyPaths(_ database: SQLDatabase, root: FileRoot) throws {
    let fm = FileManager.default
    // Looked at first without the write lock: opening a migrated registry writes nothing.
    let pending = try database.read { c in
      try c.queryOne("SELECT value FROM registry_info WHERE key = 'path_base'")?.string("value")
        == "working-folder"
    }
    guard pending else { return }
    try database.write { c in
      let base = try c.queryOne("SELECT value FROM registry_info WHERE key = 'path_base'")?.string("value")
      guard base == "working-folder" else { return }
      for (table, key, column) in pathColumns {
        let rows = try c.query(
          "SELECT \(key), \(column) FROM \(table) WHERE \(column) IS NOT NULL AND \(column) NOT LIKE '/%'")
        for row in rows {
          let id = row.values[0]
          let old = try row.string(column)
          let underRoot = root.folder == "." ? old : root.folder + "/" + old
          guard !fm.fileExists(atPath: underRoot), fm.fileExists(atPath: old) else { continue }
          let new = root.stored(old)
          if new != old {
            try c.execute("UPDATE \(table) SET \(column) = ? WHERE \(key) = ?", [.text(new), id])
          }
        }
      }
      if c.dialect == .postgres {
        try c.execute(
          "INSERT INTO registry_info (key, value) VALUES ('artifact_root', ?) ON CONFLICT (key) DO NOTHING",
          root.absolute)
      }
      try c.execute("UPDATE registry_info SET value = 'registry' WHERE key = 'path_base'")
    }
  }

  func resolvingPath(_ c: Checkpoint) -> Checkpoint {
    var r = c
    r.path = fileRoot.resolved(c.path)
    return r
  }

  func resolvingPath(_ a: Artifact) -> Artifact {
    var r = a
    r.path = fileRoot.resolved(a.path)
    return r
  }

  /// `run` with its `resume_from` as this process opens it.
  func resolvingPaths(_ run: Run) -> Run {
    var r = run
    r.resumeFrom = run.resumeFrom.map(fileRoot.resolved)
    return r
  }
}
