// Least squares without intercept, min ‖A·W − B‖, by Householder QR in float64 (more stable
// than the normal equations; the same solution as scikit-learn's Ridge(alpha=0) when A has
// full column rank).

/// Solves min ‖A·W − B‖ for A [n, d] and B [n, m] (row-major, float64); returns W [d, m].
/// - Throws: `MetricsError.regression` when n < d or A is (numerically) rank-deficient.
func leastSquares(_ a: [Double], rows n: Int, cols d: Int, _ b: [Double], rhs m: Int) throws -> [Double] {
  precondition(a.count == n * d && b.count == n * m, "leastSquares: sizes \(a.count), \(b.count) for \(n)×\(d), \(n)×\(m)")
  guard n >= d else {
    throw MetricsError.regression(reason: "\(n) training frames for \(d) landmark coordinates; need at least \(d)")
  }
  var a = a, b = b
  var diag = [Double](repeating: 0, count: d)
  try a.withUnsafeMutableBufferPointer { ap in
    try b.withUnsafeMutableBufferPointer { bp in
      let (A, B) = (ap.baseAddress!, bp.baseAddress!)
      var v = [Double](repeating: 0, count: n)
      var scaleMax = 0.0
      for k in 0..<d {
        // Householder vector for column k, rows k..<n.
        var norm = 0.0
        for i in k..<n { norm += A[i * d + k] * A[i * d + k] }
        norm = norm.squareRoot()
        scaleMax = Swift.max(scaleMax, norm)
        guard norm > 1e-12 * scaleMax, norm > 0 else {
          throw MetricsError.regression(
            reason: "landmark coordinate \(k) is a linear combination of the others (rank-deficient design); "
              + "check for duplicate or constant landmarks")
        }
        let alpha = A[k * d + k] > 0 ? -norm : norm
        for i in k..<n { v[i] = A[i * d + k] }
        v[k] -= alpha
        var vv = 0.0
        for i in k..<n { vv += v[i] * v[i] }
        diag[k] = alpha
        guard vv > 0 else { continue }
        // Reflect the remaining columns of A and all of B: x ← x − 2 v (vᵀx) / (vᵀv).
        for j in (k + 1)..<Swift.max(d, k + 1) {
          var s = 0.0
          for i in k..<n { s += v[i] * A[i * d + j] }
          s = 2 * s / vv
          for i in k..<n { A[i * d + j] -= s * v[i] }
        }
        for j in 0..<m {
          var s = 0.0
          for i in k..<n { s += v[i] * B[i * m + j] }
          s = 2 * s / vv
          for i in k..<n { B[i * m + j] -= s * v[i] }
        }
      }
      if let small = diag.map({ Swift.abs($0) }).min(), small <= 1e-10 * scaleMax {
        throw MetricsError.regression(reason: "landmark means are rank-deficient (condition above 1e10)")
      }
    }
  }
  // Back substitution R·W = (Qᵀ B)[0..<d]; R's diagonal is `diag`, above it A's upper triangle.
  var w = [Double](repeating: 0, count: d * m)
  for j in 0..<m {
    for k in stride(from: d - 1, through: 0, by: -1) {
      var s = b[k * m + j]
      for l in (k + 1)..<Swift.max(d, k + 1) { s -= a[k * d + l] * w[l * m + j] }
      w[k * m + j] = s / diag[k]
    }
  }
  return w
}
