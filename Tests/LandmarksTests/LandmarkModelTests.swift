// Unit checks of the landmark model around the parity tests: config validation and JSON,
// parameter names, strict loading, checkpoint round trip, Gaussian fit and heatmaps on known
// inputs, the fixed-covariance path, VGG weight loading, the encode/decode API.
import Foundation
import Storage
import TensorEngine
import XCTest

@testable import Landmarks

final class LandmarkModelTests: XCTestCase {
  static var tiny: ModelConfig {
    var c = ModelConfig()
    c.imgSize = 32
    c.nLandmarks = 3
    c.nsf = 2
    c.naf = 2
    c.ngc = 4
    c.nFilters = 4
    c.poseDecoderChannels = [8, 8, 8]
    c.spadeHidden = 4
    return c
  }

  func testConfigValidationNamesTheKey() {
    var c = Self.tiny
    c.imgSize = 40
    XCTAssertThrowsError(try c.validate()) { e in
      XCTAssertEqual(
        e as? ModelConfigError, .invalid(reason: "img_size must be divisible by 16, got 40"))
    }
    c = Self.tiny
    c.poseDecoderChannels = [8, 8]
    XCTAssertThrowsError(try c.validate()) { e in XCTAssertTrue("\(e)".contains("pose_decoder_channels")) }
    var rng = SeededRNG(seed: 0)
    c = Self.tiny
    c.ngc = 1
    XCTAssertThrowsError(try LandmarkModel(config: c, rng: &rng)) { e in XCTAssertTrue("\(e)".contains("ngc"))
    }
  }

  func testConfigJSONRoundTripAndDefaults() throws {
    let c = Self.tiny
    XCTAssertEqual(try ModelConfig.fromJSON(c.jsonString()), c)
    XCTAssertTrue(c.jsonString().contains("\"n_landmarks\":3"))
    // Missing keys keep the reference defaults; other run options are ignored.
    let d = try ModelConfig.fromJSON(#"{"n_landmarks": 10, "batch_size": 8}"#)
    XCTAssertEqual(d.nLandmarks, 10)
    XCTAssertEqual(d.poseDecoderChannels, [512, 256, 128])
    XCTAssertEqual(d.spadeHidden, 128)
    XCTAssertThrowsError(try ModelConfig.fromJSON(#"{"n_landmarks": "ten"}"#))
  }

  func testReferenceParameterNames() throws {
    var rng = SeededRNG(seed: 0)
    let model = try LandmarkModel(config: Self.tiny, rng: &rng)
    let keys = Set(model.stateDict().map(\.0))
    for k in [
      "shape_encoder.encoder_layers.0.0.0.weight", "shape_encoder.encoder_layers.0.2.1.0.bias",
      "shape_encoder.encoder_layers.3.1.0.weight", "shape_encoder.decoder_layers.0.0.weight",
      "shape_encoder.decoder_layers.1.2.0.weight", "shape_encoder.decoder_layers.3.0.0.0.weight",
      "shape_encoder.decoder_layers.3.1.weight", "shape_encoder.skip_convs.2.0.bias",
      "appearance_encoder.decoder_layers.1.1.weight", "image_decoder.fc.weight",
      "image_decoder.head_0.conv_0.weight_orig", "image_decoder.head_0.conv_0.weight_u",
      "image_decoder.head_0.norm_0.mlp_shared.0.weight", "image_decoder.up_0.conv_s.weight_v",
      "image_decoder.up_0.norm_s.mlp_gamma.bias", "image_decoder.up_4.norm_1.mlp_beta.weight",
      "image_decoder.conv_img.weight",
    ] {
      XCTAssertTrue(keys.contains(k), "missing \(k)")
    }
    XCTAssertFalse(keys.contains("image_decoder.up_0.conv_s.bias"))
    XCTAssertFalse(keys.contains("image_decoder.head_0.conv_s.weight_orig"), "head_0 has no learned shortcut")
    // Initialization (DESIGN §2): biases 0.1.
    let bias = model.stateDict().first { $0.0 == "image_decoder.fc.bias" }!.1
    XCTAssertEqual(bias.values, [Float](repeating: 0.1, count: bias.count))
  }

  func testStrictLoadingNamesTheTensor() throws {
    var rng = SeededRNG(seed: 0)
    let model = try LandmarkModel(config: Self.tiny, rng: &rng)
    var dict = Dictionary(uniqueKeysWithValues: model.stateDict())
    dict["image_decoder.up_9.conv_0.bias"] = Tensor(zeros: [1])
    XCTAssertThrowsError(try model.loadStateDict(dict)) { e in
      XCTAssertEqual(e as? StateDictError, .unexpected(key: "image_decoder.up_9.conv_0.bias"))
    }
    dict["image_decoder.up_9.conv_0.bias"] = nil
    dict["image_decoder.head_0.conv_1.weight_u"] = nil
    XCTAssertThrowsError(try model.loadStateDict(dict)) { e in
      XCTAssertEqual(e as? StateDictError, .missing(key: "image_decoder.head_0.conv_1.weight_u"))
    }
  }

  func testCheckpointRoundTrip() throws {
    var rng = SeededRNG(seed: 3)
    let a = try LandmarkModel(config: Self.tiny, rng: &rng)
    let b = try LandmarkModel(config: Self.tiny, rng: &rng)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("lm-\(UUID().uuidString).h5")
      .path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try a.save(to: path, config: a.config.jsonString(), step: 7)
    let ckpt = try b.load(from: path)
    XCTAssertEqual(ckpt.step, 7)
    XCTAssertEqual(try ModelConfig.fromJSON(ckpt.config), a.config)
    let x = Tensor.uniform([1, 3, 32, 32], -1, 1, rng: &rng)
    a.eval()
    b.eval()
    let ya = withNoGrad { a(pose: x, appearance: x).reconstruction }
    let yb = withNoGrad { b(pose: x, appearance: x).reconstruction }
    XCTAssertEqual(ya.values, yb.values)
  }

  func testGaussianFitOfAPeakedMap() {
    // One landmark with all its mass at row 3, column 5 of an 8×8 grid (S = 16): μ = (-1 + 4·5/16,
    // -1 + 4·3/16), Σ ≈ 0. A second one uniform: μ = mean of the grid, Σ = its variance.
    var logits = [Float](repeating: 0, count: 2 * 64)
    logits[3 * 8 + 5] = 60
    let g = LandmarkGeometry.fit(logits: Tensor(logits, shape: [1, 2, 8, 8]))
    XCTAssertEqual(g.mu.values[0], -1 + 20 / 16, accuracy: 1e-5)
    XCTAssertEqual(g.mu.values[1], -1 + 12 / 16, accuracy: 1e-5)
    XCTAssertEqual(g.covariance.values[0], 0, accuracy: 1e-5)
    let mean: Float = -1 + 0.25 * 3.5
    XCTAssertEqual(g.mu.values[2], mean, accuracy: 1e-5)
    var v: Float = 0
    for j in 0..<8 { v += pow(-1 + 0.25 * Float(j) - mean, 2) / 8 }
    XCTAssertEqual(g.covariance.values[4], v, accuracy: 1e-5)
    XCTAssertEqual(g.covariance.values[5], 0, accuracy: 1e-6)
    XCTAssertEqual(g.covariance.values[7], v, accuracy: 1e-5)
    // Fixed covariance replaces Σ, keeps μ.
    let f = LandmarkGeometry.fit(logits: Tensor(logits, shape: [1, 2, 8, 8]), fixedCovariance: 0.05)
    XCTAssertEqual(f.mu.values, g.mu.values)
    XCTAssertEqual(f.covariance.values, [0.05, 0, 0, 0.05, 0.05, 0, 0, 0.05])
  }

  func testHeatmapEquation5() {
    // μ on grid point (i 4, j 6) of a 16-grid: value 1 there; at distance d along x with Σ = σ²I,
    // 1 / (1 + d²/σ²).
    let s = 16
    let mu = Tensor([-1 + 2 * 6 / Float(s), -1 + 2 * 4 / Float(s)], shape: [1, 1, 2])
    let cov = LandmarkGeometry.identityCovariance(batch: 1, landmarks: 1, value: 0.04)
    let h = LandmarkGeometry.heatmaps(mu: mu, covariance: cov, size: s)
    XCTAssertEqual(h.shape, [1, 1, s, s])
    XCTAssertEqual(h.values[4 * s + 6], 1, accuracy: 1e-6)
    let d: Float = 2 * 3 / Float(s)
    XCTAssertEqual(h.values[4 * s + 9], 1 / (1 + d * d / 0.04), accuracy: 1e-5)
  }

  func testEncodeAndDecodeAPI() throws {
    var rng = SeededRNG(seed: 5)
    var c = Self.tiny
    c.useIdentityCovariance = true
    c.fixedCovar = 0.02
    let model = try LandmarkModel(config: c, rng: &rng)
    model.eval()
    let x = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &rng)
    let (g, app, image) = withNoGrad { () -> (GaussianLandmarks, Tensor, Tensor) in
      let g = model.encode(x)
      let (app, _) = model.appearance(of: x)
      return (g, app, model.decode(mu: g.mu, covariance: g.covariance, appearance: app).image)
    }
    XCTAssertEqual(g.mu.shape, [2, 3, 2])
    XCTAssertEqual(g.covariance.values[0], 0.02, accuracy: 1e-7)
    XCTAssertEqual(g.maps?.shape, [2, 3, 16, 16])
    XCTAssertEqual(app.shape, [2, 3, 4])
    XCTAssertEqual(image.shape, [2, 3, 32, 32])
    // The same as the training forward on (x, x).
    let out = withNoGrad { model(pose: x, appearance: x) }
    XCTAssertEqual(out.reconstruction.values, image.values)
    XCTAssertFalse(out.reconstruction.requiresGrad)
  }

  func testVGGLoadIsStrictAndReportsRandomWeights() throws {
    let path = try LandmarkFixture.path("vgg19_slim")
    let vgg = try VGG19Features.load(path: path)
    XCTAssertTrue(vgg.isRandom, "the fixture is marked random_weights = 1")
    XCTAssertEqual(vgg.parameters.count, 0, "VGG weights are frozen buffers")
    // A file without the first conv is refused by name.
    let bad = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-\(UUID().uuidString).h5")
      .path
    defer { try? FileManager.default.removeItem(atPath: bad) }
    let f = try HDF5File(path: bad, mode: .create)
    try f.write("features.2.weight", tensor: Tensor(zeros: [4, 4, 3, 3]))
    try f.close()
    XCTAssertThrowsError(try VGG19Features.load(path: bad)) { e in
      XCTAssertTrue("\(e)".contains("features.0.weight"), "\(e)")
    }
  }
}
