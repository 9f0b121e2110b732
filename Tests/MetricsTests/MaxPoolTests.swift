// max_pool2d (the engine op LPIPS's backbones use): PyTorch output sizes in floor and ceil
// mode, values against a direct loop, and the gradient routed to the first maximum.
import TensorEngine
import XCTest

final class MaxPoolTests: XCTestCase {
  /// Output sizes PyTorch gives (checked with torch.nn.functional.max_pool2d).
  func testOutputSizes() {
    XCTAssertEqual(maxPool2dOutputSize(input: 31, kernel: 3, stride: 2, padding: 0, ceilMode: true), 15)
    XCTAssertEqual(maxPool2dOutputSize(input: 32, kernel: 3, stride: 2, padding: 0, ceilMode: true), 16)
    XCTAssertEqual(maxPool2dOutputSize(input: 32, kernel: 3, stride: 2, padding: 0, ceilMode: false), 15)
    XCTAssertEqual(maxPool2dOutputSize(input: 15, kernel: 3, stride: 2, padding: 0, ceilMode: false), 7)
    XCTAssertEqual(maxPool2dOutputSize(input: 5, kernel: 2, stride: 2, padding: 1, ceilMode: true), 3)
    XCTAssertEqual(maxPool2dOutputSize(input: 6, kernel: 3, stride: 3, padding: 1, ceilMode: true), 3)
    XCTAssertEqual(maxPool2dOutputSize(input: 6, kernel: 3, stride: 2, padding: 1, ceilMode: true), 4)
  }

  /// Forward against a direct maximum over clipped windows; backward sends each output's
  /// gradient to its window's first maximum.
  func testForwardAndBackward() {
    let (h, w) = (7, 6)
    var values = (0..<(2 * h * w)).map { Float(($0 * 37) % 23) }
    values[5] = values[4]  // a tie: the first in scan order takes the gradient
    let x = Tensor(values, shape: [1, 2, h, w], requiresGrad: true)
    let y = x.maxPool2d(kernel: 3, stride: 2, padding: 1, ceilMode: true)
    let (ho, wo) = (y.shape[2], y.shape[3])
    XCTAssertEqual([ho, wo], [4, 4])  // torch: 7 and 6 px, k3 s2 p1 ceil → 4, 4
    var expectGrad = [Float](repeating: 0, count: values.count)
    for c in 0..<2 {
      for oy in 0..<ho {
        for ox in 0..<wo {
          var best = -Float.infinity, at = -1
          for yy in Swift.max(0, oy * 2 - 1)..<Swift.min(h, oy * 2 + 2) {
            for xx in Swift.max(0, ox * 2 - 1)..<Swift.min(w, ox * 2 + 2) where values[c * h * w + yy * w + xx] > best {
              best = values[c * h * w + yy * w + xx]
              at = c * h * w + yy * w + xx
            }
          }
          XCTAssertEqual(y[flat: (c * ho + oy) * wo + ox], best)
          expectGrad[at] += Float((c * ho + oy) * wo + ox + 1)
        }
      }
    }
    y.backward(Tensor((0..<y.count).map { Float($0 + 1) }, shape: y.shape))
    XCTAssertEqual(x.grad!.values, expectGrad)
  }
}

final class MaxPoolInferenceTests: XCTestCase {
  /// The no-graph path (used by LPIPS) equals the recorded path, NaN included.
  func testInferencePathMatchesRecordedPath() {
    var values: [Float] = (0..<(3 * 31 * 31)).map { Float(($0 * 7919) % 101) - 50 }
    values[40] = Float.nan
    let x = Tensor(values, shape: [1, 3, 31, 31], requiresGrad: true)
    for (k, s, ceil) in [(3, 2, true), (2, 2, false), (3, 2, false)] {
      let recorded = x.maxPool2d(kernel: k, stride: s, ceilMode: ceil).values
      let plain = withNoGrad { x.maxPool2d(kernel: k, stride: s, ceilMode: ceil).values }
      XCTAssertEqual(recorded.count, plain.count)
      for (a, b) in zip(recorded, plain) { XCTAssertTrue(a == b || (a.isNaN && b.isNaN), "\(a) vs \(b)") }
      XCTAssertTrue(plain.contains { $0.isNaN })
    }
  }
}
