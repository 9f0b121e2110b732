// Strided iteration over a row-major index space for up to three operands: the machinery
// behind broadcasting, permute and reductions. Dimensions are coalesced first so the inner
// loop runs over the longest contiguous stretch.

/// Strides of `shape` broadcast (right-aligned) to `target`: 0 along broadcast dimensions.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
  let own = Tensor.strides(of: shape)
  var out = [Int](repeating: 0, count: target.count)
  let offset = target.count - shape.count
  for i in 0..<shape.count where shape[i] != 1 {
    out[i + offset] = own[i]
  }
  return out
}

/// The broadcast shape of two shapes (NumPy rules), or nil when they do not broadcast.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
  let n = Swift.max(a.count, b.count)
  var out = [Int](repeating: 1, count: n)
  for i in 0..<n {
    let da = i < n - a.count ? 1 : a[i - (n - a.count)]
    let db = i < n - b.count ? 1 : b[i - (n - b.count)]
    if da == db || db == 1 {
      out[i] = da
    } else if da == 1 {
      out[i] = db
    } else {
      return nil
    }
  }
  return out
}

/// Merges adjacent dimensions that are contiguous for every operand; drops size-1 dimensions.
func coalesce(_ shape: [Int], _ strides: [[Int]]) -> ([Int], [[Int]]) {
  var dims: [Int] = []
  var st: [[Int]] = strides.map { _ in [] }
  for d in 0..<shape.count where shape[d] != 1 {
    if let last = dims.last,
      (0..<strides.count).allSatisfy({ st[$0].last! == strides[$0][d] * shape[d] })
    {
      dims[dims.count - 1] = last * shape[d]
      for k in 0..<strides.count { st[k][st[k].count - 1] = strides[k][d] }
    } else {
      dims.append(shape[d])
      for k in 0..<strides.count { st[k].append(strides[k][d]) }
    }
  }
  if dims.isEmpty {
    dims = [1]
    st = strides.map { _ in [1] }
  }
  return (dims, st)
}

/// Calls `body(o0, o1, o2, n, s0, s1, s2)` for each run of the innermost dimension, with the
/// operands' starting offsets, the run length and the operands' inner strides.
@inline(__always)
func stridedLoop3(
  shape: [Int], _ strides0: [Int], _ strides1: [Int], _ strides2: [Int],
  _ body: (Int, Int, Int, Int, Int, Int, Int) -> Void
) {
  if shape.contains(0) { return }
  let (dims, st) = coalesce(shape, [strides0, strides1, strides2])
  let r = dims.count
  let n = dims[r - 1]
  let i0 = st[0][r - 1]
  let i1 = st[1][r - 1]
  let i2 = st[2][r - 1]
  if r == 1 {
    body(0, 0, 0, n, i0, i1, i2)
    return
  }
  var index = [Int](repeating: 0, count: r - 1)
  var o0 = 0
  var o1 = 0
  var o2 = 0
  while true {
    body(o0, o1, o2, n, i0, i1, i2)
    var d = r - 2
    while d >= 0 {
      index[d] += 1
      o0 += st[0][d]
      o1 += st[1][d]
      o2 += st[2][d]
      if index[d] < dims[d] { break }
      o0 -= st[0][d] * dims[d]
      o1 -= st[1][d] * dims[d]
      o2 -= st[2][d] * dims[d]
      index[d] = 0
      d -= 1
    }
    if d < 0 { return }
  }
}
