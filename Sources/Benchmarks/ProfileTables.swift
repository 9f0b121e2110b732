// ProfileTables: records OpProfile and ConvProfile over `calls` timed calls (training steps,
// decode calls) and prints time per op, and per conv shape and pass against the sgemm speed
// measured just before. Shared by `bench train --profile` and `bench dynamics --profile`; and
// the memory census: tensors alive at the peak by the op that made them.
import Workbench
import Foundation
import TensorEngine

enum ProfileTables {
  /// Measures sgemm, then runs `calls` (which returns the seconds to charge) with both
  /// profiles recording from empty, and prints the tables.
  static func record(
    label: String, calls: Int, unit: String, outsideOps: String, print out: (String) -> Void, _ body: () -> Double
  ) {
    let sgemm = EngineBench.sgemmGFLOPS()
    ConvProfile.reset()
    OpProfile.reset()
    (ConvProfile.enabled, OpProfile.enabled) = (true, true)
    let total = body()
    (ConvProfile.enabled, OpProfile.enabled) = (false, false)
    print(label: label, calls: calls, seconds: total, unit: unit, sgemm: sgemm, outsideOps: outsideOps, print: out)
  }

  static func print(
    label: String, calls: Int, seconds total: Double, unit: String, sgemm: Double, outsideOps: String,
    print out: (String) -> Void
  ) {
    let perCall = total / Double(calls)
    func ms(_ seconds: Double) -> Double { 1000 * seconds / Double(calls) }
    func f(_ format: String, _ args: CVarArg...) -> String { String(format: format, arguments: args) }

    let ops = OpProfile.entries
    let opSeconds = ops.reduce(0) { $0 + $1.seconds } / Double(calls)
    out("")
    out("op profile of \(label): \(f("%.3f", perCall)) s/\(unit); forward time of an op = interval since the previous op")
    out("op                        fwd calls  fwd ms  bwd calls  bwd ms  total ms  share")
    for e in ops where ms(e.seconds) >= 0.5 {
      out(
        e.name.padding(toLength: 24, withPad: " ", startingAt: 0)
          + f(
            "  %9d  %6.1f  %9d  %6.1f  %8.1f  %4.1f%%", e.forwardCalls / calls, ms(e.forwardSeconds),
            e.backwardCalls / calls, ms(e.backwardSeconds), ms(e.seconds), 100 * ms(e.seconds) / 1000 / perCall))
    }
    let outside = perCall - opSeconds
    out("(outside ops: \(outsideOps))".padding(toLength: 62, withPad: " ", startingAt: 0)
      + f("%8.1f  %4.1f%%", 1000 * outside, 100 * outside / perCall))

    let convs = ConvProfile.entries
    let convSeconds = convs.reduce(0) { $0 + $1.seconds } / Double(calls)
    out("")
    out(
      "conv profile of \(label): convs \(f("%.3f", convSeconds)) s/\(unit) (\(f("%.0f", 100 * convSeconds / perCall))%), "
        + "sgemm \(f("%.1f", sgemm)) GFLOP/s")
    out("GFLOP/s = direct-convolution FLOPs (2·N·O·C·k²·Ho·Wo per product; backward: one per gradient) / time")
    out("pass      kernel               split                N   C    HxW      O    k/s  calls  ms/\(unit)  share  GFLOP/s  /sgemm")
    for e in convs {
      let g = e.geometry
      let rate = e.flops / e.seconds / 1e9
      out(
        f(
          "%@  %@  %@  %2d  %3d  %3dx%-3d  %3d  %d/%d  %5d  %7.1f  %4.1f%%  %7.1f  %6.2f",
          e.pass.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0),
          e.kernel.padding(toLength: 19, withPad: " ", startingAt: 0), e.split.padding(toLength: 19, withPad: " ", startingAt: 0), g.n, g.c, g.h, g.w, g.o, g.kh, g.stride,
          e.calls / calls, ms(e.seconds), 100 * ms(e.seconds) / 1000 / perCall, rate, rate / sgemm))
    }
  }

  /// The tensors alive at the peak, by the op that made them ("∂ op": gradients returned by
  /// that op's backward), largest first; origins under 1% of the peak are summed in one row.
  static func printCensus(_ c: MemoryStats.Census, label: String, print out: (String) -> Void) {
    func mb(_ bytes: Int) -> String { String(format: "%8.1f", Double(bytes) / 1e6) }
    out("")
    out("tensor memory of \(label) at its peak: \(mb(c.peakBytes).trimmingCharacters(in: .whitespaces)) MB, during \(c.phase)")
    out("made by                                   MB   share")
    var small = 0
    let rows = c.byOrigin + [(origin: "(before the profiled steps)", bytes: c.before)]
    for r in rows {
      guard Double(r.bytes) >= 0.01 * Double(c.peakBytes) else { small += r.bytes; continue }
      out(r.origin.padding(toLength: 34, withPad: " ", startingAt: 0) + mb(r.bytes) + String(format: "  %5.1f%%", 100 * Double(r.bytes) / Double(max(c.peakBytes, 1))))
    }
    if small != 0 { out("(each under 1%)".padding(toLength: 34, withPad: " ", startingAt: 0) + mb(small)) }
    out("(before the profiled steps: parameters, optimizer state, batches; ∂ op: gradients that op's backward returned)")
  }
}
