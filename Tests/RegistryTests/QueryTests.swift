// --where parsing and compilation, listings, show, compare, CSV export.
import Foundation
import XCTest

@testable import Registry

final class WhereParserTests: XCTestCase {
  func testParsesTheIssueExample() throws {
    let e = try WhereExpr.parse("n_landmarks=30 and status=finished and metric.keypoint_acc>0.7")
    XCTAssertEqual(
      e,
      .and(
        .and(
          .compare(.param("n_landmarks"), .eq, .number(30)),
          .compare(.column("status"), .eq, .text("finished"))),
        .compare(.metric("keypoint_acc", .last), .gt, .number(0.7))))
    let (sql, args) = try e.sql()
    XCTAssertFalse(sql.contains("30"), "values must be bound, not pasted: \(sql)")
    XCTAssertEqual(args.count, 5)
  }

  func testPrecedenceParensNotAndOperators() throws {
    let e = try WhereExpr.parse(
      "not (a=1 or b!=2) and c<=1e-4 and d >= -3 and name~'my run' and use_gan=true")
    guard case .and(.and(.and(.and(.not(.or), _), _), _), .compare(.param("use_gan"), .eq, .bool(true))) = e
    else {
      return XCTFail("\(e)")
    }
    XCTAssertEqual(
      try WhereExpr.parse("best.lpips<0.2"), .compare(.metric("lpips", .best), .lt, .number(0.2)))
    XCTAssertEqual(try WhereExpr.parse("param.seed = 3"), .compare(.param("seed"), .eq, .number(3)))
    XCTAssertEqual(
      try WhereExpr.parse("experiment=\"sweep k\""), .compare(.experiment, .eq, .text("sweep k")))
  }

  func assertMalformed(
    _ text: String, column: Int, _ fragment: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertThrowsError(try WhereExpr.parse(text), file: file, line: line) { error in
      guard case RegistryError.malformedExpression(_, let col, let msg) = error else {
        return XCTFail("\(error)", file: file, line: line)
      }
      XCTAssertEqual(col, column, msg, file: file, line: line)
      XCTAssertTrue(msg.contains(fragment), msg, file: file, line: line)
      XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
    }
  }

  func testMalformedExpressionsNameTheColumn() {
    assertMalformed("n_landmarks=30 and", column: 19, "expected a field name")
    assertMalformed("n_landmarks 30", column: 13, "expected an operator")
    assertMalformed("n_landmarks>", column: 12, "expected a value after '>'")
    assertMalformed("(a=1 or b=2", column: 12, "expected ')'")
    assertMalformed("a=1 b=2", column: 5, "expected 'and', 'or'")
    assertMalformed("a='x", column: 3, "unterminated")
    assertMalformed("a=1 & b=2", column: 5, "unexpected character '&'")
    assertMalformed("a ! 3", column: 3, "'!' must be followed")
    assertMalformed("", column: 1, "empty")
  }

  func testStatusTypoIsNamed() {
    XCTAssertThrowsError(try WhereExpr.parse("status=finised").sql()) {
      XCTAssertEqual("\($0)", "unknown field 'status 'finised'' (did you mean 'finished'?)")
    }
  }

  func testSortKeys() throws {
    XCTAssertEqual(
      try SortKey.parse("-metric.loss"), SortKey(field: .metric("loss", .last), descending: true))
    XCTAssertEqual(try SortKey.parse("n_landmarks"), SortKey(field: .param("n_landmarks"), descending: false))
    XCTAssertThrowsError(try SortKey.parse("-"))
  }

  func testEditDistance() {
    XCTAssertEqual(editDistance("n_landmark", "n_landmarks"), 1)
    XCTAssertEqual(editDistance("kitten", "sitting"), 3)
    XCTAssertEqual(nearestName("n_landmakrs", among: ["nsf", "n_landmarks", "naf"]), "n_landmarks")
    XCTAssertNil(nearestName("zzzzzzzz", among: ["nsf"]))
  }
}

final class QueryTests: XCTestCase {
  func testFilteredListing() throws {
    try forEachBackend { backend in
      let r = try seededRegistry(freshLocation(backend, "r"))
      let l = try r.listRuns(
        filter: WhereExpr.parse("n_landmarks=30 and status=finished and metric.keypoint_acc>0.7"))
      XCTAssertEqual(l.runs.map(\.id), [4])
      XCTAssertEqual(l.extraFields.map(\.label), ["n_landmarks", "metric.keypoint_acc"])
      XCTAssertEqual(l.extraValues[4]?["metric.keypoint_acc"], "0.8")
      XCTAssertEqual(try r.listRuns(filter: WhereExpr.parse("use_gan=true")).runs.map(\.id), [5, 3, 1])
      XCTAssertEqual(
        try r.listRuns(filter: WhereExpr.parse("experiment=sweep-k or status=failed")).totalMatching, 4)
      XCTAssertEqual(try r.listRuns(filter: WhereExpr.parse("not dataset=synthetic")).totalMatching, 0)
      XCTAssertEqual(try r.listRuns(filter: WhereExpr.parse("best.loss<=3")).runs.map(\.id), [3, 2, 1])
      XCTAssertEqual(try r.listRuns(filter: WhereExpr.parse("name~run")).totalMatching, 5)
      XCTAssertEqual(try r.listRuns(filter: WhereExpr.parse("learning_rate<0.001")).totalMatching, 5)
    }
  }

  func testSortAndLimit() throws {
    try forEachBackend { backend in
      let r = try seededRegistry(freshLocation(backend, "r"))
      let l = try r.listRuns(sort: [SortKey.parse("-metric.keypoint_acc")], limit: 2)
      XCTAssertEqual(l.runs.map(\.id), [5, 4])
      XCTAssertEqual(l.totalMatching, 5)
      XCTAssertEqual(
        try r.listRuns(sort: [SortKey.parse("n_landmarks")], limit: 0).runs.map(\.id), [1, 2, 4, 3, 5])
      let text = RunFormat.listing(l)
      XCTAssertTrue(text.hasPrefix("ID  STATUS"), text)
      XCTAssertTrue(text.hasSuffix("(2 of 5 matching runs)"), text)
    }
  }

  func testUnknownFieldsNameTheNearest() throws {
    try forEachBackend { backend in
      let r = try seededRegistry(freshLocation(backend, "r"))
      XCTAssertThrowsError(try r.listRuns(filter: WhereExpr.parse("n_landmark=30"))) {
        XCTAssertEqual("\($0)", "unknown field 'n_landmark' (did you mean 'n_landmarks'?)")
      }
      XCTAssertThrowsError(try r.listRuns(filter: WhereExpr.parse("metric.keypoint_ac>1"))) {
        XCTAssertEqual("\($0)", "unknown field 'metric.keypoint_ac' (did you mean 'metric.keypoint_acc'?)")
      }
    }
  }

  func testShowAndCompare() throws {
    try forEachBackend { backend in
      let r = try seededRegistry(freshLocation(backend, "r"))
      let child = try r.createRun(RunSpec(name: "eval", kind: "evaluate", parentId: 3))
      let text = RunFormat.detail(try r.detail(3))
      for s in [
        "run 3  run3  [train-landmarks]  finished", "child    \(child.id)  eval", "n_landmarks: 30",
        "keypoint_acc",
      ] {
        XCTAssertTrue(text.contains(s), "'\(s)' missing:\n\(text)")
      }
      let all = try r.compare([1, 3], onlyChanged: false)
      XCTAssertTrue(all.contains("dataset"), all)
      let changed = try r.compare([1, 3], onlyChanged: true)
      XCTAssertFalse(changed.contains("dataset"), changed)
      XCTAssertTrue(changed.contains("n_landmarks"), changed)
      XCTAssertTrue(changed.contains("best.keypoint_acc"), changed)
      XCTAssertTrue(try r.compare([3, 4], onlyChanged: true).contains("last.loss"))
    }
  }

  /// RFC 4180 quoting, including a CRLF (one Swift Character, neither "\r" nor "\n").
  func testCSVFieldQuoting() {
    XCTAssertEqual(csvField("plain"), "plain")
    XCTAssertEqual(csvField("a,b"), "\"a,b\"")
    XCTAssertEqual(csvField("say \"hi\""), "\"say \"\"hi\"\"\"")
    XCTAssertEqual(csvField("line\nbreak"), "\"line\nbreak\"")
    XCTAssertEqual(csvField("crlf\r\nbreak"), "\"crlf\r\nbreak\"")
  }

  func testCSVExport() throws {
    try forEachBackend { backend in
      let dir = temporaryDirectory()
      let r = try seededRegistry(freshLocation(backend, "r"))
      try r.writeFrameScores([
        FrameScore(runId: 4, method: "ours, v2", sequence: "s\"1\"", frame: 3, metric: "ssim", value: 0.5)
      ])
      let report = try r.exportCSV(filter: WhereExpr.parse("n_landmarks=30"), to: dir + "/csv")
      let counts = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.file, $0.count) })
      XCTAssertEqual(counts["runs.csv"], 2)
      XCTAssertEqual(counts["params.csv"], 10)
      XCTAssertEqual(counts["series.csv"], 22)
      XCTAssertEqual(counts["frame_scores.csv"], 1)
      let scores = try String(contentsOfFile: dir + "/csv/frame_scores.csv", encoding: .utf8)
      XCTAssertEqual(
        scores, "run_id,method,sequence,frame,frame_index,metric,value\n4,\"ours, v2\",\"s\"\"1\"\"\",3,,ssim,0.5\n")
      let series = try String(contentsOfFile: dir + "/csv/series.csv", encoding: .utf8)
      XCTAssertTrue(series.hasPrefix("run_id,name,step,value,time\n3,keypoint_acc,10,0.7"), series)
    }
  }
}
