// LPIPS against the `lpips` package (float64 reference, same random backbone, calibrated lins),
// strict weight loading, and the no-weights message.
import Foundation
import EvalMetrics
import Storage
import TensorEngine
import TestSupport
import XCTest

final class LPIPSTests: XCTestCase {
  private func check(_ net: LPIPSNet) throws {
    let model = try LPIPSModel(contentsOf: try metricsFixture("lpips_\(net.rawValue).h5"), net: net)
    XCTAssertEqual(model.metricName, "lpips-\(net.rawValue)-randombackbone")
    XCTAssertFalse(model.isCalibrated)
    for size in [64, 128] {
      let f = try ImageFixture(size: size)
      let scores = lpipsDistance(reference: f.reference, predicted: f.distorted, model: model)
      XCTAssertEqual(scores.direction, .lowerIsBetter)
      XCTAssertEqual(scores.version, "lpips-v0.1")
      let c = assertClose(scores.values, try f.expected("lpips_\(net.rawValue)"), .relative(1e-4), "lpips \(net) s\(size)")
      XCTAssertEqual(c.count, ImageFixture.frames, "lpips \(net) s\(size): frames compared")
    }
  }

  /// AlexNet LPIPS within 1e-4 relative of lpips.LPIPS(net='alex') at 64 and 128 px.
  func testAlexMatchesLPIPSPackage() throws { try check(.alex) }
  /// VGG16 LPIPS within 1e-4 relative.
  func testVGGMatchesLPIPSPackage() throws { try check(.vgg) }
  /// SqueezeNet1.1 LPIPS (ceil-mode pooling, Fire modules) within 1e-4 relative.
  func testSqueezeMatchesLPIPSPackage() throws { try check(.squeeze) }

  /// Identical frames score 0.
  func testIdenticalFramesScoreZero() throws {
    let model = try LPIPSModel(contentsOf: try metricsFixture("lpips_squeeze.h5"), net: .squeeze)
    let f = try ImageFixture(size: 64)
    let scores = lpipsDistance(reference: f.reference, predicted: f.reference, model: model).values
    assertClose(scores, [Double](repeating: 0, count: ImageFixture.frames), .absolute(1e-9), "LPIPS of identical frames")
  }

  /// A file for another net, or with a missing/extra tensor, is refused naming the key.
  func testStrictLoading() throws {
    let alex = try metricsFixture("lpips_alex.h5")
    XCTAssertThrowsError(try LPIPSModel(contentsOf: alex, net: .vgg)) { error in
      XCTAssertTrue("\(error)".contains("alex"), "\(error)")
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lpips-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try HDF5File(path: alex)
    let path = dir.appendingPathComponent("broken.h5").path
    let dst = try HDF5File(path: path, mode: .create)
    for key in try src.datasetPaths() where !key.contains("slice3.6.bias") {
      try dst.write(key, tensor: try src.readTensor(key))
    }
    for a in ["metric", "version", "net", "backbone", "lin"] {
      try dst.writeAttribute(a, string: try src.readStringAttribute(a))
    }
    try dst.close()
    XCTAssertThrowsError(try LPIPSModel(contentsOf: path, net: .alex)) { error in
      XCTAssertTrue("\(error)".contains("net.slice3.6.bias"), "\(error)")
    }
  }

  /// With no weights file the metric is unavailable and the message says how to make one.
  func testMissingWeightsMessage() {
    XCTAssertThrowsError(try LPIPSModel.locate(net: .vgg, explicit: "/nonexistent/dir")) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("export_lpips_weights.py"), text)
      XCTAssertTrue(text.contains("lpips-vgg is unavailable"), text)
      XCTAssertTrue(text.contains("/nonexistent/dir/lpips_vgg.h5"), text)
    }
  }

  /// Without --lpips-weights the message names both default places, $LMLAB_LPIPS_WEIGHTS and
  /// weights/ in the working folder, and the export command with its required --out.
  func testMissingWeightsNamesTheDefaultPlaces() throws {
    let saved = ProcessInfo.processInfo.environment["LMLAB_LPIPS_WEIGHTS"]
    defer { if let saved { setenv("LMLAB_LPIPS_WEIGHTS", saved, 1) } else { unsetenv("LMLAB_LPIPS_WEIGHTS") } }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lpips-env-\(getpid())").path
    setenv("LMLAB_LPIPS_WEIGHTS", dir, 1)
    guard !FileManager.default.fileExists(atPath: "weights/lpips_squeeze.h5") else {
      throw XCTSkip("weights/lpips_squeeze.h5 exists in the working folder")
    }
    XCTAssertThrowsError(try LPIPSModel.locate(net: .squeeze)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("$LMLAB_LPIPS_WEIGHTS \(dir)/lpips_squeeze.h5"), text)
      XCTAssertTrue(text.contains("weights/lpips_squeeze.h5 in the working folder"), text)
      XCTAssertTrue(text.contains("--net squeeze --out weights/lpips_squeeze.h5"), text)
      XCTAssertTrue(text.contains("torchvision"), text)
    }
    unsetenv("LMLAB_LPIPS_WEIGHTS")
    XCTAssertThrowsError(try LPIPSModel.locate(net: .squeeze)) { error in
      XCTAssertTrue("\(error)".contains("$LMLAB_LPIPS_WEIGHTS (not set)"), "\(error)")
    }
  }
}
