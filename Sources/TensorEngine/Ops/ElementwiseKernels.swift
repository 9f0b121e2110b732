// The per-element functions of the elementwise ops (Elementwise.swift) and their derivatives,
// as small struct types rather than closures, so that the loops that call them specialize and
// inline even inside the worker closures of `parallelRanges`.
import Foundation

/// y = f(x).
protocol UnaryKernel { func callAsFunction(_ x: Float) -> Float }
/// dy/dx from the input x and the output y.
protocol GradientKernel { func callAsFunction(_ x: Float, _ y: Float) -> Float }
/// out = f(a, b).
protocol BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float }

struct Add: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
struct Sub: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
struct Mul: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
struct Div: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }

struct Scale: UnaryKernel {
  let c: Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { x * c }
}
struct Shift: UnaryKernel {
  let c: Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { x + c }
}

// The activations' gradients come from their bit masks (ActivationMask.swift).
struct ReLU: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }

struct ReLU6: UnaryKernel {
  @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x, 0), 6) }
}

struct LeakyReLU: UnaryKernel {
  let slope: Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : x * slope }
}

struct Sigmoid: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / (1 + expf(-x)) } }
struct SigmoidGradient: GradientKernel {
  @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { y * (1 - y) }
}

struct Tanh: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { tanhf(x) } }
struct TanhGradient: GradientKernel {
  @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { 1 - y * y }
}

struct Exp: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { expf(x) } }
struct ExpGradient: GradientKernel { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { y } }

struct Log: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { logf(x) } }
struct LogGradient: GradientKernel { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { 1 / x } }

struct Sqrt: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { sqrtf(x) } }
struct SqrtGradient: GradientKernel {
  @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { 0.5 / y }
}

struct Square: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x } }
struct SquareGradient: GradientKernel {
  @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { 2 * x }
}

struct Power: UnaryKernel {
  let p: Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { powf(x, p) }
}
struct PowerGradient: GradientKernel {
  let p: Float
  @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { p * powf(x, p - 1) }
}

struct Abs: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
struct AbsGradient: GradientKernel {
  @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}
