// PoseState (DESIGN §2): a frame's K landmarks as 5K numbers, (μx, μy, L11, L21, L22) per
// landmark with Σ = L·Lᵀ and L the lower Cholesky factor. Both conversions, over tensors of
// any leading shape. Decoding floors L's diagonal (`cholesky_floor`), so every decoded
// covariance is symmetric positive definite whatever a predictor or an extrapolation produced.
import Landmarks
import TensorEngine

public enum PoseState {
  /// Numbers per landmark.
  public static let width = 5

  /// States [..., K·5] from means [..., K, 2] and covariances [..., K, 2, 2] (lower triangles
  /// read; computed in float64).
  public static func encode(mu: Tensor, covariance: Tensor) -> Tensor {
    precondition(mu.rank >= 2 && mu.shape.last == 2, "PoseState.encode: μ \(mu.shape) is not [..., K, 2]")
    precondition(
      covariance.shape == mu.shape + [2], "PoseState.encode: Σ \(covariance.shape) does not match μ \(mu.shape)")
    let lead = Array(mu.shape.dropLast(2))
    let k = mu.shape[mu.rank - 2]
    let n = mu.count / 2
    let out = Tensor(zeros: lead + [k * width])
    let (m, c, o) = (mu.data, covariance.data, out.data)
    for i in 0..<n {
      let l = Cholesky2(Sym2(a: Double(c[4 * i]), b: Double(c[4 * i + 2]), d: Double(c[4 * i + 3])))
      o[5 * i] = m[2 * i]
      o[5 * i + 1] = m[2 * i + 1]
      o[5 * i + 2] = Float(l.l11)
      o[5 * i + 3] = Float(l.l21)
      o[5 * i + 4] = Float(l.l22)
    }
    return out
  }

  /// The states of landmarks already fitted by the model (`GaussianLandmarks`): [B, K·5].
  public static func encode(_ g: GaussianLandmarks) -> Tensor { encode(mu: g.mu, covariance: g.covariance) }

  /// Means [..., K, 2] and covariances [..., K, 2, 2] of states [..., K·5]. L's diagonal is
  /// raised to at least `floor` (> 0) before Σ = L·Lᵀ (see `Cholesky2.covariance(floor:)`).
  public static func decode(_ state: Tensor, floor: Double) -> (mu: Tensor, covariance: Tensor) {
    precondition(floor > 0, "PoseState.decode: floor \(floor) must be > 0")
    let last = state.shape.last ?? 0
    precondition(state.rank >= 1 && last % width == 0, "PoseState.decode: state \(state.shape) is not [..., K·5]")
    let lead = Array(state.shape.dropLast())
    let k = last / width
    let n = state.count / width
    let mu = Tensor(zeros: lead + [k, 2]), cov = Tensor(zeros: lead + [k, 2, 2])
    let (s, m, c) = (state.data, mu.data, cov.data)
    for i in 0..<n {
      m[2 * i] = s[5 * i]
      m[2 * i + 1] = s[5 * i + 1]
      let l = Cholesky2(l11: Double(s[5 * i + 2]), l21: Double(s[5 * i + 3]), l22: Double(s[5 * i + 4]))
      let sigma = l.covariance(floor: floor)
      c[4 * i] = Float(sigma.a)
      c[4 * i + 1] = Float(sigma.b)
      c[4 * i + 2] = Float(sigma.b)
      c[4 * i + 3] = Float(sigma.d)
    }
    return (mu, cov)
  }

  /// Landmark k of state row `row` (a flat index over the leading dimensions) as a Gaussian,
  /// with the floor applied.
  public static func gaussian(_ state: Tensor, row: Int, landmark k: Int, floor: Double) -> Gaussian2D {
    let p = state.data + row * (state.shape.last ?? 0) + k * width
    let l = Cholesky2(l11: Double(p[2]), l21: Double(p[3]), l22: Double(p[4]))
    return Gaussian2D(mx: Double(p[0]), my: Double(p[1]), cov: l.covariance(floor: floor))
  }

  /// Mean distance in pixels between the landmark means of two state tensors of the same
  /// shape [..., K·5], per leading row: |μ − μ'| · S/2 averaged over the K landmarks (the
  /// coordinates span [-1, 1] over S pixels). Returns one value per row.
  public static func meanErrorPixels(_ a: Tensor, _ b: Tensor, imageSize: Int) -> [Double] {
    precondition(a.shape == b.shape, "meanErrorPixels: \(a.shape) vs \(b.shape)")
    let d = a.shape.last ?? 0
    let k = d / width
    let rows = a.count / Swift.max(d, 1)
    let scale = Double(imageSize) / 2
    return (0..<rows).map { r in
      var sum = 0.0
      for j in 0..<k {
        let i = r * d + j * width
        let dx = Double(a.data[i] - b.data[i]), dy = Double(a.data[i + 1] - b.data[i + 1])
        sum += (dx * dx + dy * dy).squareRoot()
      }
      return sum / Double(k) * scale
    }
  }

  /// How far each landmark's mean moves within a sequence: per landmark, the root-mean-square
  /// distance in pixels of μ from its sequence's average position, averaged over sequences
  /// (`sequences`: one [T, K·5] state tensor each). A landmark that sits on the background
  /// moves ~0 px; one that follows the figure moves with it.
  public static func motionPixels(_ sequences: [Tensor], imageSize: Int) -> [Double] {
    guard let d = sequences.first?.shape.last else { return [] }
    let k = d / width
    var total = [Double](repeating: 0, count: k)
    var counted = 0
    for s in sequences {
      let t = s.shape[0]
      guard t >= 2 else { continue }
      counted += 1
      for j in 0..<k {
        var (mx, my) = (0.0, 0.0)
        for r in 0..<t { mx += Double(s.data[r * d + j * width]); my += Double(s.data[r * d + j * width + 1]) }
        (mx, my) = (mx / Double(t), my / Double(t))
        var ss = 0.0
        for r in 0..<t {
          let dx = Double(s.data[r * d + j * width]) - mx, dy = Double(s.data[r * d + j * width + 1]) - my
          ss += dx * dx + dy * dy
        }
        total[j] += (ss / Double(t)).squareRoot() * Double(imageSize) / 2
      }
    }
    return total.map { $0 / Double(Swift.max(counted, 1)) }
  }

  /// How well each landmark's mean follows the annotated figure: per landmark, the largest over
  /// keypoints of the correlation between the landmark's displacement from its sequence average
  /// and the keypoint's (2-D dot products summed over every frame of every sequence). A landmark
  /// parked on the background moves only by noise and correlates with no keypoint; one that rides
  /// on a limb correlates with that limb's keypoints. `keypoints[i]` holds, per frame of
  /// `sequences[i]`, the P keypoints (any pixel scale: a correlation does not see it).
  public static func followCorrelation(_ sequences: [Tensor], keypoints: [[[SIMD2<Float>]]]) -> [Double] {
    guard let d = sequences.first?.shape.last else { return [] }
    let k = d / width
    let p = keypoints.first?.first?.count ?? 0
    guard p > 0 else { return [Double](repeating: .nan, count: k) }
    var dot = [[Double]](repeating: [Double](repeating: 0, count: p), count: k)
    var landmarkEnergy = [Double](repeating: 0, count: k)
    var keypointEnergy = [Double](repeating: 0, count: p)
    for (s, kp) in zip(sequences, keypoints) {
      let t = s.shape[0]
      guard t >= 2, kp.count == t else { continue }
      var lm = [SIMD2<Double>](repeating: .zero, count: k), km = [SIMD2<Double>](repeating: .zero, count: p)
      for r in 0..<t {
        for j in 0..<k { lm[j] += SIMD2(Double(s.data[r * d + j * width]), Double(s.data[r * d + j * width + 1])) / Double(t) }
        for q in 0..<p { km[q] += SIMD2(Double(kp[r][q].x), Double(kp[r][q].y)) / Double(t) }
      }
      for r in 0..<t {
        let kd = (0..<p).map { SIMD2(Double(kp[r][$0].x), Double(kp[r][$0].y)) - km[$0] }
        for q in 0..<p { keypointEnergy[q] += (kd[q] * kd[q]).sum() }
        for j in 0..<k {
          let ld = SIMD2(Double(s.data[r * d + j * width]), Double(s.data[r * d + j * width + 1])) - lm[j]
          landmarkEnergy[j] += (ld * ld).sum()
          for q in 0..<p { dot[j][q] += (ld * kd[q]).sum() }
        }
      }
    }
    return (0..<k).map { j in
      (0..<p).map { q in
        let n = (landmarkEnergy[j] * keypointEnergy[q]).squareRoot()
        return n > 0 ? dot[j][q] / n : 0
      }.max() ?? 0
    }
  }

  /// A landmark is live when it follows some keypoint with correlation above this
  /// (`followCorrelation`).
  public static let liveCorrelation = 0.5
}
