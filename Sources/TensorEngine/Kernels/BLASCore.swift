// BLASCore: which kernel set OpenBLAS's run-time dispatch chose, and a better one when it fell
// back. OpenBLAS picks its kernels when the library loads; a CPU newer than the library is
// taken for a "Prescott" (SSE3). Debian 12's OpenBLAS 0.3.21 does this on Sapphire/Emerald
// Rapids, where its SSE3 sgemm runs at ~55 GFLOP/s against ~300 with the AVX-512 (SkylakeX)
// kernels on 2 cores. The choice can only be changed before the library loads, through
// `OPENBLAS_CORETYPE`: `lmlab` restarts itself with it (Workbench's NativeBLAS).
import COpenBLAS
import Foundation

public enum BLASCore {
  /// The kernel set in use ("Haswell", "SkylakeX", "Prescott", ...).
  public static var current: String { String(cString: openblas_get_corename()) }

  /// OpenBLAS's build and dispatch line ("OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...").
  public static var configuration: String { String(cString: openblas_get_config()) }

  /// The kernel set to ask for instead of `current`, or nil when `current` is not the generic
  /// fallback or the CPU has nothing better. `cpuFlags` are /proc/cpuinfo's (the kernel lists
  /// AVX-512 only when the OS saves its registers).
  public static func override(current: String, cpuFlags: Set<String>) -> String? {
    guard current == "Prescott" else { return nil }
    if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) { return "SkylakeX" }
    if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
    return nil
  }

  /// `override` for this process's OpenBLAS and CPU.
  public static func suggestedOverride() -> String? {
    override(current: current, cpuFlags: cpuFlags())
  }

  /// The flags of the first CPU in /proc/cpuinfo (empty where there is none).
  static func cpuFlags(_ text: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> Set<String> {
    guard let text else { return [] }
    for line in text.split(separator: "\n") where line.hasPrefix("flags") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
    return []
  }
}
