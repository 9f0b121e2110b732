// Winograd F(2×2, 3×3) for 3×3 stride-1 convs: 16 multiplications per 2×2 output tile and
// channel pair instead of 36 (2.25× fewer), as 16 batched sgemm products on OpenBLAS between
// the transforms in C (CKernels/winograd.c). Forward: M[ξ] [O, T] = U[ξ] [O, C] · V[ξ] [C, T]
// over T tiles; the input gradient is the forward conv of the output gradient with the
// flipped, transposed kernel (Conv2dKernels routes it here through `transposed`); the weight
// gradient is dU[ξ] [O, C] = Σ_tiles D[ξ] [O, T] · V[ξ]ᵀ [T, C], then gw = Gᵀ dU G.
// Runs inside a worker's range of whole images, like the other paths.
import CKernels
import Foundation

/// Whether 3×3 stride-1 convs may take the Winograd path.
public enum WinogradChoice: String, CaseIterable {
  /// Where `Conv2dGeometry.winogradWins*` says it is faster (and LMLAB_CONV_KERNEL is auto).
  case auto
  /// Never (today's direct / padding-free / im2col paths).
  case off
  /// On every eligible shape (tests, measurements).
  case on

  /// LMLAB_CONV_WINOGRAD: 0/off, 1/on, anything else auto.
  static func parse(_ value: String?) -> WinogradChoice {
    switch value?.lowercased() {
    case "0", "off", "false": return .off
    case "1", "on", "true": return .on
    default: return .auto
    }
  }
}

/// The engine-wide Winograd choice; LMLAB_CONV_WINOGRAD=0|1|auto sets it at start-up.
nonisolated(unsafe) public var convWinograd = WinogradChoice.parse(ProcessInfo.processInfo.environment["LMLAB_CONV_WINOGRAD"])

/// Transformed-tile buffers hold about this many floats (16·max(C, O)·tiles); tests shrink it
/// so chunks end inside images.
nonisolated(unsafe) var winogradChunkFloats = 1 << 20
/// The fewest tiles per chunk (fewer make the 16 products slow); tests lower it too.
nonisolated(unsafe) var winogradMinChunkTiles = 256

extension Conv2dGeometry {
  /// 3×3, stride 1, padding ≤ 2 (the input gradient of a padding-0 conv has padding 2).
  var winogradEligible: Bool { kh == 3 && kw == 3 && stride == 1 && pad <= 2 }

  /// 2×2 output tiles per column and per row.
  var winogradTiles: (rows: Int, cols: Int) { ((ho + 1) / 2, (wo + 1) / 2) }

  /// Measured per shape (`LMLAB_CONV_WINOGRAD=0|1 lmlab bench engine`, interleaved): see
  /// `winogradWinsForward`.
  var usesWinogradForward: Bool { winogradChosen(winogradWinsForward) }

  var usesWinogradWeightGradient: Bool { winogradChosen(winogradWinsWeightGradient) }

  /// `LMLAB_CONV_WINOGRAD` decides; under `auto` (and no forced kernel), where it measured faster.
  private func winogradChosen(_ wins: @autoclosure () -> Bool) -> Bool {
    guard winogradEligible else { return false }
    switch convWinograd {
    case .off: return false
    case .on: return true
    case .auto: return conv2dKernelChoice == .auto && wins()
    }
  }

  /// Where F(2×2, 3×3) beat today's path (`lmlab bench engine --winograd`, three runs, 2
  /// threads, an AVX-512 EPYC under load, OpenBLAS Haswell kernels): in place of im2col + sgemm
  /// on maps of at least 16×16 with C·O ≥ 2048 (mostly 1.1–2.1×; the input gradient, the
  /// transposed conv, follows the same rule), and of the direct kernel (O ≤ 64, C·O ≤ 4096) on
  /// 64×64 maps (1.1–1.6×; on 16–32 px it was 0.5–1.6×, so those stay direct). On 8×8 maps the
  /// 16 products are too narrow (0.45–0.95×), and with under 24 channels on a side the
  /// transforms dominate (0.15–0.9×).
  var winogradWinsForward: Bool {
    guard ho >= 16 && wo >= 16 && Swift.min(c, o) >= 24 && c * o >= 2048 else { return false }
    return !(directConvAvailable && directWinsForward) || (ho >= 64 && wo >= 64)
  }

  /// The weight gradient wins more widely (1.1–2.2×) from 32 channels a side: C·O ≥ 2048 on
  /// maps of 32 px and more, ≥ 4096 at 16 px, ≥ 9216 at 8 px; below, 0.5–1.0×.
  var winogradWinsWeightGradient: Bool {
    guard Swift.min(c, o) >= 32 else { return false }
    let size = Swift.min(ho, wo)
    return size >= 32 ? c * o >= 2048 : size >= 16 ? c * o >= 4096 : size >= 8 && c * o >= 9216
  }

  /// Tiles per chunk: whole tile rows, buffers of about `winogradChunkFloats`.
  var winogradChunkTiles: Int {
    let tw = winogradTiles.cols
    let target = Swift.max(winogradMinChunkTiles, winogradChunkFloats / (16 * Swift.max(c, o)))
    return Swift.max(tw, target / tw * tw)
  }
}

/// Tile rows of the images [n0, n1) packed into chunks of at most `chunk` tiles: `fill(ni, ty0,
/// ty1, column)` writes a run of tile rows at a chunk column, `flush(tiles, runs)` consumes a
/// full chunk.
private func forEachWinogradChunk(
  _ g: Conv2dGeometry, _ n0: Int, _ n1: Int, chunk: Int,
  fill: (_ ni: Int, _ ty0: Int, _ ty1: Int, _ column: Int) -> Void,
  flush: (_ tiles: Int, _ runs: [(ni: Int, ty0: Int, ty1: Int, column: Int)]) -> Void
) {
  let (th, tw) = g.winogradTiles
  var runs: [(ni: Int, ty0: Int, ty1: Int, column: Int)] = []
  var filled = 0
  for ni in n0..<n1 {
    var ty = 0
    while ty < th {
      let rows = Swift.min(th - ty, (chunk - filled) / tw)
      if rows == 0 {
        flush(filled, runs)
        (runs, filled) = ([], 0)
        continue
      }
      fill(ni, ty, ty + rows, filled)
      runs.append((ni, ty, ty + rows, filled))
      filled += rows * tw
      ty += rows
    }
  }
  if filled > 0 { flush(filled, runs) }
}

/// The forward pass for output pixels [start, end), whole images.
func conv2dForwardWinograd(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  out: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, _ start: Int, _ end: Int
) {
  let ohw = g.outPixels
  let tw = g.winogradTiles.cols
  let chunk = g.winogradChunkTiles
  let (c, o) = (g.c, g.o)
  let u = UnsafeMutablePointer<Float>.allocate(capacity: 16 * o * c)  // U [16, O, C]
  let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * c * chunk)  // V [16, C, chunk]
  let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * o * chunk)  // M [16, O, chunk]
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 8 * tw + 8)
  defer {
    for p in [u, v, m, scratch] { p.deallocate() }
  }
  lm_wino_filter_transform(weight, Int32(o), Int32(c), u, o * c)
  forEachWinogradChunk(g, start / ohw, end / ohw, chunk: chunk) { ni, ty0, ty1, column in
    lm_wino_input_tiles(
      x + ni * c * g.h * g.w, Int32(c), Int32(g.h), Int32(g.w), Int32(g.pad), Int32(ty0), Int32(ty1), Int32(tw),
      v + column, c * chunk, chunk, scratch)
  } flush: { tiles, runs in
    for xi in 0..<16 {
      sgemm(
        transA: false, transB: false, m: o, n: tiles, k: c, a: u + xi * o * c, lda: c, b: v + xi * c * chunk,
        ldb: chunk, beta: 0, c: m + xi * o * chunk, ldc: chunk)
    }
    for r in runs {
      lm_wino_output_tiles(
        m + r.column, o * chunk, chunk, Int32(o), Int32(g.ho), Int32(g.wo), Int32(r.ty0), Int32(r.ty1), Int32(tw),
        bias, out + r.ni * o * ohw, scratch)
    }
  }
}

/// gw [O, C, 3, 3] += the weight gradient over output pixels [start, end), whole images.
func conv2dWeightGradientWinograd(
  x: UnsafePointer<Float>, gout: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry,
  _ start: Int, _ end: Int
) {
  let ohw = g.outPixels
  let tw = g.winogradTiles.cols
  let chunk = g.winogradChunkTiles
  let (c, o) = (g.c, g.o)
  let du = UnsafeMutablePointer<Float>.allocate(capacity: 16 * o * c)  // dU [16, O, C]
  let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * c * chunk)  // V [16, C, chunk]
  let d = UnsafeMutablePointer<Float>.allocate(capacity: 16 * o * chunk)  // D [16, O, chunk]
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 8 * tw + 8)
  defer {
    for p in [du, v, d, scratch] { p.deallocate() }
  }
  du.initialize(repeating: 0, count: 16 * o * c)
  forEachWinogradChunk(g, start / ohw, end / ohw, chunk: chunk) { ni, ty0, ty1, column in
    lm_wino_input_tiles(
      x + ni * c * g.h * g.w, Int32(c), Int32(g.h), Int32(g.w), Int32(g.pad), Int32(ty0), Int32(ty1), Int32(tw),
      v + column, c * chunk, chunk, scratch)
    lm_wino_gout_tiles(
      gout + ni * o * ohw, Int32(o), Int32(g.ho), Int32(g.wo), Int32(ty0), Int32(ty1), Int32(tw), d + column,
      o * chunk, chunk, scratch)
  } flush: { tiles, _ in
    for xi in 0..<16 {
      sgemm(
        transA: false, transB: true, m: o, n: c, k: tiles, a: d + xi * o * chunk, lda: chunk, b: v + xi * c * chunk,
        ldb: chunk, beta: 1, c: du + xi * o * c, ldc: c)
    }
  }
  lm_wino_filter_grad(du, o * c, Int32(o), Int32(c), gw)
}
