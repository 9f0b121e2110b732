// `lmlab bench blas`: which OpenBLAS kernels this machine runs, and their sgemm speed.
import Benchmarks
import ArgumentParser
import Foundation
import Workbench

struct BenchBLAS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "blas",
    abstract: "OpenBLAS's build, the kernel set in use (and who chose it), sgemm GFLOP/s.")

  @Flag(help: "Print only OPENBLAS_CORETYPE=NAME when lmlab runs with one (for scripts that start other programs on the same kernels).")
  var export = false

  func run() throws {
    if export {
      if let line = NativeBLAS.exportLine { print(line) }
      return
    }
    print("OpenBLAS: \(NativeBLAS.configurationLine)")
    print("kernels:  \(NativeBLAS.description)")
    print(String(format: "sgemm 1024^3: %.1f GFLOP/s", EngineBench.sgemmGFLOPS()))
  }
}
