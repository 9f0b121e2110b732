// A registry that can move (FileRoot.swift): file paths inside the registry's folder are stored
// relative to it and resolve wherever the registry is opened from; paths outside stay absolute;
// `carryFiles` copies the files to a copy's folder and lists what it leaves; registries written
// before v6 (paths relative to the working folder) are migrated, on SQLite and PostgreSQL.
import Foundation
import GRDB
import TestSupport
import XCTest

@testable import Registry

final class FileRootTests: XCTestCase {
  func write(_ path: String, _ text: String = "x") throws {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }

  /// `path`'s folder, created (a registry file is created only in an existing folder).
  func inNewFolder(_ path: String) throws -> String {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    return path
  }

  func storedPaths(_ r: Registry, _ table: String) throws -> [String] {
    try r.read { c in try c.strings("SELECT path FROM \(table) ORDER BY path") }
  }

  /// Stored relative inside the folder, absolute outside; the folder renamed, the registry opened
  /// there resolves its paths to the new place; each registry names its own run folders.
  func testPathsInsideTheFolderMoveWithIt() throws {
    let top = temporaryDirectory()
    let outside = top + "/elsewhere/data.h5"
    try write(outside)
    let r = try Registry(path: try inNewFolder(top + "/home/reg.sqlite"))
    XCTAssertEqual(r.fileRoot.runFolder(3), top + "/home/runs-reg/3")
    XCTAssertEqual(
      try Registry(path: try inNewFolder(top + "/home/other.db")).fileRoot.runFolder(3),
      top + "/home/runs-other/3")
    let h = try r.startRun(RunSpec(name: "a", kind: "train-landmarks"))
    try write(top + "/home/runs-reg/1/step_0000003.h5")
    try h.addCheckpoint(step: 3, path: top + "/home/runs-reg/1/step_0000003.h5")
    try h.addArtifact(kind: "samples", path: top + "/home/runs-reg/1/samples")
    try h.addArtifact(kind: "external", path: outside)
    try h.finish(.finished)
    XCTAssertEqual(try storedPaths(r, "checkpoints"), ["runs-reg/1/step_0000003.h5"])
    XCTAssertEqual(try storedPaths(r, "artifacts"), [outside, "runs-reg/1/samples"].sorted())
    try r.close()

    try FileManager.default.moveItem(atPath: top + "/home", toPath: top + "/moved")
    let m = try Registry(path: top + "/moved/reg.sqlite")
    let d = try m.detail(1)
    XCTAssertEqual(d.checkpoints.map(\.path), [top + "/moved/runs-reg/1/step_0000003.h5"])
    XCTAssertTrue(FileManager.default.fileExists(atPath: d.checkpoints[0].path))
    XCTAssertEqual(Set(try m.artifacts(runId: 1).map(\.path)), [outside, top + "/moved/runs-reg/1/samples"])
    XCTAssertEqual(
      Set(try m.planDeletion(1).files),
      [top + "/moved/runs-reg/1/step_0000003.h5", top + "/moved/runs-reg/1/samples", outside])
    // A failed run queued again continues from its checkpoint, found at the new place.
    let h2 = try m.startRun(RunSpec(name: "b", kind: "train-landmarks"))
    try write(top + "/moved/runs-reg/2/step_0000001.h5")
    try h2.addCheckpoint(step: 1, path: top + "/moved/runs-reg/2/step_0000001.h5")
    try h2.finish(.failed, error: "test")
    XCTAssertEqual(try m.requeue(2).resumeFrom, top + "/moved/runs-reg/2/step_0000001.h5")
    XCTAssertEqual(try m.run(2).resumeFrom, top + "/moved/runs-reg/2/step_0000001.h5")
    XCTAssertEqual(
      try m.read { c in try c.strings("SELECT resume_from FROM runs WHERE id = 2") },
      ["runs-reg/2/step_0000001.h5"])
  }

  /// `carryFiles` copies what the rows name under the source's folder to the destination's folder
  /// (same relative paths, so the copy resolves them there) and lists what it leaves: absolute
  /// paths outside, missing files.
  func testCopyCarriesTheFilesAndSaysWhatItLeaves() throws {
    let top = temporaryDirectory()
    let outside = top + "/elsewhere/data.h5"
    try write(outside)
    let r = try Registry(path: try inNewFolder(top + "/a/reg.sqlite"))
    let h = try r.startRun(RunSpec(name: "a", kind: "train-landmarks"))
    try write(top + "/a/runs-reg/1/step_0000003.h5", "checkpoint bytes")
    try write(top + "/a/runs-reg/1/samples/0001.png", "png")
    try h.addCheckpoint(step: 3, path: top + "/a/runs-reg/1/step_0000003.h5")
    try h.addArtifact(kind: "samples", path: top + "/a/runs-reg/1/samples")
    try h.addArtifact(kind: "external", path: outside)
    try h.addArtifact(kind: "gone", path: top + "/a/runs-reg/1/gone.csv")
    try h.finish(.finished)
    let b = try Registry(path: try inNewFolder(top + "/b/copy.sqlite"))
    XCTAssertTrue(try r.copy(to: b).allSatisfy(\.matches))
    let carry = try r.carryFiles(to: b)
    XCTAssertEqual(carry.copied, 2)
    XCTAssertEqual(carry.bytes, Int64("checkpoint bytes".utf8.count + 3))
    XCTAssertEqual(carry.outside, [outside])
    XCTAssertEqual(carry.missing, ["runs-reg/1/gone.csv"])
    XCTAssertTrue(
      carry.summary.contains("1 missing at the source, not copied: runs-reg/1/gone.csv"), carry.summary)
    XCTAssertEqual(
      fileDigest(top + "/b/runs-reg/1/step_0000003.h5"), fileDigest(top + "/a/runs-reg/1/step_0000003.h5"))
    XCTAssertEqual(try b.detail(1).checkpoints.map(\.path), [top + "/b/runs-reg/1/step_0000003.h5"])
    XCTAssertTrue(FileManager.default.fileExists(atPath: top + "/b/runs-reg/1/samples/0001.png"))
    // Carried again: the files there are kept, not overwritten.
    XCTAssertEqual(try r.carryFiles(to: b).kept.count, 2)
    // Into a registry in the same folder: the rows already name the same files.
    XCTAssertTrue(try r.carryFiles(to: try Registry(path: top + "/a/second.sqlite")).sameRoot)
  }

  /// Into either engine: the files land under the destination's root (a PostgreSQL registry's is
  /// the working folder of the process that created it) and its rows resolve to them.
  func testCopyCarriesTheFilesToEitherBackend() throws {
    try forEachBackend { backend in
      let top = temporaryDirectory()
      let r = try Registry(path: try inNewFolder(top + "/a/reg.sqlite"))
      let h = try r.startRun(RunSpec(name: "a", kind: "train-landmarks"))
      try write(top + "/a/runs-reg/1/step_0000003.h5", "checkpoint bytes")
      try h.addCheckpoint(step: 3, path: top + "/a/runs-reg/1/step_0000003.h5")
      try h.finish(.finished)
      let cwd = FileManager.default.currentDirectoryPath
      defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
      try FileManager.default.createDirectory(atPath: top + "/dest", withIntermediateDirectories: true)
      XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(top + "/dest"))
      let b = try Registry(
        path: backend == .sqlite ? top + "/dest/copy.sqlite" : freshLocation(backend, "carry"))
      XCTAssertTrue(try r.copy(to: b).allSatisfy(\.matches))
      XCTAssertEqual(try r.carryFiles(to: b).copied, 1)
      XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(NSTemporaryDirectory()))
      let path = try XCTUnwrap(try b.detail(1).checkpoints.first?.path)
      XCTAssertEqual(path, FileRoot.absolutePath(top + "/dest") + "/runs-reg/1/step_0000003.h5")
      XCTAssertEqual(fileDigest(path), fileDigest(top + "/a/runs-reg/1/step_0000003.h5"))
      try b.close()
    }
  }

  /// A v5 registry used from working folder W as `--registry sub/old.sqlite` stored its paths
  /// relative to W. Opened from W by v6: a path found under W (not under sub/) is rewritten
  /// (absolute: it is outside sub/), one found under sub/ is kept, one found nowhere is kept and
  /// resolved against the working folder on read if it turns up there.
  func testOldLayoutRegistryIsMigrated() throws {
    let w = temporaryDirectory()
    let path = w + "/sub/old.sqlite"
    try FileManager.default.createDirectory(atPath: w + "/sub", withIntermediateDirectories: true)
    let q = try DatabaseQueue(path: path)
    try RegistrySchema.migrator.migrate(q, upTo: "v5-resume-step-frame-index")
    try q.write { db in
      try db.execute(
        sql: """
          INSERT INTO runs (id, name, kind, status, config_json, config_hash, host, command_line, created_at, resume_from)
          VALUES (1, 'l', 'train-landmarks', 'failed', '{}', 'h', 'host', 'lmlab train', 0, 'runs/1/step_0000003.h5')
          """)
      for (id, p) in [("c1", "runs/1/step_0000003.h5"), ("c2", "runs/2/kept.h5"), ("c3", "runs/3/gone.h5")] {
        try db.execute(
          sql:
            "INSERT INTO checkpoints (id, run_id, step, path, sha256, bytes, created_at) VALUES (?, 1, 3, ?, '', 0, 0)",
          arguments: [id, p])
      }
    }
    try q.close()
    try write(w + "/runs/1/step_0000003.h5")
    try write(w + "/sub/runs/2/kept.h5")
    let cwd = FileManager.default.currentDirectoryPath
    defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(w))
    let r = try Registry(path: "sub/old.sqlite")
    let real = FileRoot.absolutePath(w)
    XCTAssertEqual(
      try storedPaths(r, "checkpoints"),
      [real + "/runs/1/step_0000003.h5", "runs/2/kept.h5", "runs/3/gone.h5"].sorted())
    XCTAssertEqual(
      try r.read { c in try c.strings("SELECT resume_from FROM runs") }, [real + "/runs/1/step_0000003.h5"])
    XCTAssertEqual(
      try r.read { c in
        try c.strings(
          "SELECT value FROM registry_info WHERE key IN ('path_base', 'schema_version') ORDER BY key")
      }, ["registry", "6"])
    try r.close()
    // From anywhere else, every file that exists is found.
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(NSTemporaryDirectory()))
    let again = try Registry(path: w + "/sub/old.sqlite")
    let found = try again.detail(1).checkpoints.map(\.path).filter {
      FileManager.default.fileExists(atPath: $0)
    }
    XCTAssertEqual(found.sorted(), [real + "/runs/1/step_0000003.h5", w + "/sub/runs/2/kept.h5"].sorted())
    // The path found nowhere at migration resolves against the working folder when it is there.
    try write(w + "/runs/3/gone.h5")
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(w))
    XCTAssertTrue(try again.detail(1).checkpoints.map(\.path).contains("runs/3/gone.h5"))
  }

  /// The same migration on both engines: a v5 registry's relative paths stay, `path_base` becomes
  /// 'registry'; PostgreSQL records its artifact root (the opener's working folder) and resolves
  /// relative paths against it, names its run folders after the database and schema.
  func testV5RegistryGetsItsFileRootOnEveryBackend() throws {
    try forEachBackend { backend in
      let location = freshLocation(backend, "fileroot")
      if backend == .sqlite {
        let q = try DatabaseQueue(path: location)
        try RegistrySchema.migrator.migrate(q, upTo: "v5-resume-step-frame-index")
        try q.close()
      } else {
        let db = try PostgresDatabase(url: location)
        try db.write { c in
          try c.execute("CREATE TABLE schema_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
          for m in RegistrySchema.postgresMigrations.prefix(5) {
            for s in m.statements { try c.execute(s) }
            try c.execute("INSERT INTO schema_migrations (identifier) VALUES (?)", m.name)
          }
        }
        try db.close()
      }
      let r = try Registry(path: location)
      let info = try r.read { c in
        try c.query("SELECT key, value FROM registry_info ORDER BY key").map {
          "\(try $0.string("key"))=\(try $0.string("value"))"
        }
      }
      XCTAssertTrue(info.contains("path_base=registry"), "\(info)")
      XCTAssertTrue(info.contains("schema_version=6"), "\(info)")
      let cwd = FileRoot.absolutePath(FileManager.default.currentDirectoryPath)
      if backend == .postgres {
        XCTAssertTrue(info.contains("artifact_root=\(cwd)"), "\(info)")
        XCTAssertTrue(r.fileRoot.runFolderName.hasPrefix("runs-"), r.fileRoot.runFolderName)
        XCTAssertTrue(
          r.fileRoot.runFolderName.hasSuffix(String(location.split(separator: "=").last!)),
          r.fileRoot.runFolderName)
      }
      XCTAssertEqual(r.fileRoot.stored("/nowhere/x.h5"), "/nowhere/x.h5")
      XCTAssertEqual(r.fileRoot.stored(r.fileRoot.absolute + "/runs-x/1/a.h5"), "runs-x/1/a.h5")
      try r.close()
    }
  }
}
