// Thin wrappers over OpenBLAS sgemm for row-major matrices with explicit leading dimensions.
import COpenBLAS

/// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major, with leading dimensions.
@inline(__always)
func sgemm(
  transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  if m == 0 || n == 0 { return }
  cblas_sgemm(
    CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Number of threads OpenBLAS uses.
public var blasThreads: Int { Int(openblas_get_num_threads()) }

/// Sets the number of threads OpenBLAS uses.
public func setBLASThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
