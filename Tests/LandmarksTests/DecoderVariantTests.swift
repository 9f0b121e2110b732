// The decoder variants of the "decoded video that looks like video" work: the reference-frame skip
// (its parameters, that the reference frame reaches the image, that its encoder learns) and the
// perceptual term over EfficientNet-Lite0 features (its layer weights, a gradient to the image,
// the run failing by name when the ImageNet weights are absent).
import FeatureNetworks
import Foundation
import TensorEngine
import TestSupport
import XCTest

@testable import Landmarks

final class DecoderVariantTests: XCTestCase {
  static var skipConfig: ModelConfig {
    var c = LandmarkModelTests.tiny
    c.decoderSkip = "reference"
    c.skipChannels = 5
    return c
  }

  func testReferenceSkipAddsAnEncoderThatSPADEReads() throws {
    var rng = SeededRNG(seed: 1)
    let model = try LandmarkModel(config: Self.skipConfig, rng: &rng)
    let names = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.shape) })
    // Five levels S … S/16, 3 → 5 channels then 5 → 5.
    XCTAssertEqual(names["image_decoder.reference_encoder.level_0.weight"], [5, 3, 3, 3])
    XCTAssertEqual(names["image_decoder.reference_encoder.level_4.weight"], [5, 5, 3, 3])
    XCTAssertNil(names["image_decoder.reference_encoder.level_5.weight"])
    // SPADE's shared conv reads K heatmaps + 5 reference channels.
    XCTAssertEqual(names["image_decoder.head_0.norm_0.mlp_shared.0.weight"], [4, 3 + 5, 3, 3])
    var plain = LandmarkModelTests.tiny
    plain.decoderSkip = "none"
    var rng2 = SeededRNG(seed: 1)
    let none = try LandmarkModel(config: plain, rng: &rng2)
    XCTAssertFalse(none.namedParameters().contains { $0.0.contains("reference_encoder") })
    XCTAssertFalse(none.decodesWithReference)
    XCTAssertTrue(model.decodesWithReference)
  }

  func testTheReferenceFrameReachesTheImageAndItsEncoderLearns() throws {
    var rng = SeededRNG(seed: 2)
    let model = try LandmarkModel(config: Self.skipConfig, rng: &rng)
    model.eval()
    let x = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &rng)
    let other = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &rng)
    let g = withNoGrad { model.encode(x) }
    let app = withNoGrad { model.appearance(of: x).vectors }
    let a = withNoGrad { model.decode(mu: g.mu, covariance: g.covariance, appearance: app, reference: x).image }
    let b = withNoGrad { model.decode(mu: g.mu, covariance: g.covariance, appearance: app, reference: other).image }
    // Same landmarks and appearance vectors, another reference frame: another (finite) image.
    assertAllFinite(a.values, "decoded with the reference")
    assertAllFinite(b.values, "decoded with another reference")
    XCTAssertGreaterThan(closeness(a, b, .absolute(1e-6)).worst, 1e-4, "the reference frame changed nothing in the decoded image")
    // Training: the reference encoder's first conv gets a finite, non-zero gradient.
    model.train()
    let out = model(pose: x, appearance: other)
    Tensor.mseLoss(out.reconstruction, x).backward()
    let w = try XCTUnwrap(model.namedParameters().first { $0.0 == "image_decoder.reference_encoder.level_0.weight" }?.1)
    let grad = try XCTUnwrap(w.grad, "no gradient reached the reference encoder")
    assertAllFinite(grad.values, "reference encoder gradient")
    XCTAssertGreaterThan(grad.values.map { abs($0) }.max() ?? 0, 0)
  }

  func testReferencePoseReadsTheReferenceLandmarks() throws {
    var config = Self.skipConfig
    config.decoderSkip = "reference-pose"
    var rng = SeededRNG(seed: 5)
    let model = try LandmarkModel(config: config, rng: &rng)
    // The encoder's first conv reads the image and the reference's K heatmaps.
    let names = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.shape) })
    XCTAssertEqual(names["image_decoder.reference_encoder.level_0.weight"], [5, 3 + config.nLandmarks, 3, 3])
    XCTAssertTrue(model.decodesWithReferencePose)
    model.eval()
    let x = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &rng)
    let g = withNoGrad { model.encode(x) }
    let (app, refLandmarks) = withNoGrad { model.appearance(of: x) }
    // Same target landmarks, appearance vectors and reference image; the reference's own
    // landmarks moved: another image.
    let moved = Tensor(refLandmarks.mu.values.map { max(-1, min(1, $0 + 0.3)) }, shape: refLandmarks.mu.shape)
    let a = withNoGrad {
      model.decode(mu: g.mu, covariance: g.covariance, appearance: app, reference: x, referencePose: (refLandmarks.mu, refLandmarks.covariance)).image
    }
    let b = withNoGrad {
      model.decode(mu: g.mu, covariance: g.covariance, appearance: app, reference: x, referencePose: (moved, refLandmarks.covariance)).image
    }
    assertAllFinite(a.values, "decoded with the reference's landmarks")
    assertAllFinite(b.values, "decoded with moved reference landmarks")
    XCTAssertGreaterThan(
      closeness(a, b, .absolute(1e-6)).worst, 1e-4, "the reference's landmarks changed nothing in the decoded image")
  }

  func testSkipNeedsSPADE() {
    var c = Self.skipConfig
    c.disableSpade = true
    XCTAssertEqual(c.problems(), ["decoder_skip: reference feeds SPADE; it needs disable_spade: false"])
  }

  func testEffNetPerceptualTermWeightsTapsAndPassesAGradient() throws {
    let net = EfficientNetLite0(seed: 3)  // random weights: the loss's plumbing, not ImageNet
    let loss = PerceptualLoss(network: net, taps: EfficientNetLite0.featureNames.count, reducedWeights: true)
    // Six taps, 2^-(n-i+2) (1/128 … 1/4), then the image at 1 — VGG19's rule gives its 1/32 … 1/4, 1.
    assertClose(loss.layerWeights.map(Double.init), [1.0 / 128, 1.0 / 64, 1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1], .absolute(0), "weights")
    var rngV = SeededRNG(seed: 0)
    assertClose(
      PerceptualLoss(features: VGG19Features(widths: [4, 4, 4, 4], rng: &rngV)).layerWeights.map(Double.init),
      [1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1], .absolute(0), "VGG19 weights unchanged")
    var rng = SeededRNG(seed: 4)
    let y = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &rng)
    let x = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &rng)
    x.requiresGrad = true
    let l = loss(x, y)
    XCTAssertTrue(l.item.isFinite && l.item > 0, "\(l.item)")
    l.backward()
    let g = try XCTUnwrap(x.grad)
    assertAllFinite(g.values, "gradient to the image")
    XCTAssertGreaterThan(g.values.map { abs($0) }.max() ?? 0, 0)
    // The network stays frozen: the backward pass reached the image, not its weights.
    XCTAssertTrue(net.parameters.allSatisfy { $0.grad == nil }, "the perceptual term trained the feature network")
  }

  func testEffNetPerceptualTermWithoutWeightsNamesThePath() throws {
    let dir = NSTemporaryDirectory() + "no-weights-\(UUID().uuidString)"
    setenv("LMLAB_CACHE", dir, 1)
    defer { unsetenv("LMLAB_CACHE") }
    var c = TrainerConfig()
    c.useVgg = true
    c.perceptualNet = "effnet-lite0"
    XCTAssertThrowsError(try PerceptualLoss.forTraining(c, seed: 0, warn: { _ in })) { e in
      XCTAssertTrue("\(e)".contains(dir + "/weights/efficientnet-lite0"), "\(e)")
      XCTAssertTrue("\(e)".contains("scripts/fetch-weights.sh"), "\(e)")
    }
  }
}
