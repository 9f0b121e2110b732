// TPS: exact at the control points (1e-3 px), equal to scipy's RBFInterpolator
// (thin_plate_spline, degree 1) on the pixel grid, warped image equal to
// scipy.ndimage.map_coordinates(order=1, mode='nearest'); the random DESIGN §2 warp.
import TensorEngine
import TestSupport
import XCTest

@testable import Imaging

final class ThinPlateSplineTests: XCTestCase {
  func points(_ flat: [Double]) -> [SIMD2<Double>] { stride(from: 0, to: flat.count, by: 2).map { SIMD2(flat[$0], flat[$0 + 1]) } }

  func testMatchesScipyAndReproducesDisplacements() throws {
    let f = try XCTUnwrap(Fixtures.json("tps.json") as? [String: Any])
    let size = try XCTUnwrap(f["size"] as? Int)
    let src = points(try Fixtures.doubles(f["source"], "tps source")), dst = points(try Fixtures.doubles(f["target"], "tps target"))
    XCTAssertEqual(src.count, dst.count)
    XCTAssertEqual(src.count, 25, "the fixture's 25 control points are compared")
    let tps = try XCTUnwrap(ThinPlateSpline(source: src, target: dst))
    // Exact at the control points: 1e-3 px (the spline is solved in float64).
    let hit = src.flatMap { s -> [Double] in let p = tps(s.x, s.y); return [p.x, p.y] }
    assertClose(hit, dst.flatMap { [$0.x, $0.y] }, .absolute(1e-3), "control points reproduced (px)")
    let g = tps.grid(width: size, height: size)
    // Map stored as float32 positions of magnitude ≤ 40: 1e-4 px covers rounding.
    assertClose(g.x, try Fixtures.floats(f["map_x"], "map_x"), .absolute(1e-4), "map x (px)")
    assertClose(g.y, try Fixtures.floats(f["map_y"], "map_y"), .absolute(1e-4), "map y (px)")
    XCTAssertEqual(g.x.count, size * size, "map positions compared")
    let image = RGBImage(width: size, height: size, pixels: try Fixtures.floats(f["input"], "tps input"))
    assertClose(image.warped(by: tps).pixels, try Fixtures.floats(f["warped"], "warped"), .absolute(1e-4), "warped image")
  }

  func testRandomWarpHitsItsOwnControlPointsAndIsDeterministic() throws {
    let warp = TPSWarp()
    var rng = SeededRNG(seed: 3)
    let tps = try XCTUnwrap(warp.draw(size: 64, rng: &rng))
    XCTAssertEqual(tps.controls.count, 100)
    XCTAssertEqual(tps.controls[0].x, 10, accuracy: 1e-12)
    XCTAssertEqual(tps.controls[99].x, 53, accuracy: 1e-12)
    var image = RGBImage(width: 64, height: 64, fill: (0.2, 0.3, 0.4))
    image.fillCircle(cx: 32, cy: 32, radius: 10, color: .red)
    var a = SeededRNG(seed: 11), b = SeededRNG(seed: 11)
    let wa = warp(image, rng: &a), wb = warp(image, rng: &b)
    XCTAssertEqual(wa.pixels, wb.pixels)
    assertAllFinite(wa.pixels, "warped pixels")
    XCTAssertTrue(zip(wa.pixels, image.pixels).contains { abs($0 - $1) > 0.1 }, "the warp moves the disc")
    // Identity targets give the identity map.
    let id = try XCTUnwrap(ThinPlateSpline(source: tps.controls, target: tps.controls))
    let p = id(17.3, 40.9)
    XCTAssertEqual(p.x, 17.3, accuracy: 1e-6)
    XCTAssertEqual(p.y, 40.9, accuracy: 1e-6)
  }
}
