// BLASCore: a better kernel set is named only when OpenBLAS fell back to its generic one.
import XCTest

@testable import TensorEngine

final class BLASCoreTests: XCTestCase {
  func testOverrideOnlyReplacesTheGenericFallback() {
    let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
    XCTAssertEqual(BLASCore.override(current: "Prescott", cpuFlags: avx512), "SkylakeX")
    XCTAssertEqual(BLASCore.override(current: "Prescott", cpuFlags: ["avx", "avx2", "fma", "avx512f"]), "Haswell")
    XCTAssertNil(BLASCore.override(current: "Prescott", cpuFlags: ["sse4_2", "avx"]))
    XCTAssertNil(BLASCore.override(current: "Haswell", cpuFlags: avx512), "a kernel set OpenBLAS chose is kept")
    XCTAssertNil(BLASCore.override(current: "SkylakeX", cpuFlags: avx512))
  }

  func testCPUFlagsAreReadFromTheFirstFlagsLine() {
    let text = "processor\t: 0\nmodel name\t: X\nflags\t\t: fpu avx2 fma avx512f\nbugs\t\t: x\n\nprocessor\t: 1\nflags\t\t: other\n"
    XCTAssertEqual(BLASCore.cpuFlags(text), ["fpu", "avx2", "fma", "avx512f"])
    XCTAssertEqual(BLASCore.cpuFlags(nil), [])
    XCTAssertFalse(BLASCore.current.isEmpty)
  }
}
