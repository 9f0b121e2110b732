// The residual LSTM against PyTorch (nn.LSTM + nn.Linear over a whole n + m schedule, forward
// and every gradient, 1e-5 scaled), its rollout against its own schedule, the state baselines,
// and an exact trainer resume.
import Foundation
import Storage
import TensorEngine
import TestSupport
import XCTest

@testable import Dynamics

final class ResidualLSTMTests: XCTestCase {
  func model(stateSize d: Int, hidden: Int, layers: Int, scale: Float = 1, seed: UInt64 = 1) -> ResidualLSTM {
    var rng = SeededRNG(seed: seed)
    return ResidualLSTM(stateSize: d, hidden: hidden, layers: layers, residualScale: scale, rng: &rng)
  }

  func testParityWithPyTorchSchedule() throws {
    let f = try DynamicsFixture("residual_lstm")
    var compared = 0
    for c in f.cases {
      let (d, h, nl) = (try f.int(c, "state_size"), try f.int(c, "hidden_size"), try f.int(c, "num_layers"))
      let n = try f.int(c, "n_inputs")
      let m = model(stateSize: d, hidden: h, layers: nl, scale: Float(try f.double(c, "residual_scale")))
      var dict: [String: Tensor] = [:]
      for (name, _) in m.namedParameters() { dict[name] = try f.tensor(c, name) }
      try m.loadStateDict(dict)
      let x = try f.tensor(c, "x")
      x.requiresGrad = true
      let pred = m.unroll(x, nInputs: n)
      assertClose(pred, try f.tensor(c, "out_pred"), .scaled(1e-5), "\(c) pred")
      let loss = m.scheduleLoss(x, nInputs: n)
      assertClose(loss, try f.tensor(c, "out_loss"), .scaled(1e-5), "\(c) loss")
      loss.backward()
      for (name, p) in m.namedParameters() { assertClose(p.grad, try f.tensor(c, "grad_\(name)"), .scaled(1e-5), "\(c) grad \(name)") }
      assertClose(x.grad, try f.tensor(c, "grad_x"), .scaled(1e-5), "\(c) grad x")
      compared += 1
    }
    XCTAssertEqual(compared, 4, "residual_lstm cases compared (\(f.cases))")
  }

  func testScheduleGradientsMatchFiniteDifferences() {
    // Float64-free check in float32: central differences on a few parameter entries.
    let m = model(stateSize: 5, hidden: 6, layers: 2, scale: 3)
    var rng = SeededRNG(seed: 9)
    let x = Tensor.normal([2, 5, 5], std: 0.3, rng: &rng)
    let loss = m.scheduleLoss(x, nInputs: 2)
    loss.backward()
    for (name, p) in m.namedParameters() {
      let g = p.grad!
      for idx in [0, p.count / 2, p.count - 1] {
        let orig = p.data[idx]
        let eps: Float = 1e-2
        p.data[idx] = orig + eps
        let up = withNoGrad { m.scheduleLoss(x, nInputs: 2).item }
        p.data[idx] = orig - eps
        let down = withNoGrad { m.scheduleLoss(x, nInputs: 2).item }
        p.data[idx] = orig
        let fd = (up - down) / (2 * eps)
        XCTAssertEqual(g.data[idx], fd, accuracy: 2e-3 * max(1, abs(fd)), "\(name)[\(idx)]")
      }
    }
  }

  func testRolloutEqualsTheFreeRunningSchedule() {
    // A rollout from n context frames is the schedule with n inputs over n + M frames.
    let m = model(stateSize: 10, hidden: 8, layers: 3, scale: 10)
    var rng = SeededRNG(seed: 4)
    let window = Tensor.normal([3, 9, 10], std: 0.3, rng: &rng)
    let scheduled = withNoGrad { m.unroll(window, nInputs: 2) }  // predictions of frames 1..8
    let rolled = Rollout.lstm(m, context: window.slice(axis: 1, start: 0, end: 2), horizon: 7)
    let tail = scheduled.slice(axis: 1, start: 1, end: 8)  // frames 2..8
    XCTAssertEqual(rolled.shape, [3, 7, 10])
    for i in 0..<rolled.count { XCTAssertEqual(rolled.data[i], tail.data[i], accuracy: 1e-6) }
  }

  func testStateBaselines() {
    let ctx = Tensor([1, 2, 2, 4], shape: [1, 2, 2])  // s0 = (1, 2), s1 = (2, 4)
    XCTAssertEqual(Rollout.holdState(context: ctx, horizon: 2).values, [2, 4, 2, 4])
    XCTAssertEqual(Rollout.constantVelocity(context: ctx, horizon: 2).values, [3, 6, 4, 8])
  }

  func testLongRolloutStaysFinite() {
    // An untrained model is still a bounded recurrence: 250 steps stay finite and decodable.
    let m = model(stateSize: 15, hidden: 16, layers: 3, scale: 1)
    var rng = SeededRNG(seed: 2)
    let ctx = Tensor.normal([4, 2, 15], std: 0.2, rng: &rng)
    let r = Rollout.lstm(m, context: ctx, horizon: 250)
    XCTAssertEqual(r.shape, [4, 250, 15])
    let v = Rollout.validity(r, floor: 1e-3)
    XCTAssertTrue(v.isValid, "\(v)")
  }

  func testTrainerResumesExactly() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dyn-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var rng = SeededRNG(seed: 8)
    let batches = (0..<4).map { _ in Tensor.normal([4, 5, 10], std: 0.3, rng: &rng) }
    var config = DynamicsConfig()
    config.nInputs = 2
    config.nFuture = 3
    config.dynGradClip = 1
    let a = try DynamicsTrainer(model: model(stateSize: 10, hidden: 8, layers: 2), config: config)
    let straight = batches.map { a.step(windows: $0).loss }
    let b = try DynamicsTrainer(model: model(stateSize: 10, hidden: 8, layers: 2), config: config)
    _ = b.step(windows: batches[0])
    _ = b.step(windows: batches[1])
    try b.save(to: dir + "/c.h5", configJSON: "{}")
    let c = try DynamicsTrainer(model: model(stateSize: 10, hidden: 8, layers: 2, seed: 99), config: config)
    try c.restore(from: dir + "/c.h5")
    XCTAssertEqual(c.step, 2)
    let resumed = batches[2...].map { c.step(windows: $0).loss }
    XCTAssertEqual(resumed.map(\.bitPattern), straight[2...].map(\.bitPattern))
  }

  func testNonFiniteLossChangesNothing() throws {
    var config = DynamicsConfig()
    config.nInputs = 1
    config.nFuture = 2
    let t = try DynamicsTrainer(model: model(stateSize: 5, hidden: 4, layers: 1), config: config)
    let before = t.model.parameters.map(\.values)
    t.lossInjection = { _ in .nan }
    let r = t.step(windows: Tensor(zeros: [2, 3, 5]))
    XCTAssertFalse(r.applied)
    XCTAssertEqual(t.step, 0)
    XCTAssertEqual(t.model.parameters.map(\.values), before)
  }

  func testTrainingLowersTheLossOnASmoothMotion() throws {
    // Landmarks on circles at different speeds: 150 steps must cut the schedule loss well below
    // holding the state (the untrained model's prediction).
    var config = DynamicsConfig()
    config.nInputs = 2
    config.nFuture = 8
    config.dynLearningRate = 3e-3
    let t = try DynamicsTrainer(model: model(stateSize: 10, hidden: 32, layers: 2, scale: 10), config: config)
    var rng = SeededRNG(seed: 5)
    func batch() -> Tensor {
      let out = Tensor(zeros: [16, 10, 10])
      for b in 0..<16 {
        let (w, p) = (rng.uniform(0.1, 0.3), rng.uniform(0, 6.3))
        for s in 0..<10 {
          for k in 0..<2 {
            let o = out.data + (b * 10 + s) * 10 + k * 5
            let a = p + w * Float(s) + Float(k)
            o[0] = 0.5 * cos(a)
            o[1] = 0.5 * sin(a)
            o[2] = 0.1
            o[3] = 0
            o[4] = 0.1
          }
        }
      }
      return out
    }
    let first = t.step(windows: batch()).loss
    var last: Float = 0
    for _ in 0..<150 { last = t.step(windows: batch()).loss }
    XCTAssertLessThan(last, first * 0.2, "loss \(first) → \(last)")
  }
}
