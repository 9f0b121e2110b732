// The trainer's loss paths as a whole, beyond the per-piece parity tests: with MSE + VGG + GAN
// on, the generator's total is the weighted sum of its terms, and the discriminator's update
// uses the gradient of its own LSGAN loss alone (the generator's backward also reaches D's
// parameters; the trainer must start D's step from zero).
import Foundation
import TensorEngine
import TestSupport
import XCTest

@testable import Landmarks

final class TrainerLossPathTests: XCTestCase {
  func testGANAndVGGStep() throws {
    var rng = SeededRNG(seed: 5)
    let model = try LandmarkModel(config: LandmarkModelTests.tiny, rng: &rng)
    var tc = TrainerConfig()
    tc.useGan = true
    tc.ndf = 4
    tc.numD = 2
    tc.nLayersD = 2
    tc.useVgg = true
    tc.vggLambda = 2
    tc.mseLambda = 1
    tc.ganLambda = 0.5
    tc.learningRate = 1e-3
    let features = try VGG19Features.load(path: try LandmarkFixture.path("vgg19_slim"))
    let seed: UInt64 = 9
    let trainer = try LandmarkTrainer(
      model: model, config: tc, perceptual: PerceptualLoss(features: features, reducedWeights: true), seed: seed)
    var drng = SeededRNG(seed: 21)
    let pose = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &drng)
    let appearance = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &drng)
    let target = Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &drng)
    // The trainer's discriminator before the step: the same seeded initialisation.
    var initRNG = SeededRNG(seed: seed ^ 0x6469_7363)
    let d0 = MultiscaleDiscriminator(ndf: 4, layers: 2, numD: 2, rng: &initRNG)
    for ((name, a), (_, b)) in zip(d0.namedParameters(), trainer.discriminator!.namedParameters()) {
      XCTAssertEqual(a.values, b.values, "initial \(name)")
    }

    let r = trainer.step(pose: pose, appearance: appearance, target: target)
    XCTAssertTrue(r.applied)
    let l = r.losses
    let (mse, vgg, ganG, ganD) = (try XCTUnwrap(l.mse), try XCTUnwrap(l.vgg), try XCTUnwrap(l.ganG), try XCTUnwrap(l.ganD))
    XCTAssertEqual(l.total, mse + 2 * vgg + 0.5 * ganG, accuracy: 1e-5 * abs(l.total))

    // D's loss at its pre-step weights on the target and this step's reconstruction.
    let fake = r.output.reconstruction.detached()
    let ld = (GANLoss.lsgan(d0(target), real: true) + GANLoss.lsgan(d0(fake), real: false)) * 0.5
    XCTAssertEqual(ganD, ld.item, accuracy: 1e-5 * abs(ld.item))
    ld.backward()
    // After one Adam step exp_avg = (1 − β1)·(g + wd·p): the gradient D was updated with.
    let state = Dictionary(uniqueKeysWithValues: trainer.optimizerD!.stateDict().tensors.map { ($0.0, $0.1) })
    let wd = Float(tc.weightDecay)
    var compared = 0
    for (name, p0) in d0.namedParameters() {
      let g = try XCTUnwrap(p0.grad, name)
      let m = try XCTUnwrap(state[name + ".exp_avg"], name)
      let expected = zip(g.values, p0.values).map { 0.1 * ($0 + wd * $1) }
      XCTAssertTrue(expected.contains { $0 != 0 }, "D \(name): its gradient is zero")
      // 1e-4 of the largest entry: the same float32 gradient computed twice (trainer, here).
      assertClose(m.values, expected, .scaled(1e-4), "D \(name): exp_avg vs its own loss's gradient")
      compared += 1
    }
    XCTAssertEqual(compared, d0.namedParameters().count)
    XCTAssertGreaterThan(compared, 0)
  }

  func testTheLastStepsGradientsAreGoneDuringTheForwardPass() throws {
    // Memory plan: a step's gradients are dropped before the next forward pass (not kept beside
    // its activations at the peak); the updates still see this step's gradients.
    var rng = SeededRNG(seed: 6)
    let model = try LandmarkModel(config: LandmarkModelTests.tiny, rng: &rng)
    var tc = TrainerConfig()
    tc.useGan = true
    tc.ndf = 4
    tc.numD = 1
    tc.nLayersD = 1
    tc.useVgg = false
    let trainer = try LandmarkTrainer(model: model, config: tc, seed: 3)
    var heldAfterForward: [Int] = []
    trainer.lossInjection = { _ in
      heldAfterForward.append((model.parameters + trainer.discriminator!.parameters).filter { $0.grad != nil }.count)
      return 0
    }
    var drng = SeededRNG(seed: 22)
    let images = (0..<3).map { _ in Tensor.uniform([2, 3, 32, 32], -1, 1, rng: &drng) }
    for _ in 0..<2 {
      XCTAssertTrue(trainer.step(pose: images[0], appearance: images[1], target: images[2]).applied)
      XCTAssertTrue(model.parameters.allSatisfy { $0.grad != nil }, "the update's gradients are there after the step")
    }
    XCTAssertEqual(heldAfterForward, [0, 0], "parameters holding a gradient after the forward pass of each step")
  }
}
