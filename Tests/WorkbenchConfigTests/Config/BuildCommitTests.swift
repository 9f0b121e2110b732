// BuildCommitTests: a run records the git commit of the LandmarkLab checkout its binary was
// built from (found from the executable's path), whatever the working directory is: another
// repository with its own commit, or no repository at all.
import Foundation
import Registry
import XCTest

@testable import Workbench

final class BuildCommitTests: XCTestCase {
  /// This file is Tests/WorkbenchConfigTests/Config/BuildCommitTests.swift in the checkout.
  let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

  func git(_ args: [String], in dir: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["git", "-C", dir] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw XCTSkip("git \(args.joined(separator: " ")) failed in \(dir)") }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  func testRunRecordsTheBuildsCommitNotTheWorkingDirectorys() throws {
    let head = try git(["rev-parse", "HEAD"], in: checkout)
    let dirty = !(try git(["status", "--porcelain", "--untracked-files=no"], in: checkout)).isEmpty
    let expected = head + (dirty ? "-dirty" : "")
    XCTAssertEqual(GitInfo.buildCheckout(), checkout, "the test binary sits under \(checkout)/.build*")
    XCTAssertEqual(GitInfo.buildCommit, expected)
    XCTAssertNil(GitInfo.buildCheckout(executable: "/usr/bin/env"), "a binary outside any checkout has none")

    // Started inside another repository (own commit) and outside any repository.
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("git-\(UUID().uuidString)").path
    let other = tmp + "/other-repo"
    try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: tmp) }
    _ = try git(["init", "-q"], in: other)
    _ = try git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"], in: other)
    let otherHead = try git(["rev-parse", "HEAD"], in: other)
    let cwd = FileManager.default.currentDirectoryPath
    defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
    let registry = try Registry(path: tmp + "/reg.sqlite")
    for place in [other, tmp] {
      XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(place))
      let loaded = try ConfigLoader.load(file: nil)
      let h = try registry.startRun(loaded.runSpec(name: "where", kind: "train"))
      try h.finish()
      let run = try registry.run(h.runId)
      XCTAssertEqual(run.gitCommit, expected, "started in \(place)")
      XCTAssertNotEqual(run.gitCommit, otherHead)
      XCTAssertTrue(RunFormat.detail(try registry.detail(h.runId)).contains("  git commit   \(expected)\n"))
    }
  }
}
