// Winograd F(2×2, 3×3) and F(4×4, 3×3) for 3×3 stride-1 convs: 16 multiplications per 2×2
// output tile and channel pair instead of 36 (2.25× fewer), or 36 per 4×4 tile instead of 144
// (4× fewer), as 16 or 36 batched sgemm products on OpenBLAS between the transforms in C
// (CKernels/winograd.c, winograd4.c). Forward: M[ξ] [O, T] = U[ξ] [O, C] · V[ξ] [C, T] over T
// tiles; the input gradient is the forward conv of the output gradient with the flipped,
// transposed kernel (Conv2dKernels routes it here through `transposed`); the weight gradient is
// dU[ξ] [O, C] = Σ_tiles D[ξ] [O, T] · V[ξ]ᵀ [T, C], then gw = Gᵀ dU G.
// Runs inside a worker's range of whole images, like the other paths.
import CKernels
import Foundation

/// Winograd's output tile: F(2×2, 3×3) (4×4 input tiles, 16 products, 2.25× fewer
/// multiplications) or F(4×4, 3×3) (6×6 input tiles, 36 products, 4× fewer, larger rounding).
public enum WinogradTile: Int {
  case f2 = 2
  case f4 = 4

  /// Input tile side (m + 2) and the number of transformed planes (its square).
  var alpha: Int { rawValue + 2 }
  var planes: Int { alpha * alpha }
}

/// Whether 3×3 stride-1 convs may take a Winograd path, and which.
public enum WinogradChoice: String, CaseIterable {
  /// Where `Conv2dGeometry.winogradWins*` says it is faster (and LMLAB_CONV_KERNEL is auto),
  /// F(4×4) where `winogradF4Wins*` says so, else F(2×2).
  case auto
  /// Never (today's direct / padding-free / im2col paths).
  case off
  /// F(2×2, 3×3) on every eligible shape (tests, measurements).
  case f2
  /// F(4×4, 3×3) on every eligible shape.
  case f4

  /// `1` / on kept its meaning from before F(4×4): F(2×2) everywhere eligible.
  public static var on: WinogradChoice { .f2 }

  /// LMLAB_CONV_WINOGRAD: 0/off, 1/on/2 (F(2×2) forced), 4 (F(4×4) forced), anything else auto.
  static func parse(_ value: String?) -> WinogradChoice {
    switch value?.lowercased() {
    case "0", "off", "false": return .off
    case "1", "on", "true", "2", "f2": return .f2
    case "4", "f4": return .f4
    default: return .auto
    }
  }
}

/// The engine-wide Winograd choice; LMLAB_CONV_WINOGRAD=0|1|2|4|auto sets it at start-up.
nonisolated(unsafe) public var convWinograd = WinogradChoice.parse(ProcessInfo.processInfo.environment["LMLAB_CONV_WINOGRAD"])

/// Whether `auto` may pick F(4×4) (the benches turn it off to time auto as it was with F(2×2) alone).
nonisolated(unsafe) public var winogradAutoAllowsF4 = true

/// Transformed-tile buffers hold about this many floats (planes·max(C, O)·tiles); tests shrink
/// it so chunks end inside images.
nonisolated(unsafe) var winogradChunkFloats = 1 << 20
/// The fewest tiles per chunk (fewer make the products slow); tests lower it too.
nonisolated(unsafe) var winogradMinChunkTiles = 256

extension Conv2dGeometry {
  /// 3×3, stride 1, padding ≤ 2 (the input gradient of a padding-0 conv has padding 2).
  var winogradEligible: Bool { kh == 3 && kw == 3 && stride == 1 && pad <= 2 }

  /// Output tiles per column and per row.
  func winogradTiles(_ tile: WinogradTile) -> (rows: Int, cols: Int) {
    let m = tile.rawValue
    return ((ho + m - 1) / m, (wo + m - 1) / m)
  }

  /// The Winograd tile of the forward pass, nil where it does not run. Measured per shape
  /// (`lmlab bench engine --winograd`, interleaved): see `winogradWinsForward`, `winogradF4WinsForward`.
  var winogradForwardTile: WinogradTile? { winogradChosen(winogradWinsForward) ? winogradForwardRunTile : nil }

  var winogradWeightGradientTile: WinogradTile? {
    winogradChosen(winogradWinsWeightGradient) ? winogradWeightGradientRunTile : nil
  }

  /// The tile a Winograd call runs with once its conv took the path (a within-sample worker's
  /// slice of output channels may fail the whole conv's rule itself).
  var winogradForwardRunTile: WinogradTile { winogradTile(f4Wins: winogradF4WinsForward) }

  var winogradWeightGradientRunTile: WinogradTile { winogradTile(f4Wins: winogradF4WinsWeightGradient) }

  var usesWinogradForward: Bool { winogradForwardTile != nil }

  var usesWinogradWeightGradient: Bool { winogradWeightGradientTile != nil }

  /// `LMLAB_CONV_WINOGRAD` decides; under `auto` (and no forced kernel), where it measured faster.
  private func winogradChosen(_ wins: @autoclosure () -> Bool) -> Bool {
    guard winogradEligible else { return false }
    switch convWinograd {
    case .off: return false
    case .f2, .f4: return true
    case .auto: return conv2dKernelChoice == .auto && wins()
    }
  }

  /// Which tile a Winograd call of this geometry runs with. The F(4×4) rules read only the
  /// input's channels and size, which a within-sample worker's slice of output channels
  /// (`outputChannels`) shares with the whole conv, so the slice runs what the profile names.
  private func winogradTile(f4Wins: @autoclosure () -> Bool) -> WinogradTile {
    switch convWinograd {
    case .f4: return .f4
    case .auto: return winogradAutoAllowsF4 && f4Wins() ? .f4 : .f2
    case .off, .f2: return .f2
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

  /// Where F(4×4) beat F(2×2) among the shapes the rules above give Winograd (`lmlab bench
  /// engine --winograd`: today, F2 and F4 interleaved, two runs of ref-64's 16–64 px shapes, 2
  /// threads, a loaded AVX-512 EPYC, OpenBLAS Haswell kernels): the forward (so the input
  /// gradient too) on every such shape, 16 px and more: 1.0–2.0× F2 in the second run, 0.9–1.5×
  /// in the first (a loss of 10% on 128 → 64 at 64 px there). On 8×8 maps neither Winograd beats
  /// im2col: F4's transformed filters (36·O·C floats, per worker) outweigh 4 tiles an image
  /// (0.15–0.65× today at 512 channels). The rules read only the map's size, which a
  /// within-sample worker's slice shares with its conv.
  var winogradF4WinsForward: Bool { Swift.min(ho, wo) >= 16 }

  /// The weight gradient: F4 from 32 px (1.0–2.0× F2 on 9 of the 11 shapes measured at 32–64 px
  /// in both runs, 0.6–0.95× on 64 → 128 at 32 px and once 64 → 32 at 64 px); at 16 px it lost
  /// on 3 of 5 shapes (0.7–0.9×), so F2 stays there.
  var winogradF4WinsWeightGradient: Bool { Swift.min(ho, wo) >= 32 }

  /// Tiles per chunk: whole tile rows, buffers of about `winogradChunkFloats`, no more than
  /// `images` hold (small maps would otherwise leave most of a chunk's rows unused but touched).
  func winogradChunkTiles(_ tile: WinogradTile, images: Int) -> Int {
    let (th, tw) = winogradTiles(tile)
    let target = Swift.max(winogradMinChunkTiles, winogradChunkFloats / (tile.planes * Swift.max(c, o)))
    return Swift.min(Swift.max(tw, target / tw * tw), Swift.max(1, images) * th * tw)
  }
}

/// The C transforms of each tile size (CKernels/winograd.c, winograd4.c); layouts in winograd.h.
extension WinogradTile {
  /// Floats of scratch the tile calls need for `tw` tiles a row.
  func scratchFloats(_ tw: Int) -> Int { self == .f2 ? 8 * tw + 8 : 64 * tw + 16 }

  func filterTransform(_ w: UnsafePointer<Float>, _ o: Int, _ c: Int, _ u: UnsafeMutablePointer<Float>) {
    (self == .f2 ? lm_wino_filter_transform : lm_wino4_filter_transform)(w, Int32(o), Int32(c), u, o * c)
  }

  func filterGrad(_ du: UnsafePointer<Float>, _ o: Int, _ c: Int, _ gw: UnsafeMutablePointer<Float>) {
    (self == .f2 ? lm_wino_filter_grad : lm_wino4_filter_grad)(du, o * c, Int32(o), Int32(c), gw)
  }

  func inputTiles(
    _ x: UnsafePointer<Float>, _ g: Conv2dGeometry, _ ty0: Int, _ ty1: Int, _ tw: Int,
    _ v: UnsafeMutablePointer<Float>, ldxi: Int, ldt: Int, _ scratch: UnsafeMutablePointer<Float>
  ) {
    (self == .f2 ? lm_wino_input_tiles : lm_wino4_input_tiles)(
      x, Int32(g.c), Int32(g.h), Int32(g.w), Int32(g.pad), Int32(ty0), Int32(ty1), Int32(tw), v, ldxi, ldt, scratch)
  }

  func outputTiles(
    _ m: UnsafePointer<Float>, ldxi: Int, ldt: Int, _ g: Conv2dGeometry, _ ty0: Int, _ ty1: Int, _ tw: Int,
    _ bias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>
  ) {
    (self == .f2 ? lm_wino_output_tiles : lm_wino4_output_tiles)(
      m, ldxi, ldt, Int32(g.o), Int32(g.ho), Int32(g.wo), Int32(ty0), Int32(ty1), Int32(tw), bias, out, scratch)
  }

  func goutTiles(
    _ gout: UnsafePointer<Float>, _ g: Conv2dGeometry, _ ty0: Int, _ ty1: Int, _ tw: Int,
    _ d: UnsafeMutablePointer<Float>, ldxi: Int, ldt: Int, _ scratch: UnsafeMutablePointer<Float>
  ) {
    (self == .f2 ? lm_wino_gout_tiles : lm_wino4_gout_tiles)(
      gout, Int32(g.o), Int32(g.ho), Int32(g.wo), Int32(ty0), Int32(ty1), Int32(tw), d, ldxi, ldt, scratch)
  }
}

/// Tile rows of the images [n0, n1) packed into chunks of at most `chunk` tiles: `fill(ni, ty0,
/// ty1, column)` writes a run of tile rows at a chunk column, `flush(tiles, runs)` consumes a
/// full chunk.
private func forEachWinogradChunk(
  _ g: Conv2dGeometry, _ tile: WinogradTile, _ n0: Int, _ n1: Int, chunk: Int,
  fill: (_ ni: Int, _ ty0: Int, _ ty1: Int, _ column: Int) -> Void,
  flush: (_ tiles: Int, _ runs: [(ni: Int, ty0: Int, ty1: Int, column: Int)]) -> Void
) {
  let (th, tw) = g.winogradTiles(tile)
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
  let tile = g.winogradForwardRunTile
  let (ohw, planes) = (g.outPixels, tile.planes)
  let tw = g.winogradTiles(tile).cols
  let chunk = g.winogradChunkTiles(tile, images: end / ohw - start / ohw)
  let (c, o) = (g.c, g.o)
  let u = UnsafeMutablePointer<Float>.allocate(capacity: planes * o * c)  // U [planes, O, C]
  let v = UnsafeMutablePointer<Float>.allocate(capacity: planes * c * chunk)  // V [planes, C, chunk]
  let m = UnsafeMutablePointer<Float>.allocate(capacity: planes * o * chunk)  // M [planes, O, chunk]
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile.scratchFloats(tw))
  defer {
    for p in [u, v, m, scratch] { p.deallocate() }
  }
  tile.filterTransform(weight, o, c, u)
  forEachWinogradChunk(g, tile, start / ohw, end / ohw, chunk: chunk) { ni, ty0, ty1, column in
    tile.inputTiles(x + ni * c * g.h * g.w, g, ty0, ty1, tw, v + column, ldxi: c * chunk, ldt: chunk, scratch)
  } flush: { tiles, runs in
    for xi in 0..<planes {
      sgemm(
        transA: false, transB: false, m: o, n: tiles, k: c, a: u + xi * o * c, lda: c, b: v + xi * c * chunk,
        ldb: chunk, beta: 0, c: m + xi * o * chunk, ldc: chunk)
    }
    for r in runs {
      tile.outputTiles(
        m + r.column, ldxi: o * chunk, ldt: chunk, g, r.ty0, r.ty1, tw, bias, out + r.ni * o * ohw, scratch)
    }
  }
}

/// gw [O, C, 3, 3] += the weight gradient over output pixels [start, end), whole images.
func conv2dWeightGradientWinograd(
  x: UnsafePointer<Float>, gout: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry,
  _ start: Int, _ end: Int
) {
  let tile = g.winogradWeightGradientRunTile
  let (ohw, planes) = (g.outPixels, tile.planes)
  let tw = g.winogradTiles(tile).cols
  let chunk = g.winogradChunkTiles(tile, images: end / ohw - start / ohw)
  let (c, o) = (g.c, g.o)
  let du = UnsafeMutablePointer<Float>.allocate(capacity: planes * o * c)  // dU [planes, O, C]
  let v = UnsafeMutablePointer<Float>.allocate(capacity: planes * c * chunk)  // V [planes, C, chunk]
  let d = UnsafeMutablePointer<Float>.allocate(capacity: planes * o * chunk)  // D [planes, O, chunk]
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile.scratchFloats(tw))
  defer {
    for p in [du, v, d, scratch] { p.deallocate() }
  }
  du.initialize(repeating: 0, count: planes * o * c)
  forEachWinogradChunk(g, tile, start / ohw, end / ohw, chunk: chunk) { ni, ty0, ty1, column in
    tile.inputTiles(x + ni * c * g.h * g.w, g, ty0, ty1, tw, v + column, ldxi: c * chunk, ldt: chunk, scratch)
    tile.goutTiles(gout + ni * o * ohw, g, ty0, ty1, tw, d + column, ldxi: o * chunk, ldt: chunk, scratch)
  } flush: { tiles, _ in
    for xi in 0..<planes {
      sgemm(
        transA: false, transB: true, m: o, n: c, k: tiles, a: d + xi * o * chunk, lda: chunk, b: v + xi * c * chunk,
        ldb: chunk, beta: 1, c: du + xi * o * c, ldc: c)
    }
  }
  tile.filterGrad(du, o, c, gw)
}
