// An opt-in tally of conv2d calls by geometry and pass (wall time, FLOPs), for finding which
// shapes of a model run below sgemm speed. Off by default; the graph calls convs from one
// thread, so the tally needs no lock.
import Dispatch

public enum ConvProfile {
  /// Turn on to record every conv2dForward / conv2dBackward call.
  nonisolated(unsafe) public static var enabled = false

  public enum Pass: String { case forward, backward }

  public struct Entry {
    public var geometry: Conv2dGeometry
    public var pass: Pass
    /// Which kernel ran: forward "winograd" (F(2×2)), "winograd4" (F(4×4)), "direct", "padfree" or
    /// "gemm"; backward "<input>/<weight>" gradient kernels, e.g. "direct/gemm".
    public var kernel: String
    /// How the call's work was divided over the engine's workers (`ConvSplit.label`: "img×2",
    /// "chan×2", "tile×2/9", "one"; backward "<input>/<weight>" gradient splits).
    public var split: String
    public var calls = 0
    public var seconds = 0.0
    public var flops = 0.0
  }

  private struct Key: Hashable {
    var g: Conv2dGeometry
    var pass: String
    var split: String
  }
  nonisolated(unsafe) private static var tally: [Key: Entry] = [:]

  public static func reset() { tally = [:] }

  /// Entries by descending total time.
  public static var entries: [Entry] { tally.values.sorted { $0.seconds > $1.seconds } }

  @inline(__always)
  static func measure(_ g: Conv2dGeometry, _ pass: Pass, flops: Double, _ body: () -> Void) {
    guard enabled else { return body() }
    let t0 = DispatchTime.now().uptimeNanoseconds
    body()
    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    let split = pass == .forward ? g.forwardSplit.label : g.backwardSplit
    let key = Key(g: g, pass: pass.rawValue, split: split)
    var e =
      tally[key]
      ?? Entry(geometry: g, pass: pass, kernel: pass == .forward ? g.forwardKernel : g.backwardKernel, split: split)
    e.calls += 1
    e.seconds += dt
    e.flops += flops
    tally[key] = e
  }
}

extension Conv2dGeometry {
  /// The forward kernel path this geometry takes.
  public var forwardKernel: String {
    winogradForwardTile.map(\.label) ?? (usesDirectForward ? "direct" : usesPaddingFreeForward ? "padfree" : "gemm")
  }

  /// The input- and weight-gradient paths: "direct" or "gemm" (the input gradient of a
  /// stride-1 conv is a forward conv, named by its own path).
  public var backwardKernel: String {
    let input = hasTransposedInputGradient ? transposed.forwardKernel : "gemm"
    return input + "/" + (winogradWeightGradientTile.map(\.label) ?? (usesDirectBackward ? "direct" : "gemm"))
  }
}

extension WinogradTile {
  /// The profile's name: "winograd" for F(2×2) (as before F(4×4) existed), "winograd4".
  var label: String { self == .f2 ? "winograd" : "winograd4" }
}
