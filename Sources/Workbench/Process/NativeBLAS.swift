// NativeBLAS: makes this process run OpenBLAS's real kernels for its CPU. When OpenBLAS fell
// back to its generic kernels (BLASCore), the process starts itself again, same arguments,
// with OPENBLAS_CORETYPE naming the kernel set to load; a value set by the user is kept.
import Foundation
import TensorEngine

#if canImport(Glibc)
  import Glibc
#endif

public enum NativeBLAS {
  /// Restarts the process with a better `OPENBLAS_CORETYPE` when OpenBLAS fell back; returns
  /// (keeping the fallback) when none is needed or the restart fails. Call first in `main`,
  /// before any thread is started.
  public static func restartIfFallback() {
    guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, let core = BLASCore.suggestedOverride() else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    setenv(fallbackVariable, BLASCore.current, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // Only reached when the restart failed: go on with the generic kernels, and say so.
    FileHandle.standardError.write(
      Data("note: OpenBLAS runs its generic \(BLASCore.current) kernels (restart with OPENBLAS_CORETYPE=\(core) failed)\n".utf8))
  }

  /// Set by the restart: the fallback OpenBLAS had chosen.
  static let fallbackVariable = "LMLAB_BLAS_FALLBACK"

  /// What runs and who chose it: "SkylakeX (chosen by lmlab; OpenBLAS fell back to Prescott)",
  /// "Haswell (OPENBLAS_CORETYPE)" or "Haswell (detected by OpenBLAS)".
  public static var description: String {
    let env = ProcessInfo.processInfo.environment
    if let fallback = env[fallbackVariable], env["OPENBLAS_CORETYPE"] != nil {
      return "\(BLASCore.current) (chosen by lmlab; OpenBLAS fell back to \(fallback) on this CPU)"
    }
    return "\(BLASCore.current) (" + (env["OPENBLAS_CORETYPE"] != nil ? "OPENBLAS_CORETYPE" : "detected by OpenBLAS") + ")"
  }

  /// `OPENBLAS_CORETYPE=NAME` when this process runs with one, else nil.
  public static var exportLine: String? {
    ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { "OPENBLAS_CORETYPE=\($0)" }
  }

  /// OpenBLAS's build line (the CLI reaches TensorEngine only through Workbench).
  public static var configurationLine: String { BLASCore.configuration }
}
