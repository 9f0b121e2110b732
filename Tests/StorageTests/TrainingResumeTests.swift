// A run resumed from a checkpoint (parameters, buffers, Adam state, RNG words) continues
// bit-identically to one that was never interrupted.
import Foundation
import Storage
import TensorEngine
import XCTest

final class TrainingResumeTests: XCTestCase {
  final class Tiny: Module {
    let conv: SpectralNormConv2d
    let head: Linear
    init(rng: inout SeededRNG) {
      conv = SpectralNormConv2d(3, 4, kernel: 3, padding: 1, rng: &rng)
      head = Linear(4 * 6 * 6, 2, rng: &rng)
      super.init()
      child("conv", conv)
      child("head", head)
    }
    func callAsFunction(_ x: Tensor) -> Tensor { head(conv(x).instanceNorm().leakyRelu(0.2).reshaped([x.shape[0], -1])) }
  }

  /// One step on a batch drawn from `data` (the data RNG is part of the saved state).
  func step(_ model: Tiny, _ opt: Adam, _ data: inout SeededRNG) -> Float {
    let x = Tensor.normal([2, 3, 6, 6], rng: &data)
    let y = Tensor.normal([2, 2], rng: &data)
    opt.zeroGrad()
    let loss = Tensor.mseLoss(model(x), y)
    loss.backward()
    clipGradNorm(model.parameters, maxNorm: 1)
    opt.step()
    return loss.item
  }

  func testResumeContinuesBitIdentically() throws {
    var initRNG = SeededRNG(seed: 7)
    let a = Tiny(rng: &initRNG)
    let optA = Adam(a.namedParameters(), lr: 1e-2, weightDecay: 5e-6)
    var dataA = SeededRNG(seed: 8)
    var lossesA: [Float] = []
    for _ in 0..<5 { lossesA.append(step(a, optA, &dataA)) }

    var initRNG2 = SeededRNG(seed: 7)
    let b = Tiny(rng: &initRNG2)
    let optB = Adam(b.namedParameters(), lr: 1e-2, weightDecay: 5e-6)
    var dataB = SeededRNG(seed: 8)
    var lossesB: [Float] = []
    for _ in 0..<3 { lossesB.append(step(b, optB, &dataB)) }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("step3.h5").path
    let (optTensors, optStep) = optB.stateDict()
    var ckpt = Checkpoint(
      module: b, optimizer: optTensors, optimizerAttributes: ["step": Int64(optStep)], config: "{\"lr\": 0.01}", step: 3)
    ckpt.setState("data_rng", words: dataB.stateWords)
    try ckpt.write(to: path)

    // A fresh process would build everything anew from another seed, then load.
    var otherRNG = SeededRNG(seed: 12345)
    let c = Tiny(rng: &otherRNG)
    let optC = Adam(c.namedParameters(), lr: 1e-2, weightDecay: 5e-6)
    let loaded = try c.load(from: path)
    try optC.loadStateDict(loaded.optimizerDictionary, step: Int(loaded.optimizerAttributes["step"] ?? 0))
    var dataC = SeededRNG(state: try XCTUnwrap(loaded.stateWords("data_rng")))
    XCTAssertEqual(loaded.step, 3)
    for _ in 0..<2 { lossesB.append(step(c, optC, &dataC)) }

    XCTAssertEqual(lossesA.map(\.bitPattern), lossesB.map(\.bitPattern), "losses \(lossesA) vs \(lossesB)")
    for ((name, pa), (_, pc)) in zip(a.stateDict(), c.stateDict()) {
      XCTAssertEqual(pa.values.map(\.bitPattern), pc.values.map(\.bitPattern), "\(name) differs after resume")
    }
  }
}
